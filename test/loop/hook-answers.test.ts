// D5: what a hook answers that is not a decision object. Python looplet's own shorthands are
// honoured where they are unambiguous; anything else ends the run with a HookError naming the hook,
// the method and the value, and is never ignored (a permission hook never fails open). Also: how
// errors name hooks.
import { describe, expect, it } from 'vitest';
import { agentLoop, type Hook, HookError, type ScriptedTurn } from '../../src/index.js';
import { call, done, echoTool, RecordingLLM, toolMessage, userMessages } from './support.js';

type Log = Array<{ name: string; args: Record<string, unknown> }>;

/** Hooks as a `.js` file or an `any`-typed object gives them: the types do not check their answers. */
function untyped(hook: Record<string, unknown>): Hook {
  return hook as Hook;
}

async function runWith(hooks: Hook[], turns: ScriptedTurn[] = [call('echo', { text: 'hi' }), done()]) {
  const log: Log = [];
  const llm = new RecordingLLM(turns);
  const run = agentLoop({ llm, tools: [echoTool('echo', log)], task: 'task', hooks });
  const outcome = await run.result.then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  return { llm, log, ...outcome };
}

describe("shorthand answers (Python looplet's forms)", () => {
  it('checkPermission: false denies the call, naming the hook; true allows it', async () => {
    const denied = await runWith([{ name: 'guard', checkPermission: ({ call }) => call.name !== 'echo' }]);
    expect(denied.log).toEqual([]);
    expect(denied.result?.steps[0]?.results[0]?.error).toEqual({
      kind: 'denied',
      message: 'permission denied by hook "guard"',
    });
    expect(toolMessage(denied.llm.request(2), 'echo')).toBe(
      'Error (denied): permission denied by hook "guard". Do not retry this call.',
    );
    const allowed = await runWith([{ checkPermission: () => true }]);
    expect(allowed.log).toEqual([{ name: 'echo', args: { text: 'hi' } }]);
    expect(allowed.result?.endReason).toBe('done');
  });

  it('an async checkPermission answering false denies too', async () => {
    const { log, result } = await runWith([{ checkPermission: async () => false }]);
    expect(log).toEqual([]);
    expect(result?.steps[0]?.results[0]?.error?.kind).toBe('denied');
  });

  it('shouldStop: true stops with a reason naming the hook; false goes on', async () => {
    const stopped = await runWith([{ name: 'enough', shouldStop: () => true }]);
    expect(stopped.result?.endReason).toBe('hook_stop');
    expect(stopped.result?.stopReason).toBe('hook "enough" asked to stop (shouldStop returned true)');
    expect(stopped.result?.steps).toHaveLength(1);
    const going = await runWith([{ shouldStop: () => false }]);
    expect(going.result?.endReason).toBe('done');
  });

  it('checkDone: a string blocks the done with that reason', async () => {
    let asked = 0;
    const { llm, result } = await runWith(
      [{ checkDone: () => (++asked === 1 ? 'cite a source first' : undefined) }],
      [done('first'), done('second')],
    );
    expect(result?.steps[0]?.doneRejected).toBe('cite a source first');
    expect(toolMessage(llm.request(2), 'done')).toBe(
      'Error (done_rejected): cite a source first. Fix the call and try again.',
    );
    expect(result?.endReason).toBe('done');
    expect(result?.finalOutput).toEqual({ summary: 'second' });
  });

  it('prePrompt, postDispatch and onStep: a string is context for the model', async () => {
    const { llm } = await runWith([
      {
        prePrompt: ({ step }) => `before call ${step}`,
        postDispatch: () => 'after the tool',
        onStep: () => 'step over',
      },
    ]);
    expect(userMessages(llm.request(1))).toContain('before call 1');
    expect(userMessages(llm.request(2))).toEqual([
      'task',
      'before call 1',
      'after the tool\nstep over',
      'before call 2',
    ]);
  });
});

describe('answers that mean nothing at that point end the run with a HookError', () => {
  const cases: Array<{ method: string; value: unknown; shown: string; step: number }> = [
    { method: 'checkPermission', value: 'no', shown: '"no"', step: 1 },
    { method: 'checkPermission', value: 0, shown: '0', step: 1 },
    { method: 'checkPermission', value: { allow: false }, shown: '{"allow":false}', step: 1 },
    { method: 'checkPermission', value: { block: true }, shown: '{"block":true}', step: 1 },
    { method: 'preDispatch', value: 'skip this', shown: '"skip this"', step: 1 },
    { method: 'preDispatch', value: false, shown: 'false', step: 1 },
    { method: 'shouldStop', value: 'enough', shown: '"enough"', step: 1 },
    { method: 'checkDone', value: true, shown: 'true', step: 2 },
    { method: 'prePrompt', value: ['a'], shown: '["a"]', step: 1 },
    { method: 'onStep', value: 42, shown: '42', step: 1 },
  ];
  it.each(cases)('$method returning $shown', async ({ method, value, shown, step }) => {
    const { log, error } = await runWith([{}, untyped({ name: 'odd', [method]: () => value })]);
    expect(error).toBeInstanceOf(HookError);
    const hookError = error as HookError;
    expect(hookError.method).toBe(method);
    expect(hookError.hookIndex).toBe(1);
    expect(hookError.returned).toEqual(value);
    expect(hookError.message).toContain(
      `hook "odd" (hooks[1]) returned ${shown} from ${method} at step ${step}`,
    );
    // Never fail open: the call a broken permission hook answered for did not run.
    if (method === 'checkPermission' || method === 'preDispatch') expect(log).toEqual([]);
  });

  it('an async answer is checked too', async () => {
    const { log, error } = await runWith([untyped({ checkPermission: async () => 'yes' })]);
    expect(error).toBeInstanceOf(HookError);
    expect((error as HookError).message).toMatch(
      /returned "yes" from checkPermission at step 1: checkPermission must return a decision/,
    );
    expect(log).toEqual([]);
  });

  it('buildBriefing must answer text and compact a list of messages', async () => {
    const briefing = await runWith([untyped({ buildBriefing: () => ({ text: 'x' }) })]);
    expect((briefing.error as HookError).message).toMatch(
      /returned \{"text":"x"\} from buildBriefing at step 1/,
    );
    const compact = await runWith([untyped({ shouldCompact: () => true, compact: async () => 'shorter' })]);
    expect((compact.error as HookError).message).toMatch(/returned "shorter" from compact at step 1/);
  });
});

describe('errors name hooks by name, class, or position and methods', () => {
  const fail = () => {
    throw new Error('boom');
  };
  it('a named hook by its name and position', async () => {
    const { error } = await runWith([{}, { name: 'audit', preDispatch: fail }]);
    expect((error as HookError).message).toBe('hook "audit" (hooks[1]) threw in preDispatch at step 1: boom');
    expect((error as HookError).hookName).toBe('audit');
  });

  it('an instance of a class by its class name', async () => {
    class Auditor {
      preDispatch() {
        throw new Error('boom');
      }
    }
    const { error } = await runWith([new Auditor() as Hook]);
    expect((error as HookError).message).toBe(
      'hook "Auditor" (hooks[0]) threw in preDispatch at step 1: boom',
    );
  });

  it('an unnamed object by its position and the methods it has, never "Object"', async () => {
    const { error } = await runWith([
      { prePrompt: () => undefined },
      { preDispatch: fail, onStep: () => undefined },
    ]);
    const message = (error as HookError).message;
    expect(message).toBe('hooks[1] (the hook with preDispatch, onStep) threw in preDispatch at step 1: boom');
    expect(message).not.toContain('Object');
    expect((error as HookError).hookName).toBe('hooks[1]');
  });
});
