import { describe, expect, it } from 'vitest';
import { toEvalDefinitions } from '../../src/evals/definitions.js';
import {
  contextFromTrace,
  type EvalContext,
  EvalDefinitionError,
  mark,
  runEvals,
  selectEvals,
} from '../../src/evals/index.js';
import { marksOf } from '../../src/evals/marks.js';
import { memoryTrace } from './support.js';

const contexts = [contextFromTrace({ trace: memoryTrace() })];

describe('mark', () => {
  it('records tags and options without changing the function it wraps', () => {
    const plain = (ctx: EvalContext) => ctx.completed;
    const marked = mark(['smoke', 'required'], plain);
    expect(marksOf(marked)).toEqual({ tags: ['smoke', 'required'], required: true, judge: false });
    expect(marksOf(plain)).toEqual({ tags: [], required: false, judge: false });
    expect(marked(contexts[0]!)).toBe(true);

    const options = mark({ tags: ['slow'], threshold: 0.8, timeout: 5000, skip: 'flaky upstream' }, plain);
    expect(marksOf(options)).toEqual({
      tags: ['slow'],
      required: false,
      judge: false,
      threshold: 0.8,
      timeoutMs: 5000,
      skip: 'flaky upstream',
    });
  });

  it('stacks: an outer mark adds tags and overrides options', () => {
    const fn = mark(
      { tags: ['slow'], threshold: 0.9 },
      mark({ tags: ['required'], threshold: 0.6 }, () => 1),
    );
    expect(marksOf(fn)).toMatchObject({ tags: ['required', 'slow'], required: true, threshold: 0.9 });
  });

  it('rejects a threshold outside 0..1, a bad timeout, an unknown option and a non-function', () => {
    expect(() => mark({ threshold: 1.5 }, () => true)).toThrow(EvalDefinitionError);
    expect(() => mark({ threshold: Number.NaN }, () => true)).toThrow(
      /threshold must be a number from 0 to 1/,
    );
    expect(() => mark({ timeout: -1 }, () => true)).toThrow(/timeout must be a positive number/);
    expect(() => mark({ tag: ['x'] } as never, () => true)).toThrow(/unknown option "tag"/);
    expect(() => mark(['x'], 'nope' as never)).toThrow(/must be the eval function/);
  });
});

describe('selection, skip, required and thresholds', () => {
  const evals = {
    eval_smoke: mark(['smoke'], () => true),
    eval_slow: mark(['slow'], () => true),
    eval_plain: () => true,
    eval_gate: mark(['required'], () => true),
  };

  it('include keeps evals with any listed tag, exclude drops any with a listed tag', async () => {
    const names = async (filters: { include?: string[]; exclude?: string[] }) =>
      (
        await runEvals({
          evals: { eval_smoke: evals.eval_smoke, eval_slow: evals.eval_slow, eval_plain: evals.eval_plain },
          contexts,
          ...filters,
        })
      ).map((outcome) => outcome.name);
    expect(await names({})).toEqual(['eval_smoke', 'eval_slow', 'eval_plain']);
    expect(await names({ include: ['smoke', 'slow'] })).toEqual(['eval_smoke', 'eval_slow']);
    expect(await names({ exclude: ['slow'] })).toEqual(['eval_smoke', 'eval_plain']);
    expect(await names({ include: ['smoke'], exclude: ['smoke'] })).toEqual([]);
  });

  it('a required eval that the filters leave out is reported as failed, not silently dropped', async () => {
    const selected = selectEvals({ evals: toEvalDefinitions({ evals }), include: ['smoke'] });
    expect(selected.map((item) => [item.eval.name, item.deselected])).toEqual([
      ['eval_smoke', undefined],
      ['eval_gate', 'required eval left out by include [smoke]'],
    ]);
    const outcomes = await runEvals({ evals, contexts, exclude: ['required'] });
    const gate = outcomes.find((outcome) => outcome.name === 'eval_gate');
    expect(gate).toMatchObject({ status: 'failed', passed: false, required: true });
    expect(gate?.reason).toContain('required eval skipped: required eval left out by exclude [required]');
  });

  it('skip reports the eval as skipped without running it; a skipped required eval fails', async () => {
    let ran = false;
    const outcomes = await runEvals({
      evals: {
        eval_later: mark({ skip: 'not ready' }, () => {
          ran = true;
          return true;
        }),
        eval_must: mark({ required: true, skip: true }, () => true),
      },
      contexts,
    });
    expect(ran).toBe(false);
    expect(outcomes[0]).toMatchObject({ status: 'skipped', reason: 'not ready' });
    expect(outcomes[0]?.passed).toBeUndefined();
    expect(outcomes[1]).toMatchObject({
      status: 'failed',
      passed: false,
      reason: 'required eval skipped: marked skip',
    });
  });

  it('a required eval must give a verdict: metrics or a neutral label fail it', async () => {
    const outcomes = await runEvals({
      evals: {
        eval_metrics: mark(['required'], () => ({ steps: 3 })),
        eval_label: mark(['required'], () => 'partial'),
        eval_error: mark(['required'], () => Number.NaN),
      },
      contexts,
    });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'failed', 'error']);
    expect(outcomes[0]?.reason).toContain('returned only metrics');
    expect(outcomes[0]?.metrics).toEqual({ steps: 3 });
    expect(outcomes[1]?.reason).toContain('"partial"');
  });

  it('a per-eval threshold overrides the run threshold; the run threshold never lowers a required eval', async () => {
    const outcomes = await runEvals({
      evals: {
        eval_own: mark({ threshold: 0.2 }, () => 0.3),
        eval_run: () => 0.3,
        eval_required: mark(['required'], () => 0.3),
        eval_required_strict: mark(['required'], () => 0.6),
      },
      contexts,
      threshold: 0.1,
    });
    expect(outcomes.map((outcome) => [outcome.name, outcome.status, outcome.threshold])).toEqual([
      ['eval_own', 'passed', 0.2],
      ['eval_run', 'passed', 0.1],
      ['eval_required', 'failed', 0.5],
      ['eval_required_strict', 'passed', 0.5],
    ]);
    const strict = await runEvals({
      evals: { eval_required: mark(['required'], () => 0.6) },
      contexts,
      threshold: 0.7,
    });
    expect(strict[0]).toMatchObject({ status: 'failed', threshold: 0.7 });
  });

  it('scope limits an eval to runs whose id matches a glob: other runs get no outcome from it at all', async () => {
    const traces = ['greeter/alice', 'greeter/bob', 'report/profit'].map((id) =>
      contextFromTrace({ trace: memoryTrace({ dir: `/traces/${id}` }), id }),
    );
    const outcomes = await runEvals({
      evals: {
        eval_greeted: mark({ scope: 'greeter/**' }, () => true),
        eval_profit: mark({ scope: ['report/*', 'profit_*'], tags: ['required'] }, () => true),
        eval_all: () => true,
      },
      contexts: traces,
    });
    expect(outcomes.map((outcome) => `${outcome.name} › ${outcome.context}`)).toEqual([
      'eval_greeted › greeter/alice',
      'eval_all › greeter/alice',
      'eval_greeted › greeter/bob',
      'eval_all › greeter/bob',
      'eval_profit › report/profit',
      'eval_all › report/profit',
    ]);
    expect(() => mark({ scope: [] }, () => true)).toThrow(/scope must be a glob pattern or a non-empty list/);
  });
});

describe('marks live on the function', () => {
  it('are read by another copy of looplet loaded in the same process', async () => {
    // A second module instance of marks.ts (as when an eval file's `looplet/evals` is transformed
    // by vite while the runner loads looplet natively): it has none of the first copy's state.
    // @ts-expect-error -- the query string (vite's way to load a module twice) has no declarations
    const copy: typeof import('../../src/evals/marks.js') = await import('../../src/evals/marks.ts?copy');
    expect(copy.marksOf).not.toBe(marksOf);
    const marked = mark({ tags: ['slow'], threshold: 0.7 }, (ctx: EvalContext) => ctx.completed);
    expect(copy.marksOf(marked)).toMatchObject({ tags: ['slow'], threshold: 0.7, required: false });
    const stacked = copy.mark(['required'], marked);
    expect(marksOf(stacked)).toMatchObject({ tags: ['slow', 'required'], required: true, threshold: 0.7 });
  });

  it('cannot be changed by the eval they mark', () => {
    const marked = mark(['slow'], () => true) as unknown as Record<symbol, unknown>;
    const key = Symbol.for('looplet.mark');
    expect(Object.keys(marked)).toEqual([]);
    expect(() => {
      marked[key] = { tags: ['other'] };
    }).toThrow(TypeError);
    expect(marksOf(marked as never).tags).toEqual(['slow']);
  });
});
