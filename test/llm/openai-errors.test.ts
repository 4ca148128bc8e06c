// OpenAIBackend failures through the real SDK: retries (the SDK's own, honouring retry-after),
// HTTP errors, timeouts, aborts and unreachable servers, all as typed looplet errors.
import { describe, expect, it } from 'vitest';
import { LLMError, type LLMRequest, LoopletError, OpenAIBackend } from '../../src/index.js';
import { fixtureJson, startOpenAIServer, useOpenAIServer } from '../helpers/openai-server.js';

const ask: LLMRequest = { messages: [{ role: 'user', content: 'Tell me a joke' }], tools: [], step: 1 };
const rateLimited = {
  status: 429,
  file: 'crafted/error-429.rate-limit.json',
  headers: { 'retry-after': '0', 'x-request-id': 'req_429' },
};
const serverError = {
  status: 500,
  file: 'crafted/error-500.server-error.json',
  headers: { 'retry-after-ms': '0', 'x-request-id': 'req_500' },
};

const server = useOpenAIServer();

function backend(extra: Partial<ConstructorParameters<typeof OpenAIBackend>[0]> = {}): OpenAIBackend {
  return new OpenAIBackend({ model: 'gpt-4o', baseURL: server.baseURL, apiKey: 'sk-test', ...extra });
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

function providerMessage(file: string): string {
  return (fixtureJson(file).error as { message: string }).message;
}

describe('OpenAIBackend retries', () => {
  it('retries a 429 and returns the answer that follows', async () => {
    server.enqueue(rateLimited, { file: 'gpt-4o.text.json' });
    const response = await backend().generate(ask);
    expect(response.text).toBe("Why don't skeletons fight each other? They don't have the guts.");
    expect(server.requests).toHaveLength(2);
    // The SDK's retry machinery made the second attempt (it numbers its attempts in a header).
    expect(server.requests.map((request) => request.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
    expect(server.requests[1]?.body).toEqual(server.requests[0]?.body);
  });

  it('throws LLMError 429 with the provider message and request id once retries run out', async () => {
    server.enqueue(rateLimited, rateLimited);
    const error = await failure(backend({ maxRetries: 1 }).generate(ask));
    expect(server.requests).toHaveLength(2);
    expect(error.code).toBe('LLM_HTTP_ERROR');
    expect(error.status).toBe(429);
    expect(error.providerMessage).toBe(providerMessage('crafted/error-429.rate-limit.json'));
    expect(error.providerCode).toBe('rate_limit_exceeded');
    expect(error.requestId).toBe('req_429');
    expect(error.message).toContain('HTTP 429 after 1 retry');
    expect(error.message).toContain('rate limiting');
    expect(error.message).toContain('req_429');
  });

  it('throws LLMError 500 after the default two retries', async () => {
    server.enqueue(serverError, serverError, serverError);
    const error = await failure(backend().generate(ask));
    expect(server.requests).toHaveLength(3);
    expect(error.status).toBe(500);
    expect(error.providerMessage).toBe(providerMessage('crafted/error-500.server-error.json'));
    expect(error.message).toContain('HTTP 500 after 2 retries');
  });

  it('does not retry when maxRetries is 0', async () => {
    server.enqueue(serverError);
    const error = await failure(backend({ maxRetries: 0 }).generate(ask));
    expect(server.requests).toHaveLength(1);
    expect(error.message).toContain('failed with HTTP 500:');
  });
});

describe('OpenAIBackend HTTP errors say what to check', () => {
  it('401: the API key, without retrying', async () => {
    server.enqueue({ status: 401, file: 'crafted/error-401.invalid-key.json' });
    const error = await failure(backend().generate(ask));
    expect(server.requests).toHaveLength(1);
    expect(error.status).toBe(401);
    expect(error.providerCode).toBe('invalid_api_key');
    expect(error.message).toContain('Incorrect API key provided');
    expect(error.message).toContain('OPENAI_API_KEY');
  });

  it('404: the model name and the base URL', async () => {
    server.enqueue({ status: 404, file: 'crafted/error-404.model-not-found.json' });
    const error = await failure(backend({ model: 'gpt-4o-typo' }).generate(ask));
    expect(error.status).toBe(404);
    expect(error.message).toContain('model "gpt-4o-typo"');
    expect(error.message).toContain('OPENAI_MODEL');
    expect(error.message).toContain('OPENAI_BASE_URL');
    expect(error.message).toContain(`${server.baseURL}/chat/completions`);
  });

  it('an error body that is plain text still reaches the message', async () => {
    server.enqueue({
      status: 502,
      body: 'upstream connect error',
      headers: { 'content-type': 'text/plain' },
    });
    const error = await failure(backend({ maxRetries: 0 }).generate(ask));
    expect(error.status).toBe(502);
    expect(error.providerMessage).toBe('upstream connect error');
  });
});

describe('OpenAIBackend connection failures', () => {
  it('times out with the SDK timeout', async () => {
    server.enqueue({ hang: true });
    const error = await failure(backend({ timeoutMs: 500, maxRetries: 0 }).generate(ask));
    expect(error.code).toBe('LLM_TIMEOUT');
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('within 500 ms (timeoutMs)');
  });

  it('stops when the request signal aborts', async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = backend().generate({ ...ask, signal: controller.signal });
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    const error = await failure(pending);
    expect(error.code).toBe('LLM_ABORTED');
  });

  it('names the base URL when no server listens there', async () => {
    const gone = await startOpenAIServer();
    await gone.close();
    const error = await failure(
      new OpenAIBackend({
        model: 'gpt-4o',
        baseURL: gone.baseURL,
        apiKey: 'sk-test',
        maxRetries: 0,
      }).generate(ask),
    );
    expect(error.code).toBe('LLM_CONNECTION_ERROR');
    expect(error.message).toContain(gone.baseURL);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('OPENAI_BASE_URL');
  });
});
