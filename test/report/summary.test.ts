import { describe, expect, it } from 'vitest';
import { mergeSummaries, summarizeRun } from '../../src/evals/index.js';
import { REPORT_SCHEMA_VERSION } from '../../src/report/summary.js';
import { outcome, outcomes } from './support.js';

describe('summarize', () => {
  it('aggregates per eval: counts, pass rate over verdicts, mean/min/max score, metric means', () => {
    const summary = summarizeRun({
      outcomes: [
        ...outcomes({ eval_quality: { t1: 0.9, t2: 0.4, t3: 'error', t4: 'skipped' } }),
        ...outcomes({
          eval_cost: { t1: { metrics: { steps: 4 } }, t2: { metrics: { steps: 6, tokens: 100 } } },
        }),
      ],
    });
    expect(summary.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(summary.totals).toEqual({
      evals: 2,
      contexts: 4,
      outcomes: 6,
      passed: 1,
      failed: 1,
      reported: 2,
      skipped: 1,
      errors: 1,
      requiredFailed: 0,
      infrastructureErrors: 0,
      diverged: 0,
    });
    const [cost, quality] = summary.evals;
    expect(quality).toMatchObject({
      name: 'eval_quality',
      total: 4,
      passed: 1,
      failed: 1,
      errors: 1,
      skipped: 1,
      passRate: 0.5,
      meanScore: 0.65,
      minScore: 0.4,
      maxScore: 0.9,
    });
    expect(cost).toMatchObject({ name: 'eval_cost', passRate: null, meanScore: null, reported: 2 });
    expect(cost?.metrics).toEqual({
      steps: { mean: 5, min: 4, max: 6, count: 2 },
      tokens: { mean: 100, min: 100, max: 100, count: 1 },
    });
  });

  it('counts required failures and keeps infrastructure errors apart from eval outcomes', () => {
    const summary = summarizeRun({
      outcomes: outcomes({ eval_gate: { t1: 0, t2: 1 } }, { required: true }),
      infrastructureErrors: [{ source: 'traces/broken', message: 'trace.json is truncated', kind: 'trace' }],
      contexts: ['t1', 't2', 'traces/broken'],
    });
    expect(summary.totals).toMatchObject({
      requiredFailed: 1,
      infrastructureErrors: 1,
      contexts: 3,
      errors: 0,
    });
    expect(summary.evals[0]?.required).toBe(true);
  });

  it('is independent of outcome order, so shards merge into the summary of the whole run', () => {
    const all = outcomes({ eval_a: { t1: 1, t2: 0, t3: 0.7 }, eval_b: { t1: 0.2, t2: 'error', t3: 1 } });
    const whole = summarizeRun({ outcomes: all });
    expect(summarizeRun({ outcomes: [...all].reverse() })).toEqual(whole);
    const shards = [
      summarizeRun({ outcomes: all.slice(0, 2) }),
      summarizeRun({ outcomes: all.slice(2, 4) }),
      summarizeRun({ outcomes: all.slice(4) }),
    ];
    expect(mergeSummaries({ summaries: shards })).toEqual(whole);
    expect(whole.outcomes.map((item) => `${item.name}/${item.context}`)).toEqual([
      'eval_a/t1',
      'eval_a/t2',
      'eval_a/t3',
      'eval_b/t1',
      'eval_b/t2',
      'eval_b/t3',
    ]);
  });

  it('scores of failed outcomes count in the mean; scores of errors do not', () => {
    const summary = summarizeRun({
      outcomes: [
        outcome({ name: 'eval_x', context: 'a', status: 'failed', score: 0.2 }),
        outcome({ name: 'eval_x', context: 'b', status: 'passed', score: 1 }),
        outcome({
          name: 'eval_x',
          context: 'c',
          status: 'error',
          score: 1,
          error: { kind: 'threw', message: 'x' },
        }),
      ],
    });
    expect(summary.evals[0]?.meanScore).toBeCloseTo(0.6);
  });

  it('counts each known status once and a status it does not know nowhere (a hand-edited report)', () => {
    const known = outcomes({ eval_x: { t1: 1, t2: 0, t3: 'error', t4: 'skipped' } }, { required: true });
    const odd = { ...outcome({ name: 'eval_x', context: 't5', status: 'passed' }), status: 'flaky' };
    const summary = summarizeRun({ outcomes: [...known, odd as (typeof known)[number]] });
    expect(summary.totals).toMatchObject({ outcomes: 5, passed: 1, failed: 1, errors: 1, skipped: 1 });
    expect(summary.totals.requiredFailed).toBe(1);
    expect(summary.evals[0]).toMatchObject({ total: 5, passed: 1, failed: 1, errors: 1, skipped: 1 });
  });

  it('summarises only the metrics an outcome holds itself, not inherited ones', () => {
    const inherited = Object.assign(Object.create({ leaked: 1 }), { z: 2, a: 1 }) as Record<string, number>;
    const summary = summarizeRun({
      outcomes: [{ ...outcome({ name: 'eval_m', context: 't1', status: 'reported' }), metrics: inherited }],
    });
    expect(Object.keys(summary.evals[0]?.metrics ?? {})).toEqual(['a', 'z']);
  });
});
