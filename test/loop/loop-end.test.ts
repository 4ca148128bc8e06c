import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  type Hook,
  HookError,
  ProvenanceSink,
  type RunResult,
  readTrace,
  ScriptedLLM,
  type ScriptedTurn,
} from '../../src/index.js';
import { tempDir } from '../provenance/helpers.js';
import { call, deferred, done, echoTool } from './support.js';

/** A hook that counts its onLoopEnd calls and keeps the result it was given. */
function endCounter(): Hook & { calls: number; results: RunResult[] } {
  const hook = {
    name: 'end-counter',
    calls: 0,
    results: [] as RunResult[],
    onLoopEnd({ result }: { result: RunResult }) {
      hook.calls++;
      hook.results.push(result);
    },
  };
  return hook;
}

/** Iterates a run to the end, returning the error the for-await threw (if any). */
async function iterate(run: AsyncIterable<unknown>): Promise<unknown> {
  try {
    for await (const _ of run);
    return undefined;
  } catch (error) {
    return error;
  }
}

const script: ScriptedTurn[] = [call('echo', { text: 'one' }), call('echo', { text: 'two' }), done()];

describe('onLoopEnd runs exactly once on every exit path', () => {
  const endings: Array<{
    name: string;
    turns: ScriptedTurn[];
    hooks?: Hook[];
    maxSteps?: number;
    reason: string;
  }> = [
    { name: 'done', turns: script, reason: 'done' },
    { name: 'plain text answer', turns: [{ text: 'answer' }], reason: 'done' },
    { name: 'max_steps', turns: script, maxSteps: 1, reason: 'max_steps' },
    {
      name: 'hook stop',
      turns: script,
      hooks: [{ shouldStop: () => ({ stop: 'budget' }) }],
      reason: 'hook_stop',
    },
    { name: 'llm error', turns: [{ error: new Error('boom') }], reason: 'llm_error' },
    { name: 'script exhausted', turns: [call('echo', { text: 'x' })], reason: 'replay_exhausted' },
    {
      name: 'tool error limit',
      turns: [call('nope'), call('nope')],
      reason: 'tool_error_limit',
    },
  ];
  it.each(endings)('$name', async (c) => {
    const counter = endCounter();
    const run = agentLoop({
      llm: new ScriptedLLM(c.turns),
      tools: [echoTool('echo')],
      task: 't',
      hooks: [...(c.hooks ?? []), counter],
      ...(c.maxSteps ? { maxSteps: c.maxSteps } : {}),
      maxConsecutiveToolErrors: 2,
    });
    expect(await iterate(run)).toBeUndefined();
    const result = await run.result;
    expect(result.endReason).toBe(c.reason);
    expect(counter.calls).toBe(1);
    expect(counter.results[0]).toBe(result);
  });

  const throwingMethods: Array<{ method: keyof Hook; step: number }> = [
    { method: 'preLoop', step: 0 },
    { method: 'shouldCompact', step: 1 },
    { method: 'buildBriefing', step: 1 },
    { method: 'prePrompt', step: 1 },
    { method: 'preDispatch', step: 1 },
    { method: 'checkPermission', step: 1 },
    { method: 'postDispatch', step: 1 },
    { method: 'onStep', step: 1 },
    { method: 'shouldStop', step: 1 },
    { method: 'checkDone', step: 3 },
  ];
  for (const mode of ['throws', 'rejects'] as const) {
    it.each(throwingMethods)(
      `a hook that ${mode} in $method: HookError names hook, method and step`,
      async (c) => {
        const counter = endCounter();
        const cause = new Error(`broken ${c.method}`);
        const broken: Hook = {
          name: 'broken',
          [c.method]:
            mode === 'throws'
              ? () => {
                  throw cause;
                }
              : () => Promise.reject(cause),
        };
        const run = agentLoop({
          llm: new ScriptedLLM(script),
          tools: [echoTool('echo')],
          task: 't',
          hooks: [counter, broken],
        });
        const thrown = await iterate(run);
        expect(thrown).toBeInstanceOf(HookError);
        const error = thrown as HookError;
        expect(error.hookIndex).toBe(1);
        expect(error.hookName).toBe('broken');
        expect(error.method).toBe(c.method);
        expect(error.step).toBe(c.step);
        expect(error.cause).toBe(cause);
        expect(error.message).toContain(`hook "broken" (hooks[1]) threw in ${c.method} at step ${c.step}`);
        await expect(run.result).rejects.toBe(error);
        expect(counter.calls).toBe(1);
        expect(counter.results[0]?.error).toBe(error);
      },
    );
  }

  it('a hook that throws in compact: HookError, onLoopEnd once', async () => {
    const counter = endCounter();
    const broken: Hook = {
      shouldCompact: () => true,
      compact: () => {
        throw new Error('cannot compact');
      },
    };
    const run = agentLoop({
      llm: new ScriptedLLM(script),
      tools: [echoTool('echo')],
      task: 't',
      hooks: [broken, counter],
    });
    const error = (await iterate(run)) as HookError;
    expect(error).toBeInstanceOf(HookError);
    expect(error.method).toBe('compact');
    expect(error.hookIndex).toBe(0);
    expect(counter.calls).toBe(1);
  });

  it('a throwing onLoopEnd still lets every other onLoopEnd run; the result rejects with it', async () => {
    const before = endCounter();
    const after = endCounter();
    const broken: Hook = {
      name: 'broken-end',
      onLoopEnd: () => {
        throw new Error('flush failed');
      },
    };
    const run = agentLoop({ llm: new ScriptedLLM([done()]), task: 't', hooks: [before, broken, after] });
    const error = (await iterate(run)) as HookError;
    expect(error).toBeInstanceOf(HookError);
    expect(error.method).toBe('onLoopEnd');
    expect(error.hookIndex).toBe(1);
    await expect(run.result).rejects.toBe(error);
    expect(before.calls).toBe(1);
    expect(after.calls).toBe(1);
  });

  it('after a throwing onLoopEnd, later hooks and the recorded trace say what the caller sees', async () => {
    const seen: string[] = [];
    const watcher = (name: string): Hook => ({
      name,
      onLoopEnd: ({ result }) => {
        seen.push(`${name}: ${result.endReason}${result.stopReason ? ` (${result.stopReason})` : ''}`);
      },
    });
    const broken: Hook = {
      name: 'flusher',
      onLoopEnd: () => {
        throw new Error('disk full');
      },
    };
    for (const sinkFirst of [true, false]) {
      seen.length = 0;
      const dir = path.join(tempDir(), 'trace');
      const sink = new ProvenanceSink({ dir });
      const hooks = sinkFirst
        ? [sink.hook(), watcher('before'), broken, watcher('after')]
        : [watcher('before'), broken, watcher('after'), sink.hook()];
      const run = agentLoop({ llm: sink.wrapLLM(new ScriptedLLM([done('ok')])), task: 't', hooks });
      const error = (await iterate(run)) as HookError;
      expect(error).toBeInstanceOf(HookError);
      await expect(run.result).rejects.toBe(error);
      const reason = `error: ${error.message}`;
      expect(reason).toContain('hook "flusher" (hooks[');
      expect(seen).toEqual(['before: done', `after: hook_stop (${reason})`]);
      expect(sink.result).toMatchObject({ endReason: 'hook_stop', stopReason: reason, error });
      expect(sink.result).not.toHaveProperty('finalOutput');
      await sink.flush();
      const trace = await readTrace(dir);
      expect(trace.meta).toMatchObject({ endReason: 'hook_stop', stopReason: reason });
    }
  });

  it('a throwing onLoopEnd after a run that failed with a hook error keeps that error', async () => {
    const cause = new Error('first');
    const ends: string[] = [];
    const run = agentLoop({
      llm: new ScriptedLLM([done('ok')]),
      task: 't',
      hooks: [
        {
          name: 'early',
          prePrompt: () => {
            throw cause;
          },
        },
        {
          onLoopEnd: () => {
            throw new Error('second');
          },
        },
        { onLoopEnd: ({ result }) => void ends.push(result.stopReason ?? '') },
      ],
    });
    const error = (await iterate(run)) as HookError;
    expect(error.cause).toBe(cause);
    expect(ends).toEqual([`error: ${error.message}`]);
  });

  it('a tool that throws becomes a tool error the model sees, and the run goes on', async () => {
    const counter = endCounter();
    const failing = defineTool({
      name: 'fragile',
      description: 'throws',
      parameters: { type: 'object' },
      run: () => {
        throw new Error('database unreachable');
      },
    });
    const llm = new ScriptedLLM([call('fragile'), done()]);
    const run = agentLoop({ llm, tools: [failing], task: 't', hooks: [counter] });
    expect(await iterate(run)).toBeUndefined();
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(result.steps[0]?.results[0]?.error).toEqual({
      kind: 'tool_threw',
      message: 'database unreachable',
    });
    expect(counter.calls).toBe(1);
  });

  it('the LLM throwing: llm_error, onLoopEnd once, the for-await does not throw', async () => {
    const counter = endCounter();
    const run = agentLoop({
      llm: new ScriptedLLM([{ error: new Error('timeout') }]),
      task: 't',
      hooks: [counter],
    });
    expect(await iterate(run)).toBeUndefined();
    expect((await run.result).endReason).toBe('llm_error');
    expect(counter.calls).toBe(1);
  });

  it('the consumer breaking out of the for-await: onLoopEnd once, result says so, tools see the abort', async () => {
    const counter = endCounter();
    let toolSignal: AbortSignal | undefined;
    const watcher = defineTool({
      name: 'watch',
      description: 'keeps the run signal for work that outlives the call',
      parameters: { type: 'object' },
      run: (_args, ctx) => {
        toolSignal = ctx.state.signal;
        return 'ok';
      },
    });
    const llm = new ScriptedLLM([call('watch'), call('watch'), done()]);
    const run = agentLoop({ llm, tools: [watcher], task: 't', hooks: [counter] });
    for await (const step of run) if (step.index === 1) break;
    const result = await run.result;
    expect(result.endReason).toBe('aborted');
    expect(result.stopReason).toBe('the consumer stopped iterating');
    expect(result.steps).toHaveLength(1);
    expect(counter.calls).toBe(1);
    expect(toolSignal?.aborted).toBe(true);
    expect(llm.calls).toBe(1);
  });

  it('abort before start: no model call, aborted, onLoopEnd once', async () => {
    const counter = endCounter();
    const llm = new ScriptedLLM(script);
    const run = agentLoop({ llm, task: 't', hooks: [counter], signal: AbortSignal.abort('not today') });
    expect(await iterate(run)).toBeUndefined();
    const result = await run.result;
    expect(result.endReason).toBe('aborted');
    expect(result.stopReason).toBe('not today');
    expect(result.steps).toEqual([]);
    expect(llm.calls).toBe(0);
    expect(counter.calls).toBe(1);
  });

  it('abort mid-tool: the tool sees the signal, the run ends aborted, onLoopEnd once', async () => {
    const counter = endCounter();
    const controller = new AbortController();
    const started = deferred();
    const slow = defineTool({
      name: 'slow',
      description: 'waits for abort',
      parameters: { type: 'object' },
      run: (_args, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(new Error('cancelled by signal')));
          started.resolve();
        }),
    });
    const llm = new ScriptedLLM([call('slow'), done()]);
    const run = agentLoop({ llm, tools: [slow], task: 't', hooks: [counter], signal: controller.signal });
    const iterating = iterate(run);
    await started.promise;
    controller.abort(new Error('stop now'));
    expect(await iterating).toBeUndefined();
    const result = await run.result;
    expect(result.endReason).toBe('aborted');
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('aborted');
    expect(llm.calls).toBe(1);
    expect(counter.calls).toBe(1);
  });

  it('awaiting run.result without iterating runs the loop to the end, onLoopEnd once', async () => {
    const counter = endCounter();
    const log: Array<{ name: string; args: Record<string, unknown> }> = [];
    const run = agentLoop({
      llm: new ScriptedLLM(script),
      tools: [echoTool('echo', log)],
      task: 't',
      hooks: [counter],
    });
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(log).toHaveLength(2);
    expect(counter.calls).toBe(1);
  });

  it('a run is driven by one iteration: a second one is refused, saying what to do', async () => {
    const run = agentLoop({ llm: new ScriptedLLM([done()]), task: 't' });
    await iterate(run);
    expect(() => run[Symbol.asyncIterator]()).toThrow(
      /already being iterated \(an agent run has one driver\); call agentLoop\(\) again for a new run/,
    );
  });

  it('reading run.result first, then iterating: the loop runs on its own and the iteration sees every step', async () => {
    const onStep: number[] = [];
    const run = agentLoop({
      llm: new ScriptedLLM(script),
      tools: [echoTool('echo')],
      task: 't',
      hooks: [{ onStep: ({ step }) => void onStep.push(step) }],
    });
    const pending = run.result;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const seen: number[] = [];
    for await (const step of run) seen.push(step.index);
    expect(seen).toEqual([1, 2, 3]);
    expect(onStep).toEqual([1, 2, 3]);
    expect((await pending).endReason).toBe('done');
    // After the end, iterating again still lists the steps.
    const again: number[] = [];
    for await (const step of run) again.push(step.index);
    expect(again).toEqual([1, 2, 3]);
  });

  it('awaiting run.result to the end, then iterating: the steps, then the same failure', async () => {
    const run = agentLoop({
      llm: new ScriptedLLM(script),
      tools: [echoTool('echo')],
      task: 't',
      hooks: [
        {
          name: 'late',
          shouldStop: ({ step }) => {
            if (step === 2) throw new Error('broken');
          },
        },
      ],
    });
    const failure = await run.result.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HookError);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const step of run) seen.push(step.index);
      })(),
    ).rejects.toBe(failure);
    expect(seen).toEqual([1, 2]);
  });
});
