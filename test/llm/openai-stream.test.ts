// OpenAIBackend with `stream: true`: server-sent events assembled by the SDK's stream helper into
// the same LLMResponse a plain call gives, with text deltas reported as they arrive.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { LLMError, type LLMRequest, LLMResponseError, OpenAIBackend } from '../../src/index.js';
import { fixtureJson, fixtureText, useOpenAIServer } from '../helpers/openai-server.js';

const ask: LLMRequest = {
  messages: [{ role: 'user', content: 'Weather in Shanghai and Beijing?' }],
  tools: [
    {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    },
  ],
  step: 1,
};

const server = useOpenAIServer();

function streaming(extra: Partial<ConstructorParameters<typeof OpenAIBackend>[0]> = {}): OpenAIBackend {
  return new OpenAIBackend({
    model: 'gpt-4o',
    baseURL: server.baseURL,
    apiKey: 'sk-test',
    maxRetries: 0,
    stream: true,
    ...extra,
  });
}

/** The `data:` payloads of an SSE fixture, parsed, without the final `[DONE]`. */
function sseChunks(file: string): Array<{ choices: Array<{ delta: Record<string, unknown> }> }> {
  return fixtureText(file)
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice('data: '.length)));
}

describe('OpenAIBackend streaming', () => {
  it('assembles streamed text, reports each delta, and asks for usage in the stream', async () => {
    server.enqueue({ file: 'gpt-4o.text.stream.sse' });
    const deltas: string[] = [];
    const response = await streaming({ onDelta: ({ text }) => deltas.push(text) }).generate(ask);

    const chunks = sseChunks('gpt-4o.text.stream.sse');
    const expectedDeltas = chunks
      .map((chunk) => chunk.choices[0]?.delta.content)
      .filter((content): content is string => typeof content === 'string' && content !== '');
    expect(response.text).toBe(expectedDeltas.join(''));
    expect(response.text).toMatch(/^Sure, here we go:\n\n1\.\.\./);
    expect(deltas).toEqual(expectedDeltas);
    expect(response.finishReason).toBe('stop');
    expect(response.toolCalls).toBeUndefined();
    expect(response.raw).toEqual(chunks);
    // This recorded stream has no usage chunk: none is invented.
    expect(response.usage).toBeUndefined();
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('assembles parallel tool calls from argument fragments, with the final usage chunk', async () => {
    server.enqueue({ file: 'crafted/gpt-4o.parallel-tool-calls.stream.sse' });
    const deltas: string[] = [];
    const response = await streaming({ onDelta: ({ text }) => deltas.push(text) }).generate(ask);
    expect(response.toolCalls).toEqual([
      { id: 'call_qOfTGgDrItLORNfC6VwUbyLL', name: 'get_weather', args: { location: 'Shanghai' } },
      { id: 'call_7kTfN2sQx4RwYb8mPzLcVa3D', name: 'get_weather', args: { location: 'Beijing' } },
    ]);
    expect(response.text).toBeUndefined();
    expect(deltas).toEqual([]);
    expect(response.finishReason).toBe('tool_calls');
    expect(response.usage).toEqual({ promptTokens: 91, completionTokens: 46, totalTokens: 137 });
  });

  it('gives the same response as the non-streamed call of the same answer', async () => {
    server.enqueue(
      { file: 'crafted/gpt-4o.parallel-tool-calls.stream.sse' },
      {
        file: 'crafted/gpt-4o.parallel-tool-calls.json',
      },
    );
    const streamed = await streaming().generate(ask);
    const plain = await streaming({ stream: false }).generate(ask);
    const { raw: _streamedRaw, ...streamedRest } = streamed;
    const { raw: _plainRaw, ...plainRest } = plain;
    expect(streamedRest).toEqual(plainRest);
  });

  it('sums streamed reasoning deltas (gpt-oss) instead of keeping the last one', async () => {
    server.enqueue({ file: 'crafted/gpt-oss-20b.reasoning.stream.sse' });
    const response = await streaming({ model: 'gpt-oss-20b' }).generate(ask);
    const message = (
      fixtureJson('gpt-oss-20b.two-turns/02.response.json').choices as Array<{
        message: { content: string; reasoning: string };
      }>
    )[0]!.message;
    expect(response.text).toBe(message.content);
    expect(response.reasoning).toBe(message.reasoning);
    expect(response.usage).toEqual({ promptTokens: 228, completionTokens: 194, totalTokens: 422 });
  });

  it('retries a 429 before the stream starts', async () => {
    server.enqueue(
      { status: 429, file: 'crafted/error-429.rate-limit.json', headers: { 'retry-after': '0' } },
      { file: 'gpt-4o.text.stream.sse' },
    );
    const response = await streaming({ maxRetries: 1 }).generate(ask);
    expect(server.requests).toHaveLength(2);
    expect(response.text).toMatch(/^Sure, here we go/);
  });

  it('throws LLMError with the status when the stream request fails', async () => {
    server.enqueue({ status: 401, file: 'crafted/error-401.invalid-key.json' });
    const error = await streaming()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LLMError);
    expect((error as LLMError).status).toBe(401);
  });

  it('throws LLMError with the provider message when the server sends an error event mid-stream', async () => {
    const first = fixtureText('gpt-4o.text.stream.sse').split('\n\n')[0];
    server.enqueue({
      body: `${first}\n\ndata: {"error":{"message":"The model is overloaded","type":"server_error"}}\n\n`,
      headers: { 'content-type': 'text/event-stream' },
    });
    const error = await streaming()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LLMError);
    expect((error as LLMError).status).toBeUndefined();
    expect((error as LLMError).providerMessage).toBe('The model is overloaded');
    expect((error as Error).message).toContain('sent an error in the stream: The model is overloaded');
  });

  it('throws LLMResponseError when an event is not JSON', async () => {
    const sse = fixtureText('gpt-4o.text.stream.sse').split('\n\n');
    server.enqueue({
      body: `${sse[0]}\n\ndata: {"id":"chatcmpl-cut","choices":[{"delta":{"content":"Su\n\n`,
      headers: { 'content-type': 'text/event-stream' },
    });
    // A client with logging off: the SDK logs unparsable events at error level before throwing.
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0, logLevel: 'off' });
    const error = await new OpenAIBackend({ model: 'gpt-4o', client, stream: true })
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LLMResponseError);
    expect((error as Error).message).toMatch(/stream that could not be assembled/);
  });

  it('throws LLMResponseError when the stream ends without a finish reason', async () => {
    const firstTwo = fixtureText('gpt-4o.text.stream.sse').split('\n\n').slice(0, 2).join('\n\n');
    server.enqueue({
      body: `${firstTwo}\n\ndata: [DONE]\n\n`,
      headers: { 'content-type': 'text/event-stream' },
    });
    const error = await streaming()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LLMResponseError);
    expect((error as Error).message).toContain('missing finish_reason');
  });

  it('rethrows the error of an onDelta callback that throws', async () => {
    server.enqueue({ file: 'gpt-4o.text.stream.sse' });
    const mine = new Error('my UI is gone');
    const error = await streaming({
      onDelta: () => {
        throw mine;
      },
    })
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBe(mine);
  });
});
