import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  type Hook,
  type LLMBackend,
  ProvenanceSink,
  ReplayDivergenceError,
  ReplayLLM,
  ScriptedLLM,
} from '../../src/index.js';
import { recordRun, tempDir } from './helpers.js';

// Recorded tool results: a tool with side effects (sending mail) is answered from the trace in a
// replay instead of being run. The loop's dispatch asks `llm.recordedToolResult` for tools defined
// with `replay: 'recorded'`; here a preDispatch hook asks the same way, so the backend side is
// tested on its own.

let sent: string[] = [];
const sendEmail = defineTool({
  name: 'send_email',
  description: 'Send an email',
  parameters: {
    type: 'object',
    properties: { to: { type: 'string' }, body: { type: 'string' } },
    required: ['to'],
  },
  run: ({ to }) => {
    if (to === 'nobody') throw new Error('no such mailbox');
    sent.push(String(to));
    return { id: `msg-${sent.length}`, to };
  },
});

/** Three mails (Alice twice, with the same arguments), a failing one, then done. */
const SCRIPT = [
  { toolCalls: [{ name: 'send_email', args: { to: 'alice', body: 'hi' } }] },
  {
    toolCalls: [
      { name: 'send_email', args: { body: 'hi', to: 'alice' } },
      { name: 'send_email', args: { to: 'bob' } },
    ],
  },
  { toolCalls: [{ name: 'send_email', args: { to: 'nobody' } }] },
  { toolCalls: [{ name: 'done', args: { summary: 'sent' } }] },
];
const TASK = 'Mail everyone';

async function recordMails(): Promise<string> {
  const dir = path.join(tempDir(), 'mails');
  sent = [];
  await recordRun({ dir, llm: new ScriptedLLM(SCRIPT), tools: [sendEmail], task: TASK });
  expect(sent).toEqual(['alice', 'alice', 'bob']);
  sent = [];
  return dir;
}

/** What the loop's dispatch does for a `replay: 'recorded'` tool: use the recorded result, never run it. */
function fromRecording(llm: LLMBackend): Hook {
  return {
    preDispatch: ({ step, call }) => {
      if (call.name !== 'send_email' || !llm.recordedToolResult) return undefined;
      const recorded = llm.recordedToolResult({ step, name: call.name, args: call.args });
      if (recorded === undefined) return { block: 'no recording' };
      // A hook cannot supply an error result: let the tool fail as it did (it sends nothing then).
      if (recorded.error) return undefined;
      return { updatedResult: recorded.data };
    },
  };
}

describe('ReplayLLM.recordedToolResult', () => {
  it('gives the k-th recorded result of a tool with the same canonical arguments, errors included', async () => {
    const llm = ReplayLLM.fromTrace(await recordMails());
    const ask = (step: number, args: Record<string, unknown>) =>
      llm.recordedToolResult?.({ step, name: 'send_email', args });
    expect(ask(1, { to: 'bob' })).toEqual({ data: { id: 'msg-3', to: 'bob' } });
    expect(ask(1, { to: 'alice', body: 'hi' })).toEqual({ data: { id: 'msg-1', to: 'alice' } });
    expect(ask(2, { body: 'hi', to: 'alice' })).toEqual({ data: { id: 'msg-2', to: 'alice' } });
    expect(ask(3, { to: 'nobody' })).toEqual({
      error: { kind: 'tool_threw', message: 'no such mailbox' },
    });
    expect(llm.pendingDivergence).toBeUndefined();
  });

  it('replays a run without running the tool: the same results, no side effect', async () => {
    const llm = ReplayLLM.fromTrace(await recordMails());
    const run = agentLoop({ llm, tools: [sendEmail], task: TASK, hooks: [fromRecording(llm)] });
    const result = await run.result;
    expect(sent).toEqual([]);
    expect(result.steps.flatMap((step) => step.results.map((r) => r.data ?? r.error?.kind))).toEqual([
      { id: 'msg-1', to: 'alice' },
      { id: 'msg-2', to: 'alice' },
      { id: 'msg-3', to: 'bob' },
      'tool_threw',
      { status: 'completed', summary: 'sent' },
    ]);
  });

  it('strict: a call with no recorded result is a divergence naming the tool and arguments, thrown at the next model call', async () => {
    const llm = ReplayLLM.fromTrace(await recordMails());
    expect(llm.recordedToolResult?.({ step: 1, name: 'send_email', args: { to: 'carol' } })).toBeUndefined();
    const divergence = llm.pendingDivergence;
    expect(divergence?.callIndex).toBe(1);
    expect(divergence?.summary).toEqual([
      'tool `send_email` was called with {"to":"carol"}, which the trace has no recorded result for',
    ]);
    expect(divergence?.diff).toContain('--- recorded calls of send_email');
    expect(divergence?.diff).toContain('-→ send_email {"body":"hi","to":"alice"}');
    expect(divergence?.diff).toContain('+→ send_email {"to":"carol"}');
    const error = await llm.generate({ messages: [], tools: [], step: 2 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ReplayDivergenceError);
    expect((error as ReplayDivergenceError).summary).toEqual(divergence?.summary);
    expect((error as ReplayDivergenceError).message).toMatch(
      /^replay diverged at step 1:\n- tool `send_email`/,
    );
    expect(llm.diverged).toEqual(divergence);
    expect(llm.pendingDivergence).toBeUndefined();
  });

  it("strict: with no further model call, finish() makes the pending divergence the run's", async () => {
    const llm = ReplayLLM.fromTrace(await recordMails());
    const run = agentLoop({
      llm,
      tools: [sendEmail],
      task: TASK,
      hooks: [
        // The agent now mails carol at step 3 (a rewrite before the recorded result is asked for) and stops there.
        {
          preDispatch: ({ step, call }) =>
            step === 3 ? { updatedArgs: { ...call.args, to: 'carol' } } : undefined,
          shouldStop: ({ step }) => (step === 3 ? { stop: 'done mailing' } : undefined),
        },
        fromRecording(llm),
      ],
    });
    await run.result;
    expect(llm.diverged).toBeUndefined();
    expect(llm.pendingDivergence?.summary[0]).toMatch(/^tool `send_email` was called with \{"to":"carol"\}/);
    expect(llm.finish(run.state)?.summary).toEqual(llm.diverged?.summary);
    expect(llm.diverged?.callIndex).toBe(3);
  });

  it('lenient: a call with no recorded result is a warning, and the run goes on', async () => {
    const llm = ReplayLLM.fromTrace(await recordMails(), { strictness: 'lenient' });
    expect(llm.recordedToolResult?.({ step: 1, name: 'send_email', args: { to: 'carol' } })).toBeUndefined();
    expect(llm.pendingDivergence).toBeUndefined();
    expect(llm.warnings.map((warning) => warning.summary)).toEqual([
      ['tool `send_email` was called with {"to":"carol"}, which the trace has no recorded result for'],
    ]);
  });

  it('matches arguments redacted as the trace was; a secret never reaches the divergence', async () => {
    const SECRET = 'sk-live-1234567890abcdefghijklmnop';
    const charge = defineTool({
      name: 'charge',
      description: 'Charge a card',
      parameters: { type: 'object', properties: { api_key: { type: 'string' }, cents: { type: 'number' } } },
      run: ({ cents }) => ({ charged: cents }),
    });
    const dir = path.join(tempDir(), 'charge');
    const script = [
      { toolCalls: [{ name: 'charge', args: { api_key: SECRET, cents: 500 } }] },
      { toolCalls: [{ name: 'done', args: { summary: 'charged' } }] },
    ];
    await recordRun({ dir, llm: new ScriptedLLM(script), tools: [charge], task: TASK });
    const llm = ReplayLLM.fromTrace(dir);
    expect(
      llm.recordedToolResult?.({ step: 1, name: 'charge', args: { api_key: SECRET, cents: 500 } }),
    ).toEqual({
      data: { charged: 500 },
    });
    expect(
      llm.recordedToolResult?.({ step: 2, name: 'charge', args: { api_key: SECRET, cents: 900 } }),
    ).toBeUndefined();
    expect(JSON.stringify(llm.pendingDivergence)).not.toContain(SECRET);
    // A machine-issued key is redacted to a marker with its fingerprint (docs/provenance.md, redaction).
    expect(llm.pendingDivergence?.summary[0]).toMatch(/\{"api_key":"\[REDACTED:[0-9a-f]{8}\]","cents":900\}/);
  });

  it('is offered in replay mode only: other modes run the tools', async () => {
    const dir = await recordMails();
    expect(ReplayLLM.fromTrace(dir).recordedToolResult).toBeTypeOf('function');
    const live = ReplayLLM.fromTrace(dir, { mode: 'live', fallback: new ScriptedLLM([]) });
    expect(live.recordedToolResult).toBeUndefined();
  });

  it('ProvenanceSink.wrapLLM forwards it, and adds none to a backend without it', async () => {
    const llm = ReplayLLM.fromTrace(await recordMails());
    const wrapped = new ProvenanceSink({ dir: path.join(tempDir(), 'again') }).wrapLLM(llm);
    expect(wrapped.recordedToolResult?.({ step: 1, name: 'send_email', args: { to: 'bob' } })).toEqual({
      data: { id: 'msg-3', to: 'bob' },
    });
    const plain = new ProvenanceSink({ dir: path.join(tempDir(), 'plain') }).wrapLLM(new ScriptedLLM([]));
    expect('recordedToolResult' in plain).toBe(false);
  });
});
