import { describe, expect, it } from 'vitest';
import { toEvalDefinitions } from '../../src/evals/definitions.js';
import { contextFromRun, contextFromTrace, type EvalContext, runEval } from '../../src/evals/index.js';
import { agentLoop, ScriptedLLM } from '../../src/index.js';
import { greet, greeterRun, memoryTrace } from './support.js';

describe('contextFromRun', () => {
  it('exposes task, steps, flattened tool calls, output, end reason and usage of a live run', async () => {
    const { result, state } = await greeterRun(['Alice', 'Bob']);
    const ctx = contextFromRun({ result, state, expected: { greeted: 2 }, artifacts: { wrote: true } });

    expect(ctx.id).toBe('run_1');
    expect(ctx.source).toEqual({ kind: 'run', runId: 'run_1' });
    expect(ctx.goal).toBe('Greet Alice and Bob');
    expect(ctx.endReason).toBe('done');
    expect(ctx.completed).toBe(true);
    expect(ctx.stepCount).toBe(3);
    expect(ctx.steps).toHaveLength(3);
    expect(ctx.finalOutput).toEqual({ summary: 'greeted Alice, Bob' });
    expect(ctx.toolCalls.map((call) => [call.step, call.name, call.args])).toEqual([
      [1, 'greet', { name: 'Alice' }],
      [2, 'greet', { name: 'Bob' }],
      [3, 'done', { summary: 'greeted Alice, Bob' }],
    ]);
    expect(ctx.calls('greet').map((call) => call.data)).toEqual([
      { greeting: 'Hello, Alice!' },
      { greeting: 'Hello, Bob!' },
    ]);
    expect(ctx.lastCall('greet')?.args).toEqual({ name: 'Bob' });
    expect(ctx.lastCall()?.name).toBe('done');
    expect(ctx.toolErrors).toEqual([]);
    expect(ctx.expected).toEqual({ greeted: 2 });
    expect(ctx.artifacts).toEqual({ wrote: true });
    expect(ctx.model).toBe('scripted');
  });

  it('lists failed tool calls in toolErrors and reports a run stopped early as not completed', async () => {
    const llm = new ScriptedLLM([{ toolCalls: [{ name: 'greet', args: { name: 'Mallory' } }] }]);
    const run = agentLoop({ llm, tools: [greet], task: 'Greet Mallory', maxSteps: 1 });
    const result = await run.result;
    const ctx = contextFromRun({ result, state: run.state, id: 'mallory' });

    expect(ctx.id).toBe('mallory');
    expect(ctx.goal).toBe('Greet Mallory');
    expect(ctx.endReason).toBe('max_steps');
    expect(ctx.completed).toBe(false);
    expect(ctx.finalOutput).toBeUndefined();
    expect(ctx.toolErrors).toHaveLength(1);
    expect(ctx.toolErrors[0]?.error?.kind).toBe('tool_threw');
    expect(ctx.toolErrors[0]?.error?.message).toContain('refusing to greet Mallory');
  });
});

describe('contextFromTrace', () => {
  it('gives the same shape as a live run, with artifacts and expected from the trace', () => {
    const trace = memoryTrace();
    const ctx = contextFromTrace({ trace });

    expect(ctx.id).toBe('report_run');
    expect(ctx.source).toEqual({ kind: 'trace', dir: '/traces/report_run', format: 'looplet' });
    expect(ctx.goal).toBe('Publish the report');
    expect(ctx.endReason).toBe('done');
    expect(ctx.stepCount).toBe(3);
    expect(ctx.usage.totalTokens).toBe(45);
    expect(ctx.artifacts).toEqual({ report_ok: true });
    expect(ctx.expected).toEqual({ profit: 40 });
    expect(ctx.calls('publish_report').map((call) => call.step)).toEqual([1, 2]);
    expect(ctx.toolErrors.map((call) => call.name)).toEqual(['lookup']);
    expect(ctx.calls()).toHaveLength(4);
  });

  it('reads no step until an eval touches steps, then each step once', () => {
    const trace = memoryTrace();
    const ctx = contextFromTrace({ trace, id: 'golden/report_run' });
    expect(ctx.id).toBe('golden/report_run');
    // What most evals read comes from the trace's metadata, without opening a step.
    expect([
      ctx.endReason,
      ctx.completed,
      ctx.finalOutput,
      ctx.artifacts,
      ctx.expected,
      ctx.stepCount,
    ]).toEqual(['done', true, { summary: 'published' }, { report_ok: true }, { profit: 40 }, 3]);
    expect(trace.reads).toEqual([]);

    expect(ctx.toolCalls).toHaveLength(4);
    expect(ctx.steps).toHaveLength(3);
    ctx.calls('lookup');
    expect(trace.reads).toEqual([1, 2, 3]);
  });

  it('scores thousands of traces on their metadata without reading a step', async () => {
    const [completed] = toEvalDefinitions({ evals: { eval_completed: (ctx: EvalContext) => ctx.completed } });
    const traces = Array.from({ length: 2000 }, (_, index) => memoryTrace({ dir: `/t/run_${index}` }));
    for (const trace of traces) {
      const outcome = await runEval({ eval: completed!, context: contextFromTrace({ trace }) });
      expect(outcome.status).toBe('passed');
    }
    expect(traces.every((trace) => trace.reads.length === 0)).toBe(true);
  });

  it('turns an unreadable step into an error of the eval that read it, not of the others', async () => {
    const ctx = contextFromTrace({ trace: memoryTrace({ failStepRead: true }) });
    const evals = toEvalDefinitions({
      evals: {
        eval_done: (c: EvalContext) => c.completed,
        eval_calls: (c: EvalContext) => c.calls('publish_report').length === 2,
      },
    });
    const done = await runEval({ eval: evals[0]!, context: ctx });
    const calls = await runEval({ eval: evals[1]!, context: ctx });
    expect(done.status).toBe('passed');
    expect(calls.status).toBe('error');
    expect(calls.error?.message).toContain('truncated');
  });
});
