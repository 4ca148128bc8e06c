import { cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  contextFromTrace,
  type EvalContext,
  evalHook,
  mark,
  runEvals,
  summarizeRun,
} from '../../src/evals/index.js';
import {
  agentLoop,
  fixedClock,
  ProvenanceSink,
  readTrace,
  ScriptedLLM,
  sequentialIds,
} from '../../src/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { greet } from './support.js';

/** The trace Python looplet 0.3 wrote (copied unchanged from the shared fixtures). */
const PYTHON_TRACE = fileURLToPath(new URL('../../fixtures/python-trace', import.meta.url));

const temp = useTempDir('looplet-trace-ctx-');

/** The evals Python looplet's regression demo ran on this trace (its evals.json records the results). */
const pythonEvals = {
  eval_completed: (ctx: EvalContext) => ctx.completed,
  eval_profit_is_correct: mark(
    ['required'],
    (ctx: EvalContext) => ctx.artifacts.observed_profit === ctx.expected.profit,
  ),
};

describe('contexts from trace directories', () => {
  it('reads a Python looplet trace and reproduces the verdicts Python looplet recorded', async () => {
    const ctx = contextFromTrace({ trace: await readTrace(PYTHON_TRACE) });
    expect(ctx.id).toBe('python-trace');
    expect(ctx.source).toEqual({ kind: 'trace', dir: PYTHON_TRACE, format: 'python-looplet' });
    expect(ctx.goal).toBe('Publish report.json for revenue 120 and cost 80, then finish.');
    expect(ctx.endReason).toBe('done');
    expect(ctx.finalOutput).toEqual({ summary: 'published report.json' });
    expect(ctx.artifacts.observed_profit).toBe(200);
    expect(ctx.expected).toEqual({ profit: 40 });
    expect(ctx.toolCalls.map((call) => [call.step, call.name, call.args])).toEqual([
      [1, 'publish_report', { revenue: 120, cost: 80 }],
      [2, 'done', { summary: 'published report.json' }],
    ]);
    expect(ctx.lastCall('publish_report')?.data).toEqual({ written: 'report.json', profit: 200 });

    const outcomes = await runEvals({ evals: pythonEvals, contexts: [ctx] });
    expect(outcomes.map((outcome) => [outcome.name, outcome.status, outcome.score])).toEqual([
      ['eval_completed', 'passed', 1],
      ['eval_profit_is_correct', 'failed', 0],
    ]);
  });

  it('gives the same context and the same outcomes from a recorded trace as from the live run', async () => {
    const evals = {
      eval_completed: (ctx: EvalContext) => ctx.completed,
      eval_greeted: (ctx: EvalContext) =>
        ctx
          .calls('greet')
          .map((call) => call.args.name)
          .join(',') === 'Alice,Bob',
      eval_steps: (ctx: EvalContext) => ({
        steps: ctx.steps.length,
        calls: ctx.toolCalls.length,
        errors: ctx.toolErrors.length,
      }),
      eval_artifact: (ctx: EvalContext) => ctx.artifacts.greeted === 2,
    };
    const dir = join(temp.path, 'greeter');
    const sink = new ProvenanceSink({ dir });
    const live = evalHook({ evals, collectors: [({ state }) => ({ greeted: state.steps.length - 1 })] });
    const run = agentLoop({
      llm: sink.wrapLLM(
        new ScriptedLLM([
          { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
          { toolCalls: [{ name: 'greet', args: { name: 'Bob' } }] },
          { toolCalls: [{ name: 'done', args: { summary: 'greeted both' } }] },
        ]),
      ),
      tools: [greet],
      task: { goal: 'Greet Alice and Bob' },
      hooks: [live, sink.hook()],
      clock: fixedClock(),
      ids: sequentialIds(),
    });
    await run.result;
    sink.artifacts = live.context!.artifacts;
    await sink.flush();

    const fromTrace = contextFromTrace({ trace: await readTrace(dir) });
    const liveCtx = live.context!;
    for (const field of [
      'task',
      'goal',
      'endReason',
      'stopReason',
      'finalOutput',
      'usage',
      'stepCount',
      'artifacts',
      'completed',
    ] as const)
      expect(fromTrace[field], field).toEqual(liveCtx[field]);
    const shape = (ctx: EvalContext) =>
      ctx.toolCalls.map(({ step, id, name, args, data, error }) => ({ step, id, name, args, data, error }));
    expect(shape(fromTrace)).toEqual(shape(liveCtx));

    const fromTraceOutcomes = await runEvals({ evals, contexts: [fromTrace] });
    const strip = (outcomes: readonly { name: string; status: string; score?: number; metrics: object }[]) =>
      outcomes.map(({ name, status, score, metrics }) => ({ name, status, score, metrics }));
    expect(strip(fromTraceOutcomes)).toEqual(strip(live.outcomes));
    expect(strip(fromTraceOutcomes).map((outcome) => outcome.status)).toEqual([
      'passed',
      'passed',
      'reported',
      'passed',
    ]);
  });

  it('reads step files only when an eval needs steps: a damaged step file fails only those evals', async () => {
    const dir = join(temp.path, 'greeter');
    const sink = new ProvenanceSink({ dir });
    await agentLoop({
      llm: sink.wrapLLM(
        new ScriptedLLM([
          { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
          { toolCalls: [{ name: 'done', args: { summary: 'ok' } }] },
        ]),
      ),
      tools: [greet],
      task: 'Greet Alice',
      hooks: [sink.hook()],
    }).result;
    await sink.flush();
    const copy = join(temp.path, 'damaged');
    await cp(dir, copy, { recursive: true });
    const stepFiles = (await readdir(copy, { recursive: true })).filter((file) => /step.*\.json$/.test(file));
    expect(stepFiles.length).toBeGreaterThan(0);
    const trace = await readTrace(copy);
    for (const file of stepFiles) await rm(join(copy, file));

    const outcomes = await runEvals({
      evals: {
        eval_completed: (ctx: EvalContext) => ctx.completed,
        eval_output: (ctx: EvalContext) => ctx.finalOutput !== undefined,
        eval_greeted: (ctx: EvalContext) => ctx.calls('greet').length === 1,
      },
      contexts: [contextFromTrace({ trace })],
    });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['passed', 'passed', 'error']);
    expect(outcomes[2]?.error?.message).toMatch(/step/);
    expect(summarizeRun({ outcomes }).totals).toMatchObject({ passed: 2, errors: 1 });
  });
});
