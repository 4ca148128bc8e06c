import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  consoleTracer,
  decide,
  fixedClock,
  type Hook,
  type ScriptedTurn,
  type ToolResult,
} from '../../src/index.js';
import { HOOK_METHODS } from '../../src/loop/hooks.js';
import { call, done, echoTool, RecordingLLM, toolMessage, userMessages } from './support.js';

type Log = Array<{ name: string; args: Record<string, unknown> }>;

async function runWith(hooks: Hook[], turns: ScriptedTurn[] = [call('echo', { text: 'hi' }), done()]) {
  const log: Log = [];
  const llm = new RecordingLLM(turns);
  const result = await agentLoop({ llm, tools: [echoTool('echo', log)], task: 'task', hooks }).result;
  return { llm, log, result };
}

describe('deny and block', () => {
  it('deny() in checkPermission: the tool never runs, the model is told not to retry', async () => {
    const { llm, log, result } = await runWith([
      { checkPermission: () => decide.deny('echo is not allowed here') },
    ]);
    expect(log).toEqual([]);
    expect(result.steps[0]?.results[0]?.error).toEqual({
      kind: 'denied',
      message: 'echo is not allowed here',
    });
    expect(toolMessage(llm.request(2), 'echo')).toBe(
      'Error (denied): echo is not allowed here. Do not retry this call.',
    );
  });

  it('block() with retry in preDispatch: the tool never runs, the model is invited to fix the call', async () => {
    const { llm, log, result } = await runWith([{ preDispatch: () => decide.block('text must be shorter') }]);
    expect(log).toEqual([]);
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('blocked');
    expect(toolMessage(llm.request(2), 'echo')).toBe(
      'Error (blocked): text must be shorter. Fix the call and try again.',
    );
  });

  it('block without retry in preDispatch is a denial', async () => {
    const { llm, log } = await runWith([{ preDispatch: () => decide.block('never', { retry: false }) }]);
    expect(log).toEqual([]);
    expect(toolMessage(llm.request(2), 'echo')).toBe('Error (denied): never. Do not retry this call.');
  });

  it('a bare { block } in checkPermission denies; with retry: true it invites a retry', async () => {
    const bare = await runWith([{ checkPermission: () => ({ block: 'no' }) }]);
    expect(bare.result.steps[0]?.results[0]?.error?.kind).toBe('denied');
    const retry = await runWith([{ checkPermission: () => ({ block: 'ask first', retry: true }) }]);
    expect(retry.result.steps[0]?.results[0]?.error?.kind).toBe('blocked');
    expect(retry.log).toEqual([]);
  });

  it('a blocked call retried by the model with fixed arguments then runs', async () => {
    const guard: Hook = {
      preDispatch: ({ call }) =>
        call.name === 'echo' && String(call.args.text).length > 3
          ? decide.block('at most 3 characters')
          : undefined,
    };
    const { log, result } = await runWith(
      [guard],
      [call('echo', { text: 'too long' }), call('echo', { text: 'ok' }), done()],
    );
    expect(log).toEqual([{ name: 'echo', args: { text: 'ok' } }]);
    expect(result.endReason).toBe('done');
  });

  it('first block wins: later hooks at the same point are not asked, and permission is not asked', async () => {
    const asked: string[] = [];
    const hooks: Hook[] = [
      { preDispatch: ({ call }) => void asked.push(`first ${call.name}`) },
      {
        preDispatch: ({ call }) => {
          asked.push(`second ${call.name}`);
          return call.name === 'echo' ? decide.block('second says no') : undefined;
        },
      },
      {
        preDispatch: ({ call }) => {
          asked.push(`third ${call.name}`);
          return call.name === 'echo' ? decide.block('third says no') : undefined;
        },
      },
      {
        checkPermission: ({ call }) => void asked.push(`permission ${call.name}`),
        postDispatch: ({ call }) => void asked.push(`post ${call.name}`),
      },
    ];
    const { llm, log } = await runWith(hooks);
    expect(asked).toEqual([
      'first echo',
      'second echo',
      'post echo',
      'first done',
      'second done',
      'third done',
      'permission done',
      'post done',
    ]);
    expect(log).toEqual([]);
    expect(toolMessage(llm.request(2), 'echo')).toContain('second says no');
  });

  it('postDispatch still sees a blocked call, with its error result', async () => {
    const seen: ToolResult[] = [];
    await runWith([
      { preDispatch: () => decide.deny('no') },
      { postDispatch: ({ result }) => void seen.push(result) },
    ]);
    expect(seen[0]?.error).toEqual({ kind: 'denied', message: 'no' });
  });
});

describe('updatedArgs', () => {
  it('reaches the tool, later preDispatch hooks, permission and postDispatch hooks, and the step', async () => {
    const seen: Array<[string, Record<string, unknown>]> = [];
    const hooks: Hook[] = [
      { preDispatch: () => decide.updateArgs({ text: 'rewritten' }) },
      { preDispatch: ({ call }) => void seen.push(['preDispatch', call.args]) },
      { checkPermission: ({ call }) => void seen.push(['checkPermission', call.args]) },
      {
        postDispatch: ({ call, result }) =>
          void seen.push(['postDispatch', call.args], ['result', result.args]),
      },
    ];
    const { log, result } = await runWith(hooks, [call('echo', { text: 'hi' }), { text: 'answered' }]);
    expect(log).toEqual([{ name: 'echo', args: { text: 'rewritten' } }]);
    expect(seen).toEqual([
      ['preDispatch', { text: 'rewritten' }],
      ['checkPermission', { text: 'rewritten' }],
      ['postDispatch', { text: 'rewritten' }],
      ['result', { text: 'rewritten' }],
    ]);
    expect(result.steps[0]?.toolCalls[0]?.args).toEqual({ text: 'rewritten' });
    expect(result.steps[0]?.results[0]?.data).toEqual({ echoed: 'rewritten' });
  });

  it('later updates replace earlier ones', async () => {
    const { log } = await runWith([
      { preDispatch: () => decide.updateArgs({ text: 'first' }) },
      { preDispatch: () => decide.updateArgs({ text: 'second' }) },
    ]);
    expect(log).toEqual([{ name: 'echo', args: { text: 'second' } }]);
  });

  it('updated arguments are validated like the model’s own', async () => {
    const { log, result } = await runWith([{ preDispatch: () => decide.updateArgs({ text: 42 }) }]);
    expect(log).toEqual([]);
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('invalid_args');
  });
});

describe('updatedResult', () => {
  it('in preDispatch: the tool is skipped and the model sees the supplied result', async () => {
    const { llm, log, result } = await runWith([
      { preDispatch: () => decide.updateResult({ cached: true }) },
    ]);
    expect(log).toEqual([]);
    expect(result.steps[0]?.results[0]).toMatchObject({ name: 'echo', data: { cached: true } });
    expect(result.steps[0]?.results[0]?.error).toBeUndefined();
    expect(toolMessage(llm.request(2), 'echo')).toBe('{"cached":true}');
  });

  it('in postDispatch: the tool runs and its result is replaced (an error too)', async () => {
    const { llm, log, result } = await runWith([{ postDispatch: () => decide.updateResult('redacted') }]);
    expect(log).toHaveLength(1);
    expect(result.steps[0]?.results[0]?.data).toBe('redacted');
    expect(toolMessage(llm.request(2), 'echo')).toBe('redacted');

    const replacedError = await runWith(
      [{ postDispatch: () => decide.updateResult('fallback') }],
      [call('nope'), done()],
    );
    expect(replacedError.result.steps[0]?.results[0]).toMatchObject({ data: 'fallback' });
    expect(replacedError.result.steps[0]?.results[0]?.error).toBeUndefined();
  });

  it('a later postDispatch hook sees the result an earlier one replaced', async () => {
    const seen: unknown[] = [];
    await runWith(
      [
        { postDispatch: () => decide.updateResult({ replaced: 1 }) },
        { postDispatch: ({ result }) => void seen.push(result.data) },
      ],
      [call('echo', { text: 'hi' }), { text: 'answered' }],
    );
    expect(seen).toEqual([{ replaced: 1 }]);
  });
});

describe('hook order is list order, for every method', () => {
  it('each method runs its hooks in list order, and methods run in the documented order', async () => {
    const order: string[] = [];
    const tracer = (name: string): Hook => {
      const hook: Record<string, unknown> = { name };
      for (const method of HOOK_METHODS) {
        hook[method] = () => void order.push(`${method}:${name}`);
      }
      // shouldCompact must say yes once, so compact runs too.
      hook.shouldCompact = ({ step }: { step: number }) => {
        order.push(`shouldCompact:${name}`);
        return step === 1 && name === 'c';
      };
      return hook as Hook;
    };
    await runWith([tracer('a'), tracer('b'), tracer('c')]);
    const methods = [...new Set(order.map((entry) => entry.split(':')[0]))];
    for (const method of methods) {
      const names = order
        .filter((entry) => entry.startsWith(`${method}:`))
        .map((entry) => entry.split(':')[1]);
      for (let i = 0; i < names.length; i += 3) expect(names.slice(i, i + 3)).toEqual(['a', 'b', 'c']);
    }
    // The first step, hook method by hook method (only the first hook of each method).
    const firstOfEach = order.filter((entry) => entry.endsWith(':a'));
    expect(firstOfEach.slice(0, 11)).toEqual([
      'preLoop:a',
      'shouldCompact:a',
      'compact:a',
      'buildBriefing:a',
      'prePrompt:a',
      'preDispatch:a',
      'checkPermission:a',
      'postDispatch:a',
      'onStep:a',
      'shouldStop:a',
      'shouldCompact:a',
    ]);
    expect(order.filter((entry) => entry.startsWith('checkDone:'))).toEqual([
      'checkDone:a',
      'checkDone:b',
      'checkDone:c',
    ]);
    expect(order.slice(-3)).toEqual(['onLoopEnd:a', 'onLoopEnd:b', 'onLoopEnd:c']);
  });

  it('tool calls of one response go through hooks in call order', async () => {
    const seen: string[] = [];
    const hook: Hook = {
      preDispatch: ({ call }) => void seen.push(`pre ${String(call.args.text)}`),
      postDispatch: ({ call }) => void seen.push(`post ${String(call.args.text)}`),
    };
    await runWith(
      [hook],
      [{ toolCalls: [1, 2, 3].map((n) => ({ name: 'echo', args: { text: String(n) } })) }, { text: 'end' }],
    );
    expect(seen).toEqual(['pre 1', 'post 1', 'pre 2', 'post 2', 'pre 3', 'post 3']);
  });
});

describe('additional context', () => {
  it('appears in the next model request, in hook order and hook-point order', async () => {
    const hooks: Hook[] = [
      {
        preLoop: () => decide.inject('a:preLoop'),
        prePrompt: ({ step }) => decide.inject(`a:prePrompt${step}`),
        preDispatch: () => decide.inject('a:preDispatch'),
        postDispatch: () => decide.inject('a:postDispatch'),
        onStep: () => decide.inject('a:onStep'),
        shouldStop: () => decide.inject('a:shouldStop'),
      },
      {
        preLoop: () => decide.inject('b:preLoop'),
        prePrompt: ({ step }) => decide.inject(`b:prePrompt${step}`),
        checkPermission: () => decide.inject('b:checkPermission'),
        postDispatch: () => decide.inject('b:postDispatch'),
        onStep: () => decide.inject('b:onStep'),
      },
    ];
    const { llm, result } = await runWith(hooks);
    expect(userMessages(llm.request(1))).toEqual([
      'task',
      'a:preLoop\nb:preLoop',
      'a:prePrompt1\nb:prePrompt1',
    ]);
    expect(userMessages(llm.request(2)).slice(3)).toEqual([
      'a:preDispatch\nb:checkPermission\na:postDispatch\nb:postDispatch\na:onStep\nb:onStep',
      'a:shouldStop',
      'a:prePrompt2\nb:prePrompt2',
    ]);
    expect(result.steps[0]?.context).toEqual([
      'a:prePrompt1\nb:prePrompt1',
      'a:preDispatch',
      'b:checkPermission',
      'a:postDispatch\nb:postDispatch',
      'a:onStep\nb:onStep',
    ]);
  });

  it('context of several calls comes after all their tool results (providers require it)', async () => {
    const { llm } = await runWith(
      [{ postDispatch: ({ call }) => decide.inject(`after ${String(call.args.text)}`) }],
      [{ toolCalls: [1, 2].map((n) => ({ name: 'echo', args: { text: String(n) } })) }, done()],
    );
    const roles = llm.request(2).map((m) => m.role);
    expect(roles.slice(-4)).toEqual(['assistant', 'tool', 'tool', 'user']);
    expect(userMessages(llm.request(2)).at(-1)).toBe('after 1\nafter 2');
  });

  it('metadata from hooks is kept on the step, never shown to the model', async () => {
    const { llm, result } = await runWith([
      { prePrompt: () => ({ metadata: { a: 1 } }), postDispatch: () => ({ metadata: { b: 2 } }) },
      { onStep: () => ({ metadata: { a: 3 } }) },
    ]);
    expect(result.steps[0]?.metadata).toEqual({ a: 3, b: 2 });
    expect(JSON.stringify(llm.request(2))).not.toContain('"b":2');
  });
});

describe('checkDone', () => {
  it('rejecting done keeps the loop going, marks the step, and tells the model why', async () => {
    let asked = 0;
    const grader: Hook = {
      checkDone: ({ output }) => {
        asked++;
        return (output as { summary: string }).summary === 'lazy'
          ? decide.block('no tests were run')
          : undefined;
      },
    };
    const { llm, result } = await runWith(
      [grader],
      [done('lazy'), call('echo', { text: 'test' }), done('tested')],
    );
    expect(asked).toBe(2);
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ summary: 'tested' });
    expect(result.steps[0]?.doneRejected).toBe('no tests were run');
    expect(result.steps[2]?.doneRejected).toBeUndefined();
    expect(result.steps[0]?.results[0]?.error).toEqual({
      kind: 'done_rejected',
      message: 'no tests were run',
    });
    expect(toolMessage(llm.request(2), 'done')).toBe(
      'Error (done_rejected): no tests were run. Fix the call and try again.',
    );
  });

  it('D6: a refused done is refused before onStep, the consumer and the tracer see the step', async () => {
    const seen: string[] = [];
    const lines: string[] = [];
    const grader: Hook = {
      name: 'grader',
      checkDone: ({ output }) => {
        seen.push('checkDone');
        return (output as { summary: string }).summary === 'lazy'
          ? decide.block('no tests were run')
          : undefined;
      },
      onStep: ({ current }) => {
        seen.push(`onStep ${current.index}: ${current.doneRejected ?? 'accepted'}`);
      },
    };
    const run = agentLoop({
      llm: new RecordingLLM([done('lazy'), done('tested')]),
      tools: [echoTool('echo')],
      task: 'task',
      hooks: [grader, consoleTracer({ write: (line) => lines.push(line) })],
      clock: fixedClock(),
    });
    const yielded: string[] = [];
    for await (const step of run) yielded.push(`${step.pretty()} | ${step.doneRejected ?? 'accepted'}`);
    expect(seen).toEqual(['checkDone', 'onStep 1: no tests were run', 'checkDone', 'onStep 2: accepted']);
    expect(yielded).toEqual([
      "#1 ✗ done(summary='lazy') → done_rejected: no tests were run [0ms] | no tests were run",
      "#2 ✓ done(summary='tested') → {status, summary} [0ms] | accepted",
    ]);
    expect(lines[0]).toBe("#1 ✗ done(summary='lazy') → done_rejected: no tests were run [0ms]");
    expect(lines.join('\n')).not.toMatch(/✓ done\(summary='lazy'\)/);
    expect((await run.result).endReason).toBe('done');
  });

  it('metadata from checkDone is kept on the step', async () => {
    const { result } = await runWith([{ checkDone: () => ({ metadata: { graded: true } }) }], [done()]);
    expect(result.steps[0]?.metadata).toEqual({ graded: true });
  });

  it('a refused plain-text answer is told "Not done yet" after the step\'s context', async () => {
    let asked = 0;
    const { llm, result } = await runWith(
      [
        {
          checkDone: () => (++asked === 1 ? decide.block('show your work') : undefined),
          onStep: () => decide.inject('noted'),
        },
      ],
      [{ text: '42' }, { text: '6 * 7 = 42' }],
    );
    expect(result.steps[0]?.doneRejected).toBe('show your work');
    expect(userMessages(llm.request(2)).slice(-2)).toEqual(['noted', 'Not done yet: show your work']);
  });

  it('receives the plain text answer as output, and can reject it too', async () => {
    const outputs: unknown[] = [];
    const grader: Hook = {
      checkDone: ({ output }) => {
        outputs.push(output);
        return outputs.length === 1 ? decide.block('show your work') : undefined;
      },
    };
    const { result } = await runWith([grader], [{ text: '42' }, { text: '6 * 7 = 42' }]);
    expect(outputs).toEqual(['42', '6 * 7 = 42']);
    expect(result.finalOutput).toBe('6 * 7 = 42');
  });

  it('is not asked when the done call failed validation', async () => {
    let asked = 0;
    const { result } = await runWith(
      [{ checkDone: () => void asked++ }],
      [{ toolCalls: [{ name: 'done', args: {} }] }, done('ok')],
    );
    expect(asked).toBe(1);
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('invalid_args');
  });
});
