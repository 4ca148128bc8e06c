import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BaselineError,
  BaselineNotFoundError,
  BaselineVersionError,
  compareToBaseline,
  readBaseline,
  saveBaseline,
  summarizeRun,
} from '../../src/evals/index.js';
import { baselineFromSummary } from '../../src/report/baseline.js';
import { exitCodeForError } from '../../src/report/verdict.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { outcome, outcomes } from './support.js';

const temp = useTempDir('looplet-baseline-');

const baseRun = summarizeRun({
  outcomes: [
    ...outcomes({ eval_quality: { t1: 0.9, t2: 0.8, t3: 0.3 }, eval_done: { t1: 1, t2: 1, t3: 1 } }),
    ...outcomes({ eval_cost: { t1: { metrics: { steps: 4 } }, t2: { metrics: { steps: 6 } } } }),
    ...outcomes({ eval_old: { t1: 1 } }),
  ],
});

describe('saving and reading baselines', () => {
  it('round-trips, with a schemaVersion, and re-saving an unchanged run gives the same bytes', async () => {
    const file = join(temp.path, '.looplet', 'baseline.json');
    const saved = await saveBaseline({ summary: baseRun, file });
    expect(await readBaseline({ file })).toEqual(saved);
    expect(saved.schemaVersion).toBe(1);
    expect(saved.kind).toBe('looplet-baseline');
    expect(saved.results.eval_quality?.t3).toEqual({ status: 'failed', score: 0.3 });
    expect(saved.results.eval_cost?.t2).toEqual({ status: 'reported', metrics: { steps: 6 } });
    expect(saved.evals.eval_quality).toEqual({
      required: false,
      passRate: 2 / 3,
      meanScore: (0.9 + 0.8 + 0.3) / 3,
    });

    const bytes = await readFile(file, 'utf8');
    const slower = summarizeRun({
      outcomes: baseRun.outcomes.map((item) => ({ ...item, durationMs: 999 })).reverse(),
    });
    await saveBaseline({ summary: slower, file });
    expect(await readFile(file, 'utf8')).toBe(bytes);
    expect(bytes).not.toContain('durationMs');
    expect(bytes.endsWith('}\n')).toBe(true);
  });

  it('rejects a missing file, non-JSON, a report, and a baseline from a future version, as configuration errors', async () => {
    const missing = await readBaseline({ file: join(temp.path, 'nope.json') }).catch(
      (error: unknown) => error,
    );
    expect(missing).toBeInstanceOf(BaselineNotFoundError);
    expect((missing as Error).message).toContain('looplet-eval baseline update');

    const garbage = join(temp.path, 'garbage.json');
    await writeFile(garbage, '{"schemaVersion": 1, ');
    await expect(readBaseline({ file: garbage })).rejects.toThrow(/is not valid JSON/);

    const report = join(temp.path, 'report.json');
    await writeFile(report, JSON.stringify({ schemaVersion: 1, kind: 'looplet-report' }));
    await expect(readBaseline({ file: report })).rejects.toThrow('a report is not a baseline');

    const future = join(temp.path, 'future.json');
    await writeFile(
      future,
      JSON.stringify({ ...baselineFromSummary({ summary: baseRun }), schemaVersion: 7 }),
    );
    const error = await readBaseline({ file: future }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BaselineVersionError);
    expect((error as BaselineVersionError).version).toBe(7);
    expect((error as Error).message).toBe(
      `baseline ${future}: has schemaVersion 7, newer than this looplet reads (1); upgrade looplet, or re-create the baseline with this version`,
    );

    const badStatus = join(temp.path, 'bad.json');
    await writeFile(
      badStatus,
      JSON.stringify({
        schemaVersion: 1,
        kind: 'looplet-baseline',
        evals: {},
        results: { eval_x: { t1: { status: 'green' } } },
      }),
    );
    await expect(readBaseline({ file: badStatus })).rejects.toThrow(
      'field "results/eval_x/t1" needs a status',
    );

    for (const failure of [missing, error]) {
      expect(failure).toBeInstanceOf(BaselineError);
      expect(exitCodeForError(failure)).toBe(2);
    }
  });
});

describe('compareToBaseline', () => {
  const baseline = baselineFromSummary({ summary: baseRun });

  it('finds new failures, fixes, score drops beyond the tolerance, metric deltas and added/removed evals and traces', () => {
    const current = summarizeRun({
      outcomes: [
        ...outcomes({
          eval_quality: { t1: 0.6, t2: 0.3, t3: 0.9, t4: 0.2 },
          eval_done: { t1: 1, t2: 1, t3: 0.97 },
        }),
        ...outcomes({ eval_cost: { t1: { metrics: { steps: 5 } }, t2: { metrics: { steps: 9 } } } }),
        ...outcomes({ eval_new: { t1: 0 } }),
      ],
    });
    const comparison = compareToBaseline({ current, baseline });
    expect(comparison.newFailures).toEqual([
      { eval: 'eval_new', context: 't1', after: 'failed', afterScore: 0 },
      {
        eval: 'eval_quality',
        context: 't2',
        before: 'passed',
        after: 'failed',
        beforeScore: 0.8,
        afterScore: 0.3,
      },
      { eval: 'eval_quality', context: 't4', after: 'failed', afterScore: 0.2 },
    ]);
    expect(comparison.fixed).toEqual([
      {
        eval: 'eval_quality',
        context: 't3',
        before: 'failed',
        after: 'passed',
        beforeScore: 0.3,
        afterScore: 0.9,
      },
    ]);
    // eval_quality over the shared t1..t3: 0.667 → 0.6, but it has a new failure already;
    // eval_done: 1 → 0.99, within the tolerance.
    expect(comparison.scoreDrops).toEqual([]);
    const quality = comparison.scores.find((change) => change.eval === 'eval_quality');
    expect(quality?.before).toBeCloseTo(2 / 3);
    expect(quality?.after).toBeCloseTo(0.6);
    expect(quality?.contexts).toBe(3);
    expect(comparison.scores.map((change) => change.eval)).toEqual(['eval_done', 'eval_quality']);
    expect(comparison.metricDeltas).toEqual([
      { eval: 'eval_cost', metric: 'steps', before: 5, after: 7, delta: 2 },
    ]);
    expect(comparison.evalsAdded).toEqual(['eval_new']);
    expect(comparison.evalsRemoved).toEqual(['eval_old']);
    expect(comparison.contextsAdded).toEqual(['t4']);
    expect(comparison.contextsRemoved).toEqual([]);
    expect(comparison.regressions).toBe(3);
  });

  it('does not call a known failure, a stable score or added traces a regression', () => {
    const current = summarizeRun({
      outcomes: [
        ...outcomes({
          eval_quality: { t1: 0.9, t2: 0.8, t3: 0.3, t9: 1 },
          eval_done: { t1: 1, t2: 1, t3: 1 },
        }),
        ...outcomes({ eval_old: { t1: 1 } }),
      ],
    });
    const comparison = compareToBaseline({ current, baseline });
    expect(comparison.regressions).toBe(0);
    expect(comparison.newFailures).toEqual([]);
    expect(comparison.contextsAdded).toEqual(['t9']);
    expect(comparison.evalsRemoved).toEqual(['eval_cost']);
  });

  it('a drop of exactly the tolerance is not a regression; a bigger one is', () => {
    const base = baselineFromSummary({
      summary: summarizeRun({ outcomes: outcomes({ eval_s: { t1: 0.8 } }) }),
    });
    const at = (score: number, tolerance: number) =>
      compareToBaseline({
        current: summarizeRun({ outcomes: outcomes({ eval_s: { t1: score } }) }),
        baseline: base,
        tolerance,
      }).scoreDrops.length;
    expect(at(0.75, 0.05)).toBe(0);
    expect(at(0.74, 0.05)).toBe(1);
    expect(at(0.7, 0.2)).toBe(0);
    expect(() => at(0.7, Number.NaN)).toThrow(/tolerance/);
  });

  it('errors are not compared as scores: an error now is not a score drop to zero', () => {
    const current = summarizeRun({ outcomes: outcomes({ eval_quality: { t1: 'error', t2: 0.8, t3: 0.3 } }) });
    const comparison = compareToBaseline({ current, baseline });
    expect(comparison.scoreDrops).toEqual([]);
    expect(comparison.newFailures).toEqual([]);
    const quality = comparison.scores.find((change) => change.eval === 'eval_quality');
    expect(quality?.contexts).toBe(2);
  });

  it('a failure after an error in the baseline counts as new; a still-required failure is listed', () => {
    const base = baselineFromSummary({
      summary: summarizeRun({
        outcomes: [
          outcome({ name: 'eval_r', context: 't1', status: 'error', error: { kind: 'threw', message: 'x' } }),
        ],
      }),
    });
    const comparison = compareToBaseline({
      current: summarizeRun({
        outcomes: [outcome({ name: 'eval_r', context: 't1', status: 'failed', score: 0, required: true })],
      }),
      baseline: base,
    });
    expect(comparison.newFailures).toEqual([
      { eval: 'eval_r', context: 't1', before: 'error', after: 'failed', afterScore: 0 },
    ]);
  });
});
