import { describe, expect, it } from 'vitest';
import { toEvalDefinitions } from '../../src/evals/definitions.js';
import {
  contextFromTrace,
  type EvalFunction,
  type EvalOutcome,
  mark,
  runEval,
} from '../../src/evals/index.js';
import { memoryTrace } from './support.js';

const context = contextFromTrace({ trace: memoryTrace() });

async function outcomeOf(fn: EvalFunction, options: { threshold?: number; timeoutMs?: number } = {}) {
  const [definition] = toEvalDefinitions({ evals: { eval_under_test: fn } });
  return runEval({ eval: definition!, context, ...options });
}

const verdict = (outcome: EvalOutcome) => ({
  status: outcome.status,
  passed: outcome.passed,
  score: outcome.score,
  label: outcome.label,
});

describe('one normalisation rule for every return type', () => {
  it('booleans are scores 1 and 0 with a verdict', async () => {
    expect(verdict(await outcomeOf(() => true))).toEqual({
      status: 'passed',
      passed: true,
      score: 1,
      label: undefined,
    });
    expect(verdict(await outcomeOf(() => false))).toEqual({
      status: 'failed',
      passed: false,
      score: 0,
      label: undefined,
    });
  });

  it('numbers are scores judged against the threshold (0.5 unless set)', async () => {
    expect(verdict(await outcomeOf(() => 0.5))).toMatchObject({ status: 'passed', score: 0.5 });
    expect(verdict(await outcomeOf(() => 0.49))).toMatchObject({ status: 'failed', score: 0.49 });
    expect((await outcomeOf(() => 0.49)).threshold).toBe(0.5);
    expect(verdict(await outcomeOf(() => 0.8, { threshold: 0.9 }))).toMatchObject({ status: 'failed' });
    expect(verdict(await outcomeOf(() => 0, { threshold: 0 }))).toMatchObject({ status: 'passed', score: 0 });
  });

  it('NaN, infinities and numbers outside 0..1 are errors, never passes', async () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, -0.1, 1.5, 42]) {
      const outcome = await outcomeOf(() => value);
      expect(outcome.status).toBe('error');
      expect(outcome.passed).toBeUndefined();
      expect(outcome.error?.kind).toBe('invalid_result');
    }
    expect((await outcomeOf(() => Number.NaN)).error?.message).toContain('NaN');
    expect((await outcomeOf(() => 42)).error?.message).toContain('outside 0..1');
  });

  it('strings are labels: pass and fail words decide, any other label is only reported', async () => {
    expect(verdict(await outcomeOf(() => 'correct'))).toEqual({
      status: 'passed',
      passed: true,
      score: undefined,
      label: 'correct',
    });
    expect(verdict(await outcomeOf(() => 'FAIL'))).toEqual({
      status: 'failed',
      passed: false,
      score: undefined,
      label: 'FAIL',
    });
    expect(verdict(await outcomeOf(() => 'partial'))).toEqual({
      status: 'reported',
      passed: undefined,
      score: undefined,
      label: 'partial',
    });
  });

  it('a record without score/passed/label is metrics (numbers) and details (the rest), neither pass nor fail', async () => {
    const outcome = await outcomeOf((ctx) => ({ steps: ctx.stepCount, cost: 0.25, model: ctx.model }));
    expect(outcome.status).toBe('reported');
    expect(outcome.passed).toBeUndefined();
    expect(outcome.metrics).toEqual({ steps: 3, cost: 0.25 });
    expect(outcome.details).toEqual({ model: 'scripted' });
    const broken = await outcomeOf(() => ({ steps: Number.NaN }));
    expect(broken.status).toBe('error');
    expect(broken.error?.message).toContain('metric "steps"');
  });

  it('an EvalResult is taken field by field; explicit passed wins over the threshold', async () => {
    const outcome = await outcomeOf(() => ({
      score: 0.7,
      label: 'good',
      metrics: { recall: 0.6 },
      details: { missed: ['x'] },
      reason: 'mostly there',
    }));
    expect(outcome).toMatchObject({
      status: 'passed',
      passed: true,
      score: 0.7,
      label: 'good',
      metrics: { recall: 0.6 },
      details: { missed: ['x'] },
      reason: 'mostly there',
    });
    expect(verdict(await outcomeOf(() => ({ score: 0.9, passed: false })))).toMatchObject({
      status: 'failed',
      score: 0.9,
    });
    expect(verdict(await outcomeOf(() => ({ label: 'yes' })))).toMatchObject({ status: 'passed' });
    expect(verdict(await outcomeOf(() => ({ score: 2 })))).toMatchObject({ status: 'error' });
  });

  it('an EvalResult with an unknown field is an error that names it', async () => {
    const outcome = await outcomeOf(() => ({ score: 0.9, precision: 0.8 }));
    expect(outcome.status).toBe('error');
    expect(outcome.error?.message).toContain('"precision"');
    expect(outcome.error?.message).toContain('metrics');
  });

  it('undefined (a forgotten return), null, arrays, empty objects and class instances are errors', async () => {
    for (const fn of [
      () => undefined,
      () => null,
      () => [1],
      () => ({}),
      () => new Date(0),
    ] as EvalFunction[]) {
      const outcome = await outcomeOf(fn);
      expect(outcome.status).toBe('error');
      expect(outcome.error?.kind).toBe('invalid_result');
    }
    expect((await outcomeOf(() => undefined)).error?.message).toContain('is a `return` missing?');
  });

  it('a thrown error is an error outcome with the message and class, apart from failures', async () => {
    const outcome = await outcomeOf(() => {
      throw new TypeError('cannot read report');
    });
    expect(outcome.status).toBe('error');
    expect(outcome.error).toMatchObject({ kind: 'threw', message: 'cannot read report', name: 'TypeError' });
    expect(outcome.error?.stack).toContain('cannot read report');
  });

  it('promises of any of these normalise the same way, rejections are errors', async () => {
    expect(verdict(await outcomeOf(async () => true))).toMatchObject({ status: 'passed', score: 1 });
    expect(verdict(await outcomeOf(async () => 0.2))).toMatchObject({ status: 'failed', score: 0.2 });
    expect((await outcomeOf(async () => ({ tokens: 12 }))).metrics).toEqual({ tokens: 12 });
    const rejected = await outcomeOf(async () => {
      throw new Error('judge offline');
    });
    expect(rejected.error).toMatchObject({ kind: 'threw', message: 'judge offline' });
  });

  it('an async eval that never settles times out as an error (run default or its own mark)', async () => {
    const never = () => new Promise<boolean>(() => {});
    const byRun = await outcomeOf(never, { timeoutMs: 20 });
    expect(byRun.status).toBe('error');
    expect(byRun.error).toMatchObject({ kind: 'timeout', message: 'timed out after 20 ms' });
    const byMark = await outcomeOf(mark({ timeout: 10 }, never), { timeoutMs: 60_000 });
    expect(byMark.error?.message).toBe('timed out after 10 ms');
  });

  it('outcomes carry the eval and context names, marks and a duration', async () => {
    const outcome = await outcomeOf(mark(['smoke'], () => true));
    expect(outcome).toMatchObject({
      name: 'eval_under_test',
      context: 'report_run',
      required: false,
      tags: ['smoke'],
    });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe('labels against scores and passed: the most negative signal wins', () => {
  const LABELS = [undefined, 'pass', 'partial', 'fail', 'error', 'skipped'] as const;
  const SCORES = [undefined, 0.9, 0.1] as const;
  const PASSED = [undefined, true, false] as const;
  type Label = (typeof LABELS)[number];

  /** The documented rule (docs/evals.md, "Labels against scores"), spelled out case by case. */
  function expectedStatus(label: Label, score: number | undefined, passed: boolean | undefined) {
    if (label === 'skipped') return 'skipped';
    if (label === 'fail' || label === 'error') return 'failed';
    if (passed !== undefined) return passed ? 'passed' : 'failed';
    if (score !== undefined) return score >= 0.5 ? 'passed' : 'failed';
    if (label === 'pass') return 'passed';
    if (label === 'partial') return 'reported';
    return 'error'; // nothing at all: `{}` is an invalid result
  }

  for (const required of [false, true]) {
    it(`every combination of label, score and passed${required ? ' (required)' : ''}`, async () => {
      const rows: string[] = [];
      for (const label of LABELS)
        for (const score of SCORES)
          for (const passed of PASSED) {
            const result: Record<string, unknown> = {};
            if (label !== undefined) result.label = label;
            if (score !== undefined) result.score = score;
            if (passed !== undefined) result.passed = passed;
            const fn = required ? mark(['required'], () => result) : () => result;
            const outcome = await outcomeOf(fn);
            let want: string = expectedStatus(label, score, passed);
            // A required eval needs a verdict: skipped and neutral answers fail it.
            if (required && (want === 'skipped' || want === 'reported')) want = 'failed';
            if (outcome.status !== want)
              rows.push(`${JSON.stringify(result)} → ${outcome.status}, want ${want}`);
            // Whatever the table says, these labels never pass.
            if (outcome.status === 'passed' && ['fail', 'error', 'skipped'].includes(label ?? ''))
              rows.push(`${JSON.stringify(result)} passed`);
          }
      expect(rows).toEqual([]);
    });
  }

  it('the cases Python looplet pins: a fail, error or skipped label beats a perfect score', async () => {
    expect(await outcomeOf(() => ({ score: 1, label: 'error' }))).toMatchObject({
      status: 'failed',
      passed: false,
      score: 1,
      label: 'error',
      reason: 'label "error" overrides score 1.00',
    });
    expect(await outcomeOf(() => ({ score: 1, label: 'FAIL', reason: 'judge says no' }))).toMatchObject({
      status: 'failed',
      reason: 'judge says no',
    });
    const skipped = await outcomeOf(() => ({ score: 1, label: 'skipped' }));
    expect(skipped).toMatchObject({ status: 'skipped', label: 'skipped' });
    expect(skipped.passed).toBeUndefined();
    expect(skipped.score).toBeUndefined();
    expect(skipped.reason).toBe('returned label "skipped" (with score 1.00): not scored');
    const required = await outcomeOf(mark(['required'], () => ({ score: 1, label: 'skipped' })));
    expect(required).toMatchObject({ status: 'failed', passed: false });
    expect(required.reason).toContain('required eval skipped');
  });

  it('a bare "skipped" or "skip" label is a skip; "error" is a failure', async () => {
    expect(verdict(await outcomeOf(() => 'skipped'))).toMatchObject({ status: 'skipped', label: 'skipped' });
    expect(verdict(await outcomeOf(() => 'Skip'))).toMatchObject({ status: 'skipped', label: 'Skip' });
    expect(verdict(await outcomeOf(() => 'error'))).toMatchObject({ status: 'failed', passed: false });
    expect((await outcomeOf(mark(['required'], () => 'skipped'))).status).toBe('failed');
  });
});
