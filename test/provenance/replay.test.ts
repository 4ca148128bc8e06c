import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  type LLMBackend,
  type LLMRequest,
  LoopletError,
  ReplayConfigError,
  ReplayDivergenceError,
  ReplayExhaustedError,
  ReplayLLM,
  readTrace,
  ScriptedLLM,
} from '../../src/index.js';
import {
  dirFiles,
  GREETER_SCRIPT,
  GREETER_TASK,
  greet,
  readJson,
  recordGreeter,
  recordRun,
  tempDir,
} from './helpers.js';

/** A backend that fails the test if it is ever called: replay must not reach the model. */
const noNetwork: LLMBackend = {
  generate: () => {
    throw new Error('the model was called during replay');
  },
};

describe('ReplayLLM (strict replay)', () => {
  it('replays a recorded run with no model call: same steps, same result, parallel calls intact', async () => {
    const dir = await recordGreeter();
    const recorded = await readTrace(dir);
    const llm = ReplayLLM.fromTrace(dir);
    const result = await agentLoop({ llm, tools: [greet], task: GREETER_TASK }).result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual(recorded.meta.finalOutput);
    expect(result.steps[0]!.toolCalls.map((call) => call.args)).toEqual([{ name: 'Alice' }, { name: 'Bob' }]);
    expect(result.steps[0]!.results.map((r) => r.data)).toEqual([
      { greeting: 'Hello, Alice!' },
      { greeting: 'Hello, Bob!' },
    ]);
    expect(result.usage).toEqual(recorded.meta.usage);
    expect(llm.replayed).toBe(2);
    expect(llm.model).toBe('scripted');
  });

  it('throws ReplayDivergenceError with the call index and a readable diff when a changed tool changes a prompt', async () => {
    const dir = await recordGreeter();
    const changed = defineTool({
      name: 'greet',
      description: 'Greet someone',
      parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      run: ({ name }) => ({ greeting: `Hi, ${String(name)}!` }),
    });
    const result = await agentLoop({ llm: ReplayLLM.fromTrace(dir), tools: [changed], task: GREETER_TASK })
      .result;
    expect(result.endReason).toBe('llm_error');
    const error = result.error as ReplayDivergenceError;
    expect(error).toBeInstanceOf(ReplayDivergenceError);
    expect(error).toBeInstanceOf(LoopletError);
    expect(error.callIndex).toBe(2);
    expect(error.diff).toContain('--- recorded calls/0002.json');
    expect(error.diff).toContain('+++ new request');
    expect(error.diff).toContain('-{"greeting":"Hello, Alice!"}');
    expect(error.diff).toContain('+{"greeting":"Hi, Alice!"}');
    // Only what changed is marked: key order and ids are not differences.
    const marked = error.diff.split('\n').filter((line) => /^[-+](?![-+]{2} )/.test(line));
    expect(marked).toEqual([
      '-{"greeting":"Hello, Alice!"}',
      '+{"greeting":"Hi, Alice!"}',
      '-{"greeting":"Hello, Bob!"}',
      '+{"greeting":"Hi, Bob!"}',
    ]);
    expect(error.message).toMatch(/replay diverged at model call #2/);
  });

  it('counts a changed tool description, system prompt or request option as a difference', async () => {
    const dir = await recordGreeter();
    const renamed = defineTool({
      ...greet,
      description: 'Say hello',
      parameters: greet.jsonSchema,
      run: greet.run,
    });
    const byTools = await agentLoop({ llm: ReplayLLM.fromTrace(dir), tools: [renamed], task: GREETER_TASK })
      .result;
    expect((byTools.error as ReplayDivergenceError).callIndex).toBe(1);
    expect((byTools.error as ReplayDivergenceError).diff).toContain('+- greet: Say hello');

    const bySystem = await agentLoop({
      llm: ReplayLLM.fromTrace(dir),
      tools: [greet],
      task: GREETER_TASK,
      system: 'Be brief.',
    }).result;
    expect((bySystem.error as ReplayDivergenceError).diff).toContain('+Be brief.');

    const replay = ReplayLLM.fromTrace(dir);
    const first = (await readTrace(dir)).readCall(1).request;
    const request = { messages: first.messages, tools: first.tools, step: 1, temperature: 0.9 } as LLMRequest;
    await expect(replay.generate(request)).rejects.toThrow(ReplayDivergenceError);
  });

  it('does not count tool-call ids or the step number as differences', async () => {
    const dir = await recordGreeter();
    let n = 0;
    const uuid = () => {
      n += 7;
      return `uuid-${n}`;
    };
    const result = await agentLoop({
      llm: ReplayLLM.fromTrace(dir),
      tools: [greet],
      task: GREETER_TASK,
      ids: (kind) => (kind === 'run' ? 'other-run' : uuid()),
    }).result;
    expect(result.endReason).toBe('done');
    expect(result.steps[0]!.toolCalls[0]!.id).toBe('uuid-7');
  });

  it('ends with replay_exhausted when the run asks for more calls than the trace holds', async () => {
    const dir = await recordGreeter();
    // A hook refuses the first done call: the run needs a third model call the trace does not hold.
    const refuseOnce = { checkDone: () => ({ block: 'not yet' }) };
    const result = await agentLoop({
      llm: ReplayLLM.fromTrace(dir),
      tools: [greet],
      task: GREETER_TASK,
      hooks: [refuseOnce],
    }).result;
    expect(result.endReason).toBe('replay_exhausted');
    const error = result.error as ReplayExhaustedError;
    expect(error).toBeInstanceOf(ReplayExhaustedError);
    expect(error).toBeInstanceOf(ReplayDivergenceError);
    expect(error.callIndex).toBe(3);
    expect(error.recordedCalls).toBe(2);
    expect(error.diff).toContain('the trace ends after 2 call(s)');
    expect(error.diff).toContain('+Error (done_rejected): not yet. Fix the call and try again.');
  });

  it('fails a recorded failed call again, so the replayed run ends as the recorded one did', async () => {
    const dir = path.join(tempDir(), 'failing');
    await recordRun({
      dir,
      llm: new ScriptedLLM([GREETER_SCRIPT[0]!, { error: new Error('connection reset') }]),
    });
    const result = await agentLoop({ llm: ReplayLLM.fromTrace(dir), tools: [greet], task: GREETER_TASK })
      .result;
    expect(result.endReason).toBe('llm_error');
    expect(result.stopReason).toBe('connection reset');
  });

  it('record → replay → re-record gives byte-identical files (volatile.json aside)', async () => {
    const original = await recordGreeter();
    const again = path.join(tempDir(), 'again');
    await recordRun({ dir: again, llm: ReplayLLM.fromTrace(original) });
    expect(dirFiles(again)).toEqual(dirFiles(original));
    // The same holds for a run that ended with an error.
    const failing = path.join(tempDir(), 'failing');
    await recordRun({
      dir: failing,
      llm: new ScriptedLLM([GREETER_SCRIPT[0]!, { error: new Error('boom') }]),
    });
    const failingAgain = path.join(tempDir(), 'failing-again');
    await recordRun({ dir: failingAgain, llm: ReplayLLM.fromTrace(failing) });
    expect(dirFiles(failingAgain)).toEqual(dirFiles(failing));
  });

  it('rejects unknown modes and modes that need a fallback without one', () => {
    expect(() => ReplayLLM.fromTrace('x', { mode: 'fast' as 'replay' })).toThrow(
      /unknown replay mode "fast"/,
    );
    expect(() => ReplayLLM.fromTrace('x', { mode: 'auto' })).toThrow(/needs a fallback/);
    // Its own class, so a caller can tell a setup mistake from a trace that cannot be read.
    expect(() => ReplayLLM.fromTrace('x', { mode: 'live' })).toThrow(ReplayConfigError);
    expect(() => ReplayLLM.fromTrace('x', { mode: 'live' })).toThrow(LoopletError);
  });

  it('fails at construction when the trace to replay does not exist', () => {
    expect(() => ReplayLLM.fromTrace(path.join(tempDir(), 'missing'))).toThrow(/does not exist/);
  });
});

describe('ReplayLLM modes', () => {
  it('record: calls the fallback for every request and writes the trace on flush', async () => {
    const dir = path.join(tempDir(), 'recorded');
    const llm = ReplayLLM.fromTrace(dir, { mode: 'record', fallback: new ScriptedLLM(GREETER_SCRIPT) });
    const result = await agentLoop({ llm, tools: [greet], task: GREETER_TASK, hooks: [llm.hook()] }).result;
    expect(result.endReason).toBe('done');
    expect(await llm.flush()).toBe(dir);
    expect(readJson(dir, 'trace.json')).toMatchObject({ callCount: 2, endReason: 'done' });
  });

  it('auto: replays what exists, records what is missing, and the trace grows to the whole run', async () => {
    const dir = path.join(tempDir(), 'partial');
    // The recorded run stopped after one call (the script ran out).
    const first = await recordRun({ dir, llm: new ScriptedLLM([GREETER_SCRIPT[0]!]) });
    expect(first.result.endReason).toBe('replay_exhausted');
    const fallback = new ScriptedLLM([GREETER_SCRIPT[1]!]);
    const llm = ReplayLLM.fromTrace(dir, { mode: 'auto', fallback });
    const result = await agentLoop({ llm, tools: [greet], task: GREETER_TASK, hooks: [llm.hook()] }).result;
    expect(result.endReason).toBe('done');
    expect(llm.replayed).toBe(1);
    fallback.assertComplete();
    await llm.flush();
    const complete = await recordGreeter();
    expect(dirFiles(dir)).toEqual(dirFiles(complete));
  });

  it('auto: a request that differs is answered by the fallback from there on (divergedAt tells where)', async () => {
    const dir = await recordGreeter();
    const fallback = new ScriptedLLM([{ toolCalls: [{ name: 'done', args: { summary: 'live' } }] }]);
    const llm = ReplayLLM.fromTrace(dir, { mode: 'auto', fallback, recordTo: path.join(tempDir(), 'new') });
    const result = await agentLoop({ llm, tools: [greet], task: GREETER_TASK, system: 'Changed.' }).result;
    expect(result.finalOutput).toEqual({ summary: 'live' });
    expect(llm.divergedAt).toBe(1);
    expect(llm.replayed).toBe(0);
  });

  it('live: only calls the fallback and records nothing', async () => {
    const dir = path.join(tempDir(), 'live');
    const llm = ReplayLLM.fromTrace(dir, { mode: 'live', fallback: new ScriptedLLM(GREETER_SCRIPT) });
    const result = await agentLoop({ llm, tools: [greet], task: GREETER_TASK, hooks: [llm.hook()] }).result;
    expect(result.endReason).toBe('done');
    expect(await llm.flush()).toBeUndefined();
  });

  it('replay never calls a fallback, even when one is given', async () => {
    const dir = await recordGreeter();
    const llm = ReplayLLM.fromTrace(dir, { fallback: noNetwork });
    const result = await agentLoop({ llm, tools: [greet], task: GREETER_TASK, system: 'Changed.' }).result;
    expect(result.error).toBeInstanceOf(ReplayDivergenceError);
  });
});
