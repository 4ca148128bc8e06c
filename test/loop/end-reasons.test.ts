import { afterAll, describe, expect, it } from 'vitest';
import { END_REASONS } from '../../src/core/types.js';
import {
  agentLoop,
  defineTool,
  type EndReason,
  type Hook,
  type RunResult,
  ScriptExhaustedError,
  ScriptedLLM,
} from '../../src/index.js';
import { call, done, echoTool, RecordingLLM } from './support.js';

// Every test records the end reason it produced; the last check makes sure the closed union is
// covered, so adding an end reason without a test here fails.
const seen = new Set<EndReason>();
function saw(result: RunResult): RunResult {
  seen.add(result.endReason);
  return result;
}

describe('end reasons', () => {
  it('done: the done tool ends the run and its arguments are the final output', async () => {
    const llm = new ScriptedLLM([call('echo', { text: 'hi' }), done('all good')]);
    const result = saw(await agentLoop({ llm, tools: [echoTool('echo')], task: 'say hi' }).result);
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ summary: 'all good' });
    expect(result.steps).toHaveLength(2);
    expect(result.stopReason).toBeUndefined();
    llm.assertComplete();
  });

  it('done: a plain text answer (no tool calls) ends the run with the text as final output', async () => {
    const llm = new ScriptedLLM([call('echo', { text: 'hi' }), { text: 'The answer is 42.' }]);
    const result = saw(await agentLoop({ llm, tools: [echoTool('echo')], task: 'answer' }).result);
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toBe('The answer is 42.');
    expect(result.steps[1]?.toolCalls).toEqual([]);
    expect(result.steps[1]?.text).toBe('The answer is 42.');
  });

  it('max_steps: the run stops after maxSteps model calls and says so', async () => {
    const llm = new ScriptedLLM(Array.from({ length: 10 }, () => call('echo', { text: 'again' })));
    const result = saw(await agentLoop({ llm, tools: [echoTool('echo')], task: 'loop', maxSteps: 3 }).result);
    expect(result.endReason).toBe('max_steps');
    expect(result.steps).toHaveLength(3);
    expect(llm.calls).toBe(3);
    expect(result.stopReason).toContain('maxSteps (3)');
  });

  const stoppers: Array<{ method: keyof Hook; steps: number; modelCalls: number }> = [
    { method: 'preLoop', steps: 0, modelCalls: 0 },
    { method: 'prePrompt', steps: 0, modelCalls: 0 },
    { method: 'preDispatch', steps: 1, modelCalls: 1 },
    { method: 'checkPermission', steps: 1, modelCalls: 1 },
    { method: 'postDispatch', steps: 1, modelCalls: 1 },
    { method: 'onStep', steps: 1, modelCalls: 1 },
    { method: 'shouldStop', steps: 1, modelCalls: 1 },
  ];
  it.each(stoppers)('hook_stop: a stop from $method ends the run with the hook reason', async (c) => {
    const llm = new ScriptedLLM([call('echo', { text: 'x' }), done()]);
    const hook: Hook = { name: 'stopper', [c.method]: () => ({ stop: `stopped in ${c.method}` }) };
    const result = saw(await agentLoop({ llm, tools: [echoTool('echo')], task: 't', hooks: [hook] }).result);
    expect(result.endReason).toBe('hook_stop');
    expect(result.stopReason).toBe(`stopped in ${c.method}`);
    expect(result.steps).toHaveLength(c.steps);
    expect(llm.calls).toBe(c.modelCalls);
  });

  it('hook_stop: a stop from checkDone ends the run at the done step, not with done', async () => {
    const llm = new ScriptedLLM([call('echo', { text: 'x' }), done('finished')]);
    const hook: Hook = { checkDone: () => ({ stop: 'the grader gave up' }) };
    const result = saw(await agentLoop({ llm, tools: [echoTool('echo')], task: 't', hooks: [hook] }).result);
    expect(result.endReason).toBe('hook_stop');
    expect(result.stopReason).toBe('the grader gave up');
    expect(result.finalOutput).toBeUndefined();
    expect(result.steps).toHaveLength(2);
  });

  it('hook_stop: a stop in preDispatch (without block) still lets that call run, then ends', async () => {
    const log: Array<{ name: string; args: Record<string, unknown> }> = [];
    const llm = new ScriptedLLM([call('echo', { text: 'x' }), done()]);
    const hook: Hook = { preDispatch: () => ({ stop: 'enough' }) };
    const result = await agentLoop({ llm, tools: [echoTool('echo', log)], task: 't', hooks: [hook] }).result;
    expect(log).toEqual([{ name: 'echo', args: { text: 'x' } }]);
    expect(result.steps[0]?.results[0]?.data).toEqual({ echoed: 'x' });
    expect(result.endReason).toBe('hook_stop');
  });

  it('llm_error: the backend throwing ends the run and keeps the error', async () => {
    const failure = new Error('503 from provider');
    const llm = new ScriptedLLM([call('echo', { text: 'x' }), { error: failure }]);
    const result = saw(await agentLoop({ llm, tools: [echoTool('echo')], task: 't' }).result);
    expect(result.endReason).toBe('llm_error');
    expect(result.error).toBe(failure);
    expect(result.stopReason).toBe('503 from provider');
    expect(result.steps).toHaveLength(1);
  });

  it('llm_error: a non-Error thrown by the backend is wrapped in an Error', async () => {
    const llm = new ScriptedLLM([
      () => {
        throw 'plain string failure';
      },
    ]);
    const result = await agentLoop({ llm, task: 't' }).result;
    expect(result.endReason).toBe('llm_error');
    expect(result.error).toBeInstanceOf(Error);
    expect(result.error?.message).toBe('plain string failure');
  });

  it('tool_error_limit: consecutive steps with only failing calls end the run', async () => {
    const failing = defineTool({
      name: 'flaky',
      description: 'always fails',
      parameters: { type: 'object' },
      run: () => {
        throw new Error('disk full');
      },
    });
    const llm = new ScriptedLLM(Array.from({ length: 10 }, () => call('flaky')));
    const result = saw(
      await agentLoop({ llm, tools: [failing], task: 't', maxConsecutiveToolErrors: 3 }).result,
    );
    expect(result.endReason).toBe('tool_error_limit');
    expect(result.steps).toHaveLength(3);
    expect(result.stopReason).toContain('3 steps in a row');
  });

  it('tool_error_limit: a step with one successful call resets the count', async () => {
    const llm = new ScriptedLLM([
      call('nope'),
      call('nope'),
      call('echo', { text: 'ok' }),
      call('nope'),
      call('nope'),
      done(),
    ]);
    const result = await agentLoop({
      llm,
      tools: [echoTool('echo')],
      task: 't',
      maxConsecutiveToolErrors: 3,
    }).result;
    expect(result.endReason).toBe('done');
    expect(result.steps).toHaveLength(6);
  });

  it('aborted: aborting the signal ends the run with the abort reason', async () => {
    const controller = new AbortController();
    const llm = new ScriptedLLM([call('echo', { text: 'x' }), call('echo', { text: 'y' }), done()]);
    const run = agentLoop({ llm, tools: [echoTool('echo')], task: 't', signal: controller.signal });
    for await (const step of run) if (step.index === 1) controller.abort(new Error('user pressed ^C'));
    const result = saw(await run.result);
    expect(result.endReason).toBe('aborted');
    expect(result.stopReason).toBe('user pressed ^C');
    expect(result.steps).toHaveLength(1);
    expect(llm.calls).toBe(1);
  });

  it('replay_exhausted: a ScriptedLLM that runs out ends the run with a typed error', async () => {
    const llm = new RecordingLLM([call('echo', { text: 'x' })]);
    const result = saw(await agentLoop({ llm, tools: [echoTool('echo')], task: 't' }).result);
    expect(result.endReason).toBe('replay_exhausted');
    expect(result.error).toBeInstanceOf(ScriptExhaustedError);
    expect((result.error as ScriptExhaustedError).callIndex).toBe(2);
    expect(result.stopReason).toContain('model call #2');
    expect(result.steps).toHaveLength(1);
  });

  it('hook_stop wins over a consumer that breaks out right after the stopping step', async () => {
    const llm = new ScriptedLLM([call('echo', { text: 'x' }), done()]);
    const run = agentLoop({
      llm,
      tools: [echoTool('echo')],
      task: 't',
      hooks: [{ onStep: () => ({ stop: 'seen enough' }) }],
    });
    for await (const _ of run) break;
    const result = await run.result;
    expect(result.endReason).toBe('hook_stop');
    expect(result.stopReason).toBe('seen enough');
  });

  it('aborted wins over tool_error_limit when the abort is what failed the calls', async () => {
    const controller = new AbortController();
    const stubborn = defineTool({
      name: 'stubborn',
      description: 'ignores the signal',
      parameters: { type: 'object' },
      run: () => {
        controller.abort(new Error('user cancelled'));
        return new Promise(() => {});
      },
    });
    const llm = new ScriptedLLM([call('stubborn'), done()]);
    const result = await agentLoop({
      llm,
      tools: [stubborn],
      task: 't',
      signal: controller.signal,
      maxConsecutiveToolErrors: 1,
    }).result;
    expect(result.endReason).toBe('aborted');
    expect(result.stopReason).toBe('user cancelled');
  });

  afterAll(() => {
    expect([...seen].sort()).toEqual([...END_REASONS].sort());
  });
});
