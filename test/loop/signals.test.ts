// Abort signals over a long run, and per-tool timeouts. Code handed a signal (the OpenAI SDK adds
// an abort listener per request; tools calling `fetch`) often never removes its listener: the loop
// must not let those pile up on the caller's signal or the run's.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  type LLMBackend,
  type LLMRequest,
  type LLMResponse,
  ToolDefinitionError,
} from '../../src/index.js';

const STEPS = 300;

/** Answers a tool call every time, adding an abort listener to each request's signal as the OpenAI SDK does. */
class ListeningLLM implements LLMBackend {
  readonly model = 'listening';
  /** Listeners on the run's signal (`state.signal`), seen at each call. */
  readonly runListeners: number[] = [];
  runSignal: AbortSignal | undefined;

  async generate(request: LLMRequest): Promise<LLMResponse> {
    request.signal?.addEventListener('abort', () => {});
    if (this.runSignal) this.runListeners.push(getEventListeners(this.runSignal, 'abort').length);
    return { toolCalls: [{ id: '', name: 'fetchy', args: {} }] };
  }
}

/** An async tool that listens to its signal and never stops listening. */
const fetchy = defineTool({
  name: 'fetchy',
  description: 'pretends to fetch',
  parameters: { type: 'object' },
  run: async (_args, { signal }) => {
    signal.addEventListener('abort', () => {});
    return 'fetched';
  },
});

describe('abort listeners do not accumulate over a run', () => {
  it(`${STEPS} steps with a caller's signal: at most one listener on it, none left after the run`, async () => {
    const caller = new AbortController();
    const llm = new ListeningLLM();
    const run = agentLoop({ llm, tools: [fetchy], task: 't', maxSteps: STEPS, signal: caller.signal });
    llm.runSignal = run.state.signal;
    let mostOnCaller = 0;
    for await (const step of run) {
      mostOnCaller = Math.max(mostOnCaller, getEventListeners(caller.signal, 'abort').length);
      expect(step.results[0]?.data).toBe('fetched');
    }
    expect((await run.result).endReason).toBe('max_steps');
    expect(llm.runListeners).toHaveLength(STEPS);
    // The loop's own listener and the current call's link: a constant, whatever the run's length.
    expect(Math.max(...llm.runListeners)).toBeLessThanOrEqual(2);
    expect(llm.runListeners.at(-1)).toBe(llm.runListeners[0]);
    expect(getEventListeners(run.state.signal, 'abort')).toHaveLength(0);
    expect(mostOnCaller).toBe(1);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });

  it("a model call gets its own signal when the caller's signal can abort the run, none otherwise", async () => {
    const seen: Array<AbortSignal | undefined> = [];
    const llm: LLMBackend = {
      generate: async (request) => {
        seen.push(request.signal);
        return { text: 'done' };
      },
    };
    const caller = new AbortController();
    const run = agentLoop({ llm, task: 't', signal: caller.signal });
    await run.result;
    expect(seen[0]).toBeInstanceOf(AbortSignal);
    expect(seen[0]).not.toBe(caller.signal);
    expect(seen[0]).not.toBe(run.state.signal);
    // Without one nothing can abort the run while the model answers: no signal to listen to.
    await agentLoop({ llm, task: 't' }).result;
    expect(seen[1]).toBeUndefined();
  });

  it('reading run.result once the run has started keeps nothing pending', async () => {
    const immediates = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Immediate').length;
    const llm: LLMBackend = { generate: async () => ({ text: 'done' }) };
    const run = agentLoop({ llm, task: 't' });
    for await (const _step of run);
    const before = immediates();
    await run.result;
    expect(immediates()).toBe(before);
  });

  it('one signal shared by many runs keeps no listener of finished runs', async () => {
    const shared = new AbortController();
    for (let index = 0; index < 20; index++) {
      const llm: LLMBackend = { generate: async () => ({ text: 'done' }) };
      await agentLoop({ llm, task: 't', signal: shared.signal }).result;
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it("aborting the caller's signal still reaches the model call and the tool in progress", async () => {
    const caller = new AbortController();
    let toolSignal: AbortSignal | undefined;
    const slow = defineTool({
      name: 'slow',
      description: 'waits',
      parameters: { type: 'object' },
      run: (_args, { signal }) => {
        toolSignal = signal;
        setImmediate(() => caller.abort(new Error('user cancelled')));
        return new Promise(() => {});
      },
    });
    const llm: LLMBackend = { generate: async () => ({ toolCalls: [{ id: 'c1', name: 'slow', args: {} }] }) };
    const result = await agentLoop({ llm, tools: [slow], task: 't', signal: caller.signal }).result;
    expect(result.endReason).toBe('aborted');
    expect(result.stopReason).toBe('user cancelled');
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('aborted');
    expect(toolSignal?.aborted).toBe(true);
  });
});

describe('per-tool timeoutMs', () => {
  it('a call that takes too long fails with a timeout error the model sees; its signal is aborted', async () => {
    let seen: AbortSignal | undefined;
    const hang = defineTool({
      name: 'hang',
      description: 'never answers',
      parameters: { type: 'object' },
      timeoutMs: 20,
      run: (_args, { signal }) => {
        seen = signal;
        return new Promise(() => {});
      },
    });
    const requests: LLMRequest[] = [];
    const answers: LLMResponse[] = [
      { toolCalls: [{ id: 'c1', name: 'hang', args: {} }] },
      { toolCalls: [{ id: 'c2', name: 'done', args: { summary: 'gave up' } }] },
    ];
    const llm: LLMBackend = {
      generate: async (request) => {
        requests.push({ ...request, messages: [...request.messages] });
        return answers.shift()!;
      },
    };
    const result = await agentLoop({ llm, tools: [hang], task: 't' }).result;
    expect(result.steps[0]?.results[0]?.error).toEqual({
      kind: 'timeout',
      message: 'hang did not finish within 20 ms',
    });
    expect(seen?.aborted).toBe(true);
    expect((seen!.reason as Error).name).toBe('TimeoutError');
    expect(requests[1]?.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: 'Error (timeout): hang did not finish within 20 ms.',
    });
    expect(result.endReason).toBe('done');
  });

  it('a call that finishes in time is not affected, and its timer does not outlive it', async () => {
    const quick = defineTool({
      name: 'quick',
      description: 'answers at once',
      parameters: { type: 'object' },
      timeoutMs: 60_000,
      run: async () => 'ok',
    });
    const answers: LLMResponse[] = [
      { toolCalls: [{ id: 'c1', name: 'quick', args: {} }] },
      { text: 'finished' },
    ];
    const llm: LLMBackend = { generate: async () => answers.shift()! };
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const result = await agentLoop({ llm, tools: [quick], task: 't' }).result;
    expect(result.steps[0]?.results[0]?.data).toBe('ok');
    // A timer left behind would keep the process alive for a minute.
    expect(timers()).toBe(before);
  });

  it('no timeout unless set; a bad timeoutMs fails at definition', () => {
    const plain = defineTool({
      name: 'plain',
      description: 'd',
      parameters: { type: 'object' },
      run: () => 1,
    });
    expect(plain.timeoutMs).toBeUndefined();
    for (const timeoutMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() =>
        defineTool({
          name: 'bad',
          description: 'd',
          parameters: { type: 'object' },
          timeoutMs,
          run: () => 1,
        }),
      ).toThrow(ToolDefinitionError);
  });
});
