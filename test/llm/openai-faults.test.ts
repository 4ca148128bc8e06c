// OpenAIBackend against a server that misbehaves mid-response, through the real SDK and real
// sockets: stalled and trickling bodies, cut connections, long retry-after, aborts while waiting.
// Every failure must be a typed LLMError that says what happened, within the configured limits.
import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { LLMError, type LLMRequest, LLMResponseError, LoopletError, OpenAIBackend } from '../../src/index.js';
import { fixtureText, startOpenAIServer, useOpenAIServer } from '../helpers/openai-server.js';

const ask: LLMRequest = { messages: [{ role: 'user', content: 'Tell me a joke' }], tools: [], step: 1 };
const sse = { 'content-type': 'text/event-stream' };
const server = useOpenAIServer();

function backend(extra: Partial<ConstructorParameters<typeof OpenAIBackend>[0]> = {}): OpenAIBackend {
  return new OpenAIBackend({
    model: 'gpt-4o',
    baseURL: server.baseURL,
    apiKey: 'sk-test',
    maxRetries: 0,
    ...extra,
  });
}

async function failure(promise: Promise<unknown>): Promise<LLMError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(LLMError);
  expect(error).toBeInstanceOf(LoopletError);
  return error as LLMError;
}

/** The bytes of the first `count` events of an SSE fixture. */
function sseBytes(file: string, count: number): number {
  const events = fixtureText(file).split(/(?<=\n\n)/);
  return Buffer.byteLength(events.slice(0, count).join(''));
}

/**
 * Watches the timers of a minute or more created from now on: a leftover one would keep the
 * process from exiting for that long. `live()` lists the delays of those not cleared or fired.
 */
function watchLongTimers(): { live(): number[]; stop(): void } {
  const live = new Map<number, number>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      // `_idleTimeout` is the delay Node keeps on each Timeout object.
      const delay = (resource as { _idleTimeout?: unknown })._idleTimeout;
      if (type === 'Timeout' && typeof delay === 'number' && delay >= 60_000) live.set(id, delay);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  return { live: () => [...live.values()], stop: () => hook.disable() };
}

describe('OpenAIBackend bounds the whole response, not only its headers', () => {
  it('headers then a stalled body: LLM_TIMEOUT within timeoutMs, saying the body never finished', async () => {
    server.enqueue({ file: 'gpt-4o.text.json', fault: { kind: 'stall', afterBytes: 40 } });
    const error = await failure(backend({ timeoutMs: 1500 }).generate(ask));
    expect(error.code).toBe('LLM_TIMEOUT');
    expect(error.message).toContain('1500 ms (timeoutMs)');
    expect(error.message).toContain('reading the response body');
    expect(error.status).toBe(200);
  });

  it('a body trickling at 40 ms a byte: LLM_TIMEOUT within timeoutMs', async () => {
    server.enqueue({ file: 'gpt-4o.text.json', trickleMs: 40 });
    const error = await failure(backend({ timeoutMs: 1500 }).generate(ask));
    expect(error.code).toBe('LLM_TIMEOUT');
    expect(error.message).toContain('reading the response body');
  });

  it('a plain body that stops sending: LLM_STALLED after idleTimeoutMs', async () => {
    server.enqueue({ file: 'gpt-4o.text.json', fault: { kind: 'stall', afterBytes: 40 } });
    const error = await failure(backend({ idleTimeoutMs: 100 }).generate(ask));
    expect(error.code).toBe('LLM_STALLED');
    expect(error.message).toContain('nothing received for 100 ms');
  });

  it('a stream whose headers come but no event: LLM_STALLED after idleTimeoutMs', async () => {
    server.enqueue({ file: 'gpt-4o.text.stream.sse', headers: sse, fault: { kind: 'stall' } });
    const error = await failure(backend({ stream: true, idleTimeoutMs: 100 }).generate(ask));
    expect(error.code).toBe('LLM_STALLED');
    expect(error.message).toContain('after 0 chunks');
  });

  it('a stream that stalls after two events: LLM_STALLED naming the chunks received', async () => {
    const file = 'gpt-4o.text.stream.sse';
    server.enqueue({ file, headers: sse, fault: { kind: 'stall', afterBytes: sseBytes(file, 2) } });
    const error = await failure(backend({ stream: true, idleTimeoutMs: 100 }).generate(ask));
    expect(error.code).toBe('LLM_STALLED');
    expect(error.message).toContain('after 2 chunks');
  });

  it('a stalled stream is also bounded by timeoutMs', async () => {
    server.enqueue({
      file: 'gpt-4o.text.stream.sse',
      headers: sse,
      fault: { kind: 'stall', afterBytes: 10 },
    });
    const error = await failure(backend({ stream: true, timeoutMs: 1500 }).generate(ask));
    expect(error.code).toBe('LLM_TIMEOUT');
    expect(error.message).toContain('while streaming');
  });

  it('totalTimeoutMs bounds the call however long an attempt may take', async () => {
    // Its own server: under load the request may not even arrive before the limit passes.
    const silent = await startOpenAIServer();
    silent.enqueue({ hang: true });
    const llm = backend({ baseURL: silent.baseURL, maxRetries: 5, timeoutMs: 60_000, totalTimeoutMs: 300 });
    const error = await failure(llm.generate(ask));
    await silent.close();
    expect(error.code).toBe('LLM_TIMEOUT');
    expect(error.message).toContain('300 ms for the whole call (totalTimeoutMs), 1 attempt');
    expect(error.attempts).toBe(1);
  });

  it('stops retrying when the next wait would overrun totalTimeoutMs', async () => {
    server.enqueue({
      status: 500,
      file: 'crafted/error-500.server-error.json',
      headers: { 'retry-after': '2' },
    });
    const error = await failure(backend({ maxRetries: 5, totalTimeoutMs: 1500 }).generate(ask));
    expect(error.code).toBe('LLM_HTTP_ERROR');
    expect(error.status).toBe(500);
    expect(error.attempts).toBe(1);
    expect(error.message).toContain('not retried: the server asked to wait 2000 ms (retry-after)');
  });
});

describe('OpenAIBackend maps a cut connection to LLMError', () => {
  it('cut mid-body (plain): LLM_CONNECTION_ERROR, not a raw TypeError', async () => {
    server.enqueue({ file: 'gpt-4o.text.json', fault: { kind: 'cut', afterBytes: 40 } });
    const error = await failure(backend().generate(ask));
    expect(error.code).toBe('LLM_CONNECTION_ERROR');
    expect(error.message).toContain('connection was cut while reading the response body');
    expect(error.status).toBe(200);
  });

  it('cut mid-stream: LLM_CONNECTION_ERROR naming the chunks received', async () => {
    const file = 'gpt-4o.text.stream.sse';
    server.enqueue({ file, headers: sse, fault: { kind: 'cut', afterBytes: sseBytes(file, 3) } });
    const error = await failure(backend({ stream: true }).generate(ask));
    expect(error.code).toBe('LLM_CONNECTION_ERROR');
    expect(error.message).toContain('connection was cut');
    expect(error.message).toContain('after 3 chunks');
  });

  it('a stream that ends cleanly but early: LLMResponseError, which is an LLMError', async () => {
    const firstTwo = fixtureText('gpt-4o.text.stream.sse').split('\n\n').slice(0, 2).join('\n\n');
    server.enqueue({ body: `${firstTwo}\n\n`, headers: sse });
    const error = await failure(backend({ stream: true }).generate(ask));
    expect(error).toBeInstanceOf(LLMResponseError);
    expect(error.code).toBe('LLM_BAD_RESPONSE');
  });

  it('a connection dropped before the headers is retried', async () => {
    server.enqueue({ fault: { kind: 'drop' } }, { file: 'gpt-4o.text.json' });
    const response = await backend({ maxRetries: 1 }).generate(ask);
    expect(response.text).toContain('skeletons');
    expect(server.requests).toHaveLength(2);
  });

  it('a connection cut after the headers is not retried (the answer may already be paid for)', async () => {
    server.enqueue({ file: 'gpt-4o.text.json', fault: { kind: 'cut' } }, { file: 'gpt-4o.text.json' });
    const error = await failure(backend({ maxRetries: 1 }).generate(ask));
    expect(error.code).toBe('LLM_CONNECTION_ERROR');
    expect(error.attempts).toBe(1);
    // The queued answer is left for the next call.
    const response = await backend().generate(ask);
    expect(response.text).toContain('skeletons');
  });
});

describe('OpenAIBackend retry-after is capped, and an abort ends any wait at once', () => {
  it('waits at most maxRetryAfterMs however long the server asks', async () => {
    server.enqueue(
      { status: 429, file: 'crafted/error-429.rate-limit.json', headers: { 'retry-after': '3600' } },
      { file: 'gpt-4o.text.json' },
    );
    const response = await backend({ maxRetries: 1, maxRetryAfterMs: 50 }).generate(ask);
    expect(response.text).toContain('skeletons');
    expect(server.requests).toHaveLength(2);
    expect(server.requests.map((request) => request.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });

  it('gives up at once when the wait would overrun totalTimeoutMs, keeping the status and retry-after', async () => {
    server.enqueue({
      status: 429,
      file: 'crafted/error-429.rate-limit.json',
      headers: { 'retry-after': '3600' },
    });
    const error = await failure(backend({ maxRetries: 3, totalTimeoutMs: 5000 }).generate(ask));
    expect(error.code).toBe('LLM_HTTP_ERROR');
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(3_600_000);
    expect(error.attempts).toBe(1);
    expect(error.message).toContain('retry-after');
  });

  it('an abort during the retry wait rejects at once and leaves no timer behind', async () => {
    server.enqueue({
      status: 429,
      file: 'crafted/error-429.rate-limit.json',
      headers: { 'retry-after': '3600' },
    });
    const timers = watchLongTimers();
    const controller = new AbortController();
    const pending = backend({
      maxRetries: 2,
      maxRetryAfterMs: 3_600_000,
      totalTimeoutMs: 7_200_000,
    }).generate({
      ...ask,
      signal: controller.signal,
    });
    await expect.poll(() => server.requests.length).toBe(1);
    // Let the backend read the 429 and start waiting.
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const error = await failure(pending);
    expect(error.code).toBe('LLM_ABORTED');
    expect(error.message).toContain('while waiting to retry');
    // Destroy hooks run after the current tick.
    await new Promise((resolve) => setImmediate(resolve));
    timers.stop();
    expect(timers.live()).toEqual([]);
  });

  it('an abort while the body stalls rejects at once', async () => {
    server.enqueue({ file: 'gpt-4o.text.json', fault: { kind: 'stall', afterBytes: 40 } });
    const controller = new AbortController();
    const pending = backend().generate({ ...ask, signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const error = await failure(pending);
    expect(error.code).toBe('LLM_ABORTED');
  });

  it('an already aborted signal sends nothing', async () => {
    const error = await failure(backend().generate({ ...ask, signal: AbortSignal.abort() }));
    expect(error.code).toBe('LLM_ABORTED');
    expect(server.requests).toHaveLength(0);
  });
});

describe('OpenAIBackend keeps credentials out of errors', () => {
  it('refuses a baseURL with user:pass@ without repeating the password', () => {
    const create = () => backend({ baseURL: 'http://alice:hunter2-secret@127.0.0.1:1/v1' });
    expect(create).toThrow(/credentials/);
    expect(create).not.toThrow(/hunter2/);
  });

  it('a 401 body that echoes the key does not carry it into the error', async () => {
    const key = 'sk-proj-ECHOED0123456789abcdef';
    server.enqueue({
      status: 401,
      body: JSON.stringify({
        error: { message: `Incorrect API key provided: ${key}.`, code: 'invalid_api_key' },
      }),
    });
    const error = await failure(backend({ apiKey: key }).generate(ask));
    expect(error.status).toBe(401);
    expect(error.providerMessage).toContain('Incorrect API key provided');
    for (const text of [error.message, error.providerMessage, JSON.stringify(causes(error))])
      expect(text).not.toContain(key);
  });

  it('a body that is not JSON and quotes the key does not carry it into LLMResponseError', async () => {
    const key = 'sk-proj-ECHOED0123456789abcdef';
    server.enqueue({
      body: `<html>bad gateway for key ${key}</html>`,
      headers: { 'content-type': 'text/html' },
    });
    const error = await failure(backend({ apiKey: key }).generate(ask));
    expect(error).toBeInstanceOf(LLMResponseError);
    expect(error.message).not.toContain(key);
    expect((error as LLMResponseError).bodyStart).not.toContain(key);
  });
});

/** Every message along the `cause` chain. */
function causes(error: unknown): string[] {
  const out: string[] = [];
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 10; at = at.cause, depth++)
    out.push(at.message, String((at as { error?: unknown }).error ?? ''));
  return out;
}
