// AnthropicBackend failures against a real local server: HTTP errors in the documented error
// shape, retries with retry-after, and the same time limits, aborts and cut connections as
// OpenAIBackend, all as the same typed LLMError family.
import { describe, expect, it } from 'vitest';
import { AnthropicBackend, LLMError, type LLMRequest, LoopletError } from '../../src/index.js';
import {
  ANTHROPIC_FIXTURES,
  fixtureText,
  startOpenAIServer,
  useOpenAIServer,
} from '../helpers/openai-server.js';

const ask: LLMRequest = { messages: [{ role: 'user', content: 'Hello' }], tools: [], step: 1 };
const server = useOpenAIServer({ fixtures: ANTHROPIC_FIXTURES });

function backend(extra: Partial<ConstructorParameters<typeof AnthropicBackend>[0]> = {}): AnthropicBackend {
  return new AnthropicBackend({
    model: 'claude-sonnet-4-5',
    baseURL: server.origin,
    apiKey: 'sk-ant-test-key',
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

function errorMessage(file: string): string {
  return (JSON.parse(fixtureText(file, ANTHROPIC_FIXTURES)) as { error: { message: string } }).error.message;
}

describe('AnthropicBackend HTTP errors', () => {
  it('401: the provider type and message, the request id, and what to check; not retried', async () => {
    server.enqueue({
      status: 401,
      file: 'error-401.authentication.json',
      headers: { 'request-id': 'req_from_header' },
    });
    const error = await failure(backend({ maxRetries: 2 }).generate(ask));
    expect(server.requests).toHaveLength(1);
    expect(error.code).toBe('LLM_HTTP_ERROR');
    expect(error.status).toBe(401);
    expect(error.providerCode).toBe('authentication_error');
    expect(error.providerMessage).toBe('invalid x-api-key');
    expect(error.requestId).toBe('req_from_header');
    expect(error.message).toContain(
      `POST ${server.origin}/v1/messages (model "claude-sonnet-4-5") failed with HTTP 401`,
    );
    expect(error.message).toContain('ANTHROPIC_API_KEY');
  });

  it('404: the request id from the body when no header carries it, and the model name to check', async () => {
    server.enqueue({ status: 404, file: 'error-404.not-found.json' });
    const error = await failure(backend().generate(ask));
    expect(error.requestId).toBe('req_011CSHoEeqs5C35K2UUqR7Fz');
    expect(error.message).toContain('ANTHROPIC_MODEL');
  });

  it('retries a 429 after its retry-after, then answers', async () => {
    server.enqueue(
      { status: 429, file: 'error-429.rate-limit.json', headers: { 'retry-after': '0' } },
      { file: 'claude.text.json' },
    );
    const response = await backend({ maxRetries: 1 }).generate(ask);
    expect(response.text).toContain('Claude');
    expect(server.requests).toHaveLength(2);
  });

  it('retries 529 overloaded up to maxRetries, then says so', async () => {
    const overloaded = { status: 529, file: 'error-529.overloaded.json', headers: { 'retry-after-ms': '1' } };
    server.enqueue(overloaded, overloaded, overloaded);
    const error = await failure(backend({ maxRetries: 2 }).generate(ask));
    expect(server.requests).toHaveLength(3);
    expect(error.status).toBe(529);
    expect(error.attempts).toBe(3);
    expect(error.providerMessage).toBe(errorMessage('error-529.overloaded.json'));
    expect(error.message).toContain('HTTP 529 after 2 retries');
  });

  it('caps a long retry-after and stops when it would overrun totalTimeoutMs', async () => {
    server.enqueue({ status: 429, file: 'error-429.rate-limit.json', headers: { 'retry-after': '3600' } });
    const error = await failure(backend({ maxRetries: 3, totalTimeoutMs: 5000 }).generate(ask));
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(3_600_000);
    expect(error.attempts).toBe(1);
  });

  it('a 401 body that echoes the key does not carry it into the error', async () => {
    const key = 'sk-ant-api03-ECHOED0123456789';
    server.enqueue({
      status: 401,
      body: JSON.stringify({
        type: 'error',
        error: { type: 'authentication_error', message: `bad key ${key}` },
      }),
    });
    const error = await failure(backend({ apiKey: key }).generate(ask));
    expect(error.providerMessage).toBe('bad key [redacted]');
    expect(error.message).not.toContain(key);
  });
});

describe('AnthropicBackend time limits, aborts and connections', () => {
  it('a stalled body: LLM_STALLED after idleTimeoutMs', async () => {
    server.enqueue({ file: 'claude.text.json', fault: { kind: 'stall', afterBytes: 30 } });
    const error = await failure(backend({ idleTimeoutMs: 100 }).generate(ask));
    expect(error.code).toBe('LLM_STALLED');
    expect(error.message).toContain('while reading the response body (HTTP 200)');
  });

  it('a trickling body: LLM_TIMEOUT within timeoutMs', async () => {
    server.enqueue({ file: 'claude.text.json', trickleMs: 40 });
    const error = await failure(backend({ timeoutMs: 1500 }).generate(ask));
    expect(error.code).toBe('LLM_TIMEOUT');
    expect(error.message).toContain('1500 ms (timeoutMs) while reading the response body');
  });

  it('a connection cut mid-body: LLM_CONNECTION_ERROR, not retried', async () => {
    server.enqueue(
      { file: 'claude.text.json', fault: { kind: 'cut', afterBytes: 30 } },
      { file: 'claude.text.json' },
    );
    const error = await failure(backend({ maxRetries: 2 }).generate(ask));
    expect(error.code).toBe('LLM_CONNECTION_ERROR');
    expect(error.message).toContain('connection was cut while reading the response body');
    // The queued answer is left for the next call.
    expect((await backend().generate(ask)).text).toContain('Claude');
  });

  it('a body over 64 MiB: LLMResponseError, read no further', async () => {
    server.enqueue({ body: `{"content":"${'x'.repeat(65 * 1024 * 1024)}"}` });
    const error = await failure(backend().generate(ask));
    expect(error.code).toBe('LLM_BAD_RESPONSE');
    expect(error.message).toContain('larger than 64 MiB');
  });

  it('a connection dropped before the answer is retried', async () => {
    server.enqueue({ fault: { kind: 'drop' } }, { file: 'claude.text.json' });
    const response = await backend({ maxRetries: 1 }).generate(ask);
    expect(response.text).toContain('Claude');
  });

  it('no server: LLM_CONNECTION_ERROR naming the URL and ANTHROPIC_BASE_URL', async () => {
    const gone = await startOpenAIServer();
    await gone.close();
    const error = await failure(backend({ baseURL: gone.origin }).generate(ask));
    expect(error.code).toBe('LLM_CONNECTION_ERROR');
    expect(error.message).toContain(`${gone.origin}/v1/messages`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('ANTHROPIC_BASE_URL');
  });

  it('an abort ends the call at once with LLM_ABORTED', async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = backend().generate({ ...ask, signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    const error = await failure(pending);
    expect(error.code).toBe('LLM_ABORTED');
  });
});
