import { describe, expect, it } from 'vitest';
import {
  CaseFileError,
  compareToBaseline,
  DuplicateEvalError,
  decideVerdict,
  EvalImportError,
  type FailOn,
  summarizeRun,
} from '../../src/evals/index.js';
import { baselineFromSummary } from '../../src/report/baseline.js';
import { exitCodeForError } from '../../src/report/verdict.js';
import { outcomes } from './support.js';

const baseline = baselineFromSummary({
  summary: summarizeRun({ outcomes: outcomes({ eval_a: { t1: 1, t2: 0 }, eval_b: { t1: 0.9 } }) }),
});

function verdictFor({
  table,
  failOn,
  withBaseline = true,
  required = false,
  infra = false,
}: {
  table: Parameters<typeof outcomes>[0];
  failOn?: FailOn;
  withBaseline?: boolean;
  required?: boolean;
  infra?: boolean;
}) {
  const summary = summarizeRun({
    outcomes: outcomes(table, { required }),
    infrastructureErrors: infra ? [{ source: 'traces/x', message: 'unreadable', kind: 'trace' }] : [],
  });
  const comparison = withBaseline ? compareToBaseline({ current: summary, baseline }) : undefined;
  return decideVerdict({ summary, comparison, failOn });
}

describe('decideVerdict', () => {
  it('passes a clean run with exit code 0 and a headline that starts with the verdict', () => {
    const verdict = verdictFor({ table: { eval_a: { t1: 1, t2: 0.8 }, eval_b: { t1: 0.9 } } });
    expect(verdict).toEqual({
      exitCode: 0,
      status: 'pass',
      headline: 'PASS: 3 passed · 0 failed (2 evals × 2 runs)',
      reasons: [],
    });
  });

  it('--fail-on failure (default) fails on any failure, known or new', () => {
    const known = verdictFor({ table: { eval_a: { t1: 1, t2: 0 }, eval_b: { t1: 0.9 } } });
    expect(known.exitCode).toBe(1);
    expect(known.headline).toBe('FAIL: 1 failed (2 evals × 2 runs)');
    const fresh = verdictFor({ table: { eval_a: { t1: 0, t2: 0 }, eval_b: { t1: 0.9 } }, required: true });
    expect(fresh.headline).toBe('FAIL: 2 failed (2 required) · 1 new since baseline (2 evals × 2 runs)');
  });

  it('--fail-on regression ignores failures the baseline already had, fails on new ones and score drops', () => {
    const known = verdictFor({
      table: { eval_a: { t1: 1, t2: 0 }, eval_b: { t1: 0.9 } },
      failOn: 'regression',
    });
    expect(known.exitCode).toBe(0);
    expect(known.headline).toBe(
      'PASS: 2 passed · 1 failed (2 evals × 2 runs; failures do not fail the run with --fail-on regression)',
    );
    const fresh = verdictFor({
      table: { eval_a: { t1: 0, t2: 0 }, eval_b: { t1: 0.9 } },
      failOn: 'regression',
    });
    expect(fresh).toMatchObject({ exitCode: 1, reasons: ['1 new since baseline'] });
    const drop = verdictFor({
      table: { eval_a: { t1: 1, t2: 0 }, eval_b: { t1: 0.6 } },
      failOn: 'regression',
    });
    expect(drop).toMatchObject({ exitCode: 1, reasons: ['1 score drop > 0.05'] });
    const noBaseline = verdictFor({
      table: { eval_a: { t1: 0 } },
      failOn: 'regression',
      withBaseline: false,
    });
    expect(noBaseline.exitCode).toBe(1);
    expect(noBaseline.reasons).toEqual(['1 failed (no baseline: every failure is new)']);
  });

  it('--fail-on never reports only, but required failures still exit 1', () => {
    expect(verdictFor({ table: { eval_a: { t1: 0 } }, failOn: 'never' }).exitCode).toBe(0);
    const required = verdictFor({ table: { eval_a: { t1: 0 } }, failOn: 'never', required: true });
    expect(required).toMatchObject({ exitCode: 1, status: 'fail', reasons: ['1 required eval failed'] });
  });

  it('eval errors and infrastructure errors exit 3 whatever --fail-on says, before failures', () => {
    for (const failOn of ['failure', 'regression', 'never'] as const) {
      const errored = verdictFor({ table: { eval_a: { t1: 'error', t2: 0 } }, failOn });
      expect(errored.exitCode).toBe(3);
      expect(errored.status).toBe('error');
      expect(errored.headline.startsWith('ERROR: 1 eval error')).toBe(true);
      expect(verdictFor({ table: { eval_a: { t1: 1 } }, failOn, infra: true }).exitCode).toBe(3);
    }
  });

  it('a run that scored nothing is a configuration error (2), not a pass', () => {
    const verdict = decideVerdict({ summary: summarizeRun({ outcomes: [] }) });
    expect(verdict).toMatchObject({ exitCode: 2, status: 'empty' });
  });
});

describe('exitCodeForError', () => {
  it('maps configuration mistakes to 2 and everything else (imports, crashes) to 3', () => {
    expect(exitCodeForError(new DuplicateEvalError({ name: 'eval_x', files: ['a', 'b'] }))).toBe(2);
    expect(exitCodeForError(new CaseFileError({ file: 'c.yaml', line: 1, problem: 'bad' }))).toBe(2);
    expect(
      exitCodeForError(
        new EvalImportError({ failures: [{ file: 'eval_x.ts', message: 'boom', error: new Error('boom') }] }),
      ),
    ).toBe(3);
    expect(exitCodeForError(new TypeError('bug'))).toBe(3);
    expect(exitCodeForError('a string')).toBe(3);
  });
});
