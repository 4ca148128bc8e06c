import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  type LLMRequest,
  type LLMResponse,
  ProvenanceSink,
  readTrace,
  ScriptedLLM,
  TraceWriteError,
} from '../../src/index.js';
import { TRACE_SCHEMA_VERSION } from '../../src/provenance/records.js';
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

describe('ProvenanceSink: the trace directory', () => {
  it('writes trace.json, one file per step and per model call, artifacts, expected and volatile.json', async () => {
    const dir = path.join(tempDir(), 'greeter');
    const sink = new ProvenanceSink({ dir });
    sink.artifacts = { greeted: ['Alice', 'Bob'] };
    sink.expected = { greeted: 2 };
    const run = agentLoop({
      llm: sink.wrapLLM(new ScriptedLLM(GREETER_SCRIPT)),
      tools: [greet],
      task: GREETER_TASK,
      hooks: [sink.hook()],
    });
    for await (const _ of run);
    await sink.flush();

    expect(Object.keys(dirFiles(dir, { volatile: true }))).toEqual([
      'artifacts.json',
      'calls/0001.json',
      'calls/0002.json',
      'expected.json',
      'steps/0001.json',
      'steps/0002.json',
      'trace.json',
      'volatile.json',
    ]);
    const meta = readJson(dir, 'trace.json');
    expect(meta).toMatchObject({
      schemaVersion: TRACE_SCHEMA_VERSION,
      task: GREETER_TASK,
      endReason: 'done',
      stepCount: 2,
      callCount: 2,
      finalOutput: { summary: 'greeted Alice and Bob' },
      model: 'scripted',
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    });
    expect((meta.tools as Array<{ name: string }>).map((tool) => tool.name)).toEqual(['greet', 'done']);
    expect(readJson(dir, 'artifacts.json')).toEqual({ greeted: ['Alice', 'Bob'] });
    expect(readJson(dir, 'expected.json')).toEqual({ greeted: 2 });

    // Both parallel calls and both results are in step 1, without durations.
    const step = readJson(dir, 'steps/0001.json');
    expect(step).toMatchObject({ index: 1, text: 'Greeting both.' });
    expect(step.results).toEqual([
      { callId: 'call_1', name: 'greet', args: { name: 'Alice' }, data: { greeting: 'Hello, Alice!' } },
      { callId: 'call_2', name: 'greet', args: { name: 'Bob' }, data: { greeting: 'Hello, Bob!' } },
    ]);
    expect(step).not.toHaveProperty('startedAt');
    expect(step).not.toHaveProperty('durationMs');

    // Times, ids and host live in volatile.json only.
    const volatile = readJson(dir, 'volatile.json');
    expect(volatile).toMatchObject({
      host: expect.any(String),
      runId: expect.any(String),
      node: process.version,
    });
    expect(volatile.steps).toHaveLength(2);
    expect(volatile.calls).toHaveLength(2);
    for (const [file, content] of Object.entries(dirFiles(dir))) {
      expect(content, file).not.toContain(volatile.runId as string);
      expect(content, file).not.toMatch(/startedAt|durationMs/);
    }
  });

  it('stores the first request in full and later ones as the messages appended since', async () => {
    const dir = await recordGreeter();
    const first = readJson(dir, 'calls/0001.json').request as Record<string, unknown>;
    expect(first).toMatchObject({ step: 1 });
    expect((first.messages as Array<{ role: string }>).map((m) => m.role)).toEqual(['system', 'user']);
    const second = readJson(dir, 'calls/0002.json').request as Record<string, unknown>;
    expect(second).toMatchObject({ step: 2, base: 1 });
    expect(second).not.toHaveProperty('messages');
    expect((second.append as Array<{ role: string }>).map((m) => m.role)).toEqual([
      'assistant',
      'tool',
      'tool',
    ]);
    // Tools equal to trace.json's are not repeated in each call.
    expect(first).not.toHaveProperty('tools');
  });

  it('stores a full request again when compaction rewrote the history', async () => {
    const dir = path.join(tempDir(), 'compacted');
    const turns = [
      ...Array.from({ length: 3 }, (_, i) => ({ toolCalls: [{ name: 'greet', args: { name: `P${i}` } }] })),
      { toolCalls: [{ name: 'done', args: { summary: 'ok' } }] },
    ];
    await recordRun({
      dir,
      llm: new ScriptedLLM(turns),
      // Keeps the system prompt and the task, and a note, once the history grows past 4 messages.
      hooks: [
        {
          shouldCompact: ({ state }) => state.messages.length > 4,
          compact: ({ messages }) => [
            ...messages.slice(0, 2),
            { role: 'user', content: '(earlier steps dropped)' },
          ],
        },
      ],
    });
    const requests = [1, 2, 3, 4].map(
      (n) => readJson(dir, `calls/000${n}.json`).request as Record<string, unknown>,
    );
    expect(requests.some((request, index) => index > 0 && 'messages' in request)).toBe(true);
    // Whatever was stored, the reader gives back exactly what the model saw.
    const trace = await readTrace(dir);
    for (let n = 1; n <= 4; n++) expect(trace.readCall(n).request.messages.length).toBeGreaterThan(0);
  });

  it('gives byte-identical files (except volatile.json) when the same scripted run is recorded twice', async () => {
    const a = await recordGreeter();
    const b = await recordGreeter();
    expect(dirFiles(b)).toEqual(dirFiles(a));
    expect(dirFiles(b, { volatile: true })['volatile.json']).toBeDefined();
  });

  it('is deterministic even with the default clock and id generator', async () => {
    const a = await recordGreeter({ deterministic: false });
    const b = await recordGreeter({ deterministic: false });
    expect(dirFiles(b)).toEqual(dirFiles(a));
    expect(readJson(a, 'volatile.json').runId).not.toBe(readJson(b, 'volatile.json').runId);
  });

  it('records a failing model call with its error, and the run end reason', async () => {
    const dir = path.join(tempDir(), 'failing');
    const { result } = await recordRun({
      dir,
      llm: new ScriptedLLM([GREETER_SCRIPT[0]!, { error: new Error('connection reset') }]),
    });
    expect(result.endReason).toBe('llm_error');
    expect(readJson(dir, 'calls/0002.json').error).toEqual({ name: 'Error', message: 'connection reset' });
    expect(readJson(dir, 'trace.json')).toMatchObject({
      endReason: 'llm_error',
      stopReason: 'connection reset',
      stepCount: 1,
      callCount: 2,
    });
  });

  it('forwards every field of the request to the wrapped backend and records the extra ones', async () => {
    const seen: LLMRequest[] = [];
    const sink = new ProvenanceSink({ dir: path.join(tempDir(), 'extra') });
    const llm = sink.wrapLLM({
      model: 'm',
      generate: async (request) => {
        seen.push(request);
        return { text: 'ok' };
      },
    });
    const signal = new AbortController().signal;
    const request = { messages: [], tools: [], step: 0, signal, temperature: 0.3, seed: 7 } as LLMRequest;
    await llm.generate(request);
    expect(seen[0]).toBe(request);
    expect(llm.model).toBe('m');
    const run = agentLoop({ llm, tools: [greet], task: 'go', hooks: [sink.hook()] });
    await run.result;
    const files = sink.files();
    const call = JSON.parse(files.find((file) => file.path === 'calls/0001.json')!.content);
    expect(call.request).toMatchObject({ step: 0, options: { temperature: 0.3, seed: 7 }, tools: [] });
  });

  it('writes a tool call a backend returned without an id with the empty id, so the trace reads back', async () => {
    const dir = path.join(tempDir(), 'no-id');
    // A JavaScript backend breaking the LLMResponse contract.
    const noId = { toolCalls: [{ name: 'done', args: { summary: 'ok' } }] } as unknown as LLMResponse;
    await recordRun({ dir, llm: new ScriptedLLM([() => noId]) });
    expect(readJson(dir, 'calls/0001.json').response).toEqual({
      toolCalls: [{ id: '', name: 'done', args: { summary: 'ok' } }],
    });
    expect((await readTrace(dir)).readCall(1).response?.toolCalls?.[0]?.name).toBe('done');
  });

  it('refuses to write a trace whose steps have no recorded model call, and says how to fix it', async () => {
    // The backend is not wrapped with sink.wrapLLM: such a trace could never be replayed.
    const sink = new ProvenanceSink({ dir: path.join(tempDir(), 'unwrapped') });
    const run = agentLoop({
      llm: new ScriptedLLM(GREETER_SCRIPT),
      tools: [greet],
      task: 't',
      hooks: [sink.hook()],
    });
    await run.result;
    const error = await sink.flush().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TraceWriteError);
    expect((error as Error).message).toMatch(
      /none of the run's 2 step\(s\) has a recorded model call.*never be replayed.*sink\.wrapLLM\(llm\)/,
    );
    expect(existsSync(sink.dir)).toBe(false);
  });

  it('writes a run that ended before its first step without any model call', async () => {
    const sink = new ProvenanceSink({ dir: path.join(tempDir(), 'no-steps') });
    const hooks = [{ preLoop: () => ({ stop: 'nothing to do' }) }, sink.hook()];
    const run = agentLoop({ llm: new ScriptedLLM([]), tools: [greet], task: 't', hooks });
    expect((await run.result).steps).toHaveLength(0);
    await sink.flush();
    expect((await readTrace(sink.dir)).meta).toMatchObject({ stepCount: 0, callCount: 0 });
  });

  it('refuses to flush before the run ended', async () => {
    const sink = new ProvenanceSink({ dir: path.join(tempDir(), 'early') });
    await expect(sink.flush()).rejects.toThrow(TraceWriteError);
    await expect(sink.flush()).rejects.toThrow(/has not ended.*sink\.hook\(\)/);
  });
});

describe('ProvenanceSink: atomic writes', () => {
  it('replaces an existing trace completely, leaving no temporary directory behind', async () => {
    const dir = path.join(tempDir(), 'trace');
    await recordRun({
      dir,
      llm: new ScriptedLLM([
        { toolCalls: [{ name: 'greet', args: { name: 'A' } }] },
        { toolCalls: [{ name: 'greet', args: { name: 'B' } }] },
        { toolCalls: [{ name: 'done', args: { summary: 'x' } }] },
      ]),
    });
    expect(existsSync(path.join(dir, 'steps/0003.json'))).toBe(true);
    await recordRun({ dir, llm: new ScriptedLLM(GREETER_SCRIPT) });
    expect(existsSync(path.join(dir, 'steps/0003.json'))).toBe(false);
    expect(readJson(dir, 'trace.json').stepCount).toBe(2);
    expect(readdirSync(path.dirname(dir))).toEqual(['trace']);
  });

  it('refuses to replace a directory that is not a trace', async () => {
    const dir = path.join(tempDir(), 'project');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    await expect(recordRun({ dir, llm: new ScriptedLLM(GREETER_SCRIPT) })).rejects.toThrow(
      /not a complete looplet trace/,
    );
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('writes with fsync when durable', async () => {
    const dir = path.join(tempDir(), 'durable');
    await recordRun({ dir, llm: new ScriptedLLM(GREETER_SCRIPT), sink: { durable: true } });
    expect((await readTrace(dir)).meta.stepCount).toBe(2);
  });
});

describe('ProvenanceSink: redaction', () => {
  const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123';

  it('forwards requests unchanged by default and redacts everything it writes', async () => {
    const seen: string[] = [];
    const dir = path.join(tempDir(), 'secret');
    const spy = new ScriptedLLM([
      (request) => {
        seen.push(JSON.stringify(request.messages));
        return { toolCalls: [{ id: 'c1', name: 'greet', args: { name: `Bearer abcdefghijklmnop` } }] };
      },
      { toolCalls: [{ name: 'done', args: { summary: 'ok', apiKey: 'hunter2-hunter2' } }] },
    ]);
    await recordRun({
      dir,
      llm: spy,
      task: { goal: `Use key ${secret} to greet`, authorization: 'Basic xyz' },
    });
    // Recording changes nothing the model sees.
    expect(seen[0]).toContain(secret);
    const all = Object.values(dirFiles(dir, { volatile: true })).join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain('abcdefghijklmnop');
    expect(all).not.toContain('hunter2');
    expect(all).toContain('Bearer [REDACTED]');
    expect(readJson(dir, 'trace.json').task).toEqual({
      goal: expect.stringMatching(/^Use key \[REDACTED:[0-9a-f]{8}\] to greet$/),
      authorization: '[REDACTED]',
    });
  });

  it('with redactRequests, redacts each request before it leaves the process, also after compaction', async () => {
    const seen: string[] = [];
    const dir = path.join(tempDir(), 'upstream');
    const turns = [
      ...Array.from({ length: 3 }, (_, i) => ({
        toolCalls: [{ id: `c${i}`, name: 'greet', args: { name: `P${i}` } }],
      })),
      { toolCalls: [{ id: 'c3', name: 'done', args: { summary: 'ok' } }] },
    ];
    const llm = new ScriptedLLM(
      turns.map((turn) => (request: LLMRequest) => {
        seen.push(JSON.stringify(request.messages));
        return turn;
      }),
    );
    await recordRun({
      dir,
      llm,
      task: { goal: `Use key ${secret}` },
      sink: { redactRequests: true },
      hooks: [
        {
          // Replaces the history with a new list holding a summary that carries a secret.
          shouldCompact: ({ state }) => state.messages.length > 4,
          compact: ({ messages }) => [
            ...messages.slice(0, 2),
            { role: 'user', content: 'summary: the db password=hunter2-compacted' },
          ],
        },
      ],
    });
    expect(seen).toHaveLength(4);
    for (const request of seen) {
      expect(request).not.toContain(secret);
      expect(request).not.toContain('hunter2');
    }
    expect(seen.some((request) => request.includes('password=[REDACTED]'))).toBe(true);
    expect(Object.values(dirFiles(dir)).join('\n')).not.toContain('hunter2');
  });

  it('applies configured patterns and keys, and can be turned off', async () => {
    const custom = path.join(tempDir(), 'custom');
    await recordRun({
      dir: custom,
      llm: new ScriptedLLM(GREETER_SCRIPT),
      task: { goal: 'Greet ACME-123456', account: 'acct-9' },
      sink: { redact: { patterns: [/ACME-\d{6}/g], keys: ['account'] } },
    });
    const text = Object.values(dirFiles(custom)).join('\n');
    expect(text).not.toContain('ACME-123456');
    // Keys redact structured values; the same value inside prose needs a pattern.
    expect(readJson(custom, 'trace.json').task).toEqual({ goal: 'Greet [REDACTED]', account: '[REDACTED]' });

    const off = path.join(tempDir(), 'off');
    await recordRun({
      dir: off,
      llm: new ScriptedLLM(GREETER_SCRIPT),
      task: `key ${secret}`,
      sink: { redact: false },
    });
    expect(readJson(off, 'trace.json').task).toBe(`key ${secret}`);
  });
});
