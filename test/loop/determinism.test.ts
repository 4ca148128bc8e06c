import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  fixedClock,
  type RunResult,
  ScriptedLLM,
  type ScriptedTurn,
  Step,
  sequentialIds,
} from '../../src/index.js';
import { call, done, echoTool, RecordingLLM } from './support.js';

const turns: ScriptedTurn[] = [
  {
    text: 'looking',
    toolCalls: [
      { name: 'echo', args: { text: 'a' } },
      { name: 'echo', args: { text: 'b' } },
    ],
  },
  call('missing'),
  { ...done('ok'), usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12 } },
];

async function deterministicRun(): Promise<{ result: RunResult; runId: string; requests: unknown[] }> {
  const llm = new RecordingLLM(turns);
  const run = agentLoop({
    llm,
    tools: [echoTool('echo')],
    task: { goal: 'echo twice', audience: 'tests' },
    clock: fixedClock({ at: 1_700_000_000_000, stepMs: 5 }),
    ids: sequentialIds(),
  });
  const result = await run.result;
  return { result, runId: run.state.runId, requests: llm.requests };
}

describe('deterministic runs with fixedClock() and sequentialIds()', () => {
  it('the same script gives the same steps, ids, times and requests, byte for byte', async () => {
    const first = await deterministicRun();
    const second = await deterministicRun();
    expect(JSON.stringify(second.result)).toBe(JSON.stringify(first.result));
    expect(JSON.stringify(second.requests)).toBe(JSON.stringify(first.requests));
    expect(first.runId).toBe('run_1');
    expect(first.result.steps.flatMap((s) => s.toolCalls.map((c) => c.id))).toEqual([
      'call_1',
      'call_2',
      'call_3',
      'call_4',
    ]);
    expect(first.result.steps[0]?.startedAt).toBe(1_700_000_000_000);
    expect(first.result.usage).toEqual({ promptTokens: 10, completionTokens: 2, totalTokens: 12 });
  });

  it('fixedClock reads the same instant, or advances by stepMs per reading', () => {
    const still = fixedClock({ at: 42 });
    expect([still.now(), still.now()]).toEqual([42, 42]);
    const ticking = fixedClock({ at: 0, stepMs: 3 });
    expect([ticking.now(), ticking.now(), ticking.now()]).toEqual([0, 3, 6]);
  });

  it('ids the model gave are kept; only missing ones are generated', async () => {
    const result = await agentLoop({
      llm: new ScriptedLLM([{ toolCalls: [{ id: 'provider_9', name: 'done', args: { summary: 's' } }] }]),
      task: 't',
      ids: sequentialIds(),
    }).result;
    expect(result.steps[0]?.toolCalls[0]?.id).toBe('provider_9');
  });
});

describe('Step.pretty()', () => {
  const pretty = (data: Partial<ConstructorParameters<typeof Step>[0]>) =>
    new Step({
      index: 3,
      toolCalls: [],
      results: [],
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      context: [],
      metadata: {},
      startedAt: 0,
      durationMs: 181.6,
      ...data,
    }).pretty();
  const ok = (name: string, args: Record<string, unknown>, data: unknown) => ({
    callId: 'c',
    name,
    args,
    data,
    durationMs: 0,
  });

  it('a successful call: index, tick, call with quoted string args, summary, rounded duration', () => {
    expect(pretty({ results: [ok('search', { query: 'cats', limit: 5 }, [1, 2, 3])] })).toBe(
      "#3 ✓ search(query='cats', limit=5) → 3 items [182ms]",
    );
  });

  it('summaries: small objects list keys, big ones count them, scalars print, null is ok', () => {
    expect(pretty({ results: [ok('t', {}, { a: 1, b: 2 })] })).toBe('#3 ✓ t() → {a, b} [182ms]');
    expect(pretty({ results: [ok('t', {}, { a: 1, b: 2, c: 3, d: 4 })] })).toBe('#3 ✓ t() → 4 keys [182ms]');
    expect(pretty({ results: [ok('t', {}, 42)] })).toBe('#3 ✓ t() → 42 [182ms]');
    expect(pretty({ results: [ok('t', {}, null)] })).toBe('#3 ✓ t() → ok [182ms]');
  });

  it('a failed call shows a cross, the error kind and message', () => {
    const failed = {
      callId: 'c',
      name: 'add',
      args: { a: 1 },
      error: { kind: 'invalid_args' as const, message: 'b: missing' },
      durationMs: 0,
    };
    expect(pretty({ results: [failed] })).toBe('#3 ✗ add(a=1) → invalid_args: b: missing [182ms]');
  });

  it('several calls are joined with a middle dot; a text answer shows a speech bubble', () => {
    expect(pretty({ results: [ok('a', {}, 1), ok('b', {}, 2)] })).toBe('#3 ✓ a() → 1 · ✓ b() → 2 [182ms]');
    expect(pretty({ text: 'The answer\nis 42.' })).toBe('#3 💬 The answer is 42. [182ms]');
  });

  it('long values are cut with an ellipsis', () => {
    const line = pretty({ results: [ok('write', { text: 'x'.repeat(100) }, 'y'.repeat(100))] });
    expect(line).toBe(`#3 ✓ write(text='${'x'.repeat(38)}…) → ${'y'.repeat(39)}… [182ms]`);
  });

  it('the steps of a real run print one line each', async () => {
    const lines: string[] = [];
    const run = agentLoop({
      llm: new ScriptedLLM([call('echo', { text: 'hi' }), { text: 'bye' }]),
      tools: [echoTool('echo')],
      task: 't',
      clock: fixedClock(),
    });
    for await (const step of run) lines.push(step.pretty());
    expect(lines).toEqual(["#1 ✓ echo(text='hi') → {echoed} [0ms]", '#2 💬 bye [0ms]']);
  });
});
