// OpenAIBackend through the real openai SDK against a local server playing fixture payloads:
// response mapping (text, tool calls, usage, reasoning, refusals, bad bodies) and request mapping.
import { describe, expect, it } from 'vitest';
import {
  LLMError,
  LLMRefusalError,
  type LLMRequest,
  LLMResponseError,
  LoopletError,
  type Message,
  OpenAIBackend,
  type ToolSpec,
} from '../../src/index.js';
import { fixtureJson, useOpenAIServer } from '../helpers/openai-server.js';

const weather: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

const ask: LLMRequest = {
  messages: [
    { role: 'system', content: 'You are a weather assistant.' },
    { role: 'user', content: 'Weather in Shanghai?' },
  ],
  tools: [weather],
  step: 1,
};

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

/** The message of the first choice of a fixture. */
function fixtureMessage(file: string): Record<string, unknown> {
  const choices = fixtureJson(file).choices as Array<{ message: Record<string, unknown> }>;
  return choices[0]!.message;
}

describe('OpenAIBackend responses', () => {
  it('maps a text answer: text, finish reason, usage, and the body as raw', async () => {
    server.enqueue({ file: 'gpt-4o.text.json' });
    const response = await backend().generate(ask);
    expect(response.text).toBe(fixtureMessage('gpt-4o.text.json').content);
    expect(response.toolCalls).toBeUndefined();
    expect(response.finishReason).toBe('stop');
    expect(response.usage).toEqual({ promptTokens: 23, completionTokens: 14, totalTokens: 37 });
    expect(response.raw).toEqual(fixtureJson('gpt-4o.text.json'));
  });

  it('maps a single native tool call with its JSON arguments parsed', async () => {
    server.enqueue({ file: 'gpt-4o.tool-call.json' });
    const response = await backend().generate(ask);
    expect(response.text).toBeUndefined();
    expect(response.toolCalls).toEqual([
      { id: 'call_qOfTGgDrItLORNfC6VwUbyLL', name: 'get_weather', args: { location: 'Shanghai' } },
    ]);
    expect(response.finishReason).toBe('tool_calls');
    expect(response.usage).toEqual({ promptTokens: 91, completionTokens: 14, totalTokens: 105 });
  });

  it('keeps parallel tool calls of one message in order', async () => {
    server.enqueue({ file: 'crafted/gpt-4o.parallel-tool-calls.json' });
    const response = await backend().generate(ask);
    expect(response.toolCalls).toEqual([
      { id: 'call_qOfTGgDrItLORNfC6VwUbyLL', name: 'get_weather', args: { location: 'Shanghai' } },
      { id: 'call_7kTfN2sQx4RwYb8mPzLcVa3D', name: 'get_weather', args: { location: 'Beijing' } },
    ]);
    expect(response.usage?.totalTokens).toBe(137);
  });

  it('turns malformed argument JSON into argsError instead of throwing', async () => {
    server.enqueue({ file: 'crafted/gpt-4o.tool-call.truncated-args.json' });
    const response = await backend().generate(ask);
    expect(response.finishReason).toBe('length');
    const [call] = response.toolCalls ?? [];
    expect(call).toMatchObject({ id: 'call_qOfTGgDrItLORNfC6VwUbyLL', name: 'get_weather', args: {} });
    expect(call?.argsError).toMatch(/not valid JSON/);
    expect(call?.argsError).toContain('{"location":"Shang');
  });

  it('throws LLMRefusalError carrying the refusal text', async () => {
    server.enqueue({ file: 'crafted/gpt-4o.refusal.json' });
    const error = await backend()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LLMRefusalError);
    // One hierarchy: catching LLMError catches every failed call, refusals included.
    expect(error).toBeInstanceOf(LLMError);
    expect(error).toBeInstanceOf(LoopletError);
    expect((error as LLMError).code).toBe('LLM_REFUSAL');
    expect((error as LLMRefusalError).refusal).toBe(fixtureMessage('crafted/gpt-4o.refusal.json').refusal);
    expect((error as Error).message).toContain("I'm sorry, but I can't help with that request.");
  });

  it('throws LLMResponseError quoting a body that is not JSON', async () => {
    server.enqueue({ file: 'crafted/gpt-4o.text.truncated.json' });
    const error = await backend()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LLMResponseError);
    expect((error as Error).message).toMatch(/answered 200 with a body that is not JSON/);
    expect((error as Error).message).toContain('"id": "chatcmpl-BcO1gPfCFAf86O5CyQ9CTeEyoc8KG"');
    expect((error as LLMResponseError).bodyStart?.startsWith('{')).toBe(true);
  });

  it('names an HTML page served where the API should be', async () => {
    server.enqueue({
      body: '<!DOCTYPE html><html><body>Sign in</body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const error = await backend()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LLMResponseError);
    expect((error as Error).message).toContain('it starts with: <!DOCTYPE html>');
    expect((error as Error).message).toContain('/v1');
  });

  it('throws LLMResponseError for JSON that is not a chat completion', async () => {
    server.enqueue({ body: '{"object":"list","data":[]}' }, { body: '' });
    const noChoices = await backend()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(noChoices).toBeInstanceOf(LLMResponseError);
    expect((noChoices as Error).message).toMatch(/no choices\[0\]/);
    const empty = await backend()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(empty).toBeInstanceOf(LLMResponseError);
    expect((empty as Error).message).toMatch(/answered 200 with an empty body/);
  });
});

describe('OpenAIBackend requests', () => {
  it('sends the model, native function tools, options and mapped messages', async () => {
    server.enqueue({ file: 'gpt-4o.text.json' });
    const messages: Message[] = [
      ...ask.messages,
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [{ id: 'call_1', name: 'get_weather', args: { location: 'Shanghai' } }],
      },
      { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: '{"celsius":21}' },
      { role: 'assistant', content: 'It is 21°C.' },
      { role: 'user', content: 'Thanks' },
    ];
    await backend({
      temperature: 0.2,
      maxTokens: 256,
      extraBody: { seed: 7, top_p: 0.9 },
      headers: { 'x-team': 'looplet' },
    }).generate({ ...ask, messages });

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.headers['x-team']).toBe('looplet');
    expect(request?.body).toEqual({
      model: 'gpt-4o',
      stream: false,
      temperature: 0.2,
      max_completion_tokens: 256,
      seed: 7,
      top_p: 0.9,
      tools: [{ type: 'function', function: weather }],
      messages: [
        { role: 'system', content: 'You are a weather assistant.' },
        { role: 'user', content: 'Weather in Shanghai?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Shanghai"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
        { role: 'assistant', content: 'It is 21°C.' },
        { role: 'user', content: 'Thanks' },
      ],
    });
  });

  it('leaves out tools and unset options', async () => {
    server.enqueue({ file: 'gpt-4o.text.json' });
    await backend().generate({ ...ask, tools: [] });
    expect(server.requests[0]?.body).toEqual({
      model: 'gpt-4o',
      stream: false,
      messages: [ask.messages[0], ask.messages[1]],
    });
  });
});

describe('OpenAIBackend with gpt-oss-20b on LM Studio (two real turns)', () => {
  const turn1 = fixtureJson('gpt-oss-20b.two-turns/01.request.json') as {
    messages: Message[];
    tools: Array<{ function: ToolSpec }>;
    temperature: number;
  };
  const turn2 = fixtureJson('gpt-oss-20b.two-turns/02.request.json') as { messages: unknown[] };
  const sayToUser = turn1.tools[0]!.function;

  it('reads a tool call with empty content, then an answer with reasoning and tool_calls: []', async () => {
    server.enqueue(
      { file: 'gpt-oss-20b.two-turns/01.response.json' },
      { file: 'gpt-oss-20b.two-turns/02.response.json' },
    );
    const llm = backend({ model: 'gpt-oss-20b', temperature: turn1.temperature });
    const messages: Message[] = [...turn1.messages];

    const first = await llm.generate({ messages, tools: [sayToUser], step: 1 });
    const firstMessage = fixtureMessage('gpt-oss-20b.two-turns/01.response.json');
    const fullArguments = (firstMessage.tool_calls as Array<{ function: { arguments: string } }>)[0]!.function
      .arguments;
    expect(first.text).toBeUndefined();
    expect(first.toolCalls).toEqual([
      { id: '910617247', name: 'say_to_user', args: JSON.parse(fullArguments) },
    ]);
    expect(first.reasoning).toBe(firstMessage.reasoning);
    expect(first.usage).toEqual({ promptTokens: 153, completionTokens: 80, totalTokens: 233 });

    // What the loop appends after a tool call: the assistant call, then the tool's answer.
    messages.push({ role: 'assistant', toolCalls: first.toolCalls! });
    messages.push({ role: 'tool', toolCallId: '910617247', name: 'say_to_user', content: 'DONE' });
    const second = await llm.generate({ messages, tools: [sayToUser], step: 2 });
    const secondMessage = fixtureMessage('gpt-oss-20b.two-turns/02.response.json');
    expect(second.text).toBe(secondMessage.content);
    expect(second.toolCalls).toBeUndefined();
    expect(second.reasoning).toBe(secondMessage.reasoning);
    expect(second.finishReason).toBe('stop');

    // The first request carries what the logged client sent (minus `n: 1`, the default).
    expect(server.requests[0]?.body).toEqual({
      model: 'gpt-oss-20b',
      stream: false,
      temperature: 0.7,
      messages: turn1.messages,
      tools: turn1.tools,
    });
    // The second resends the call and the result as the logged client did; the server log truncated
    // the arguments (`<Truncated in logs>`), so the expected ones are the model's full arguments.
    const expected = structuredClone(turn2.messages) as Array<Record<string, unknown>>;
    const call = (expected[2]!.tool_calls as Array<{ function: { arguments: string } }>)[0]!;
    expect(call.function.arguments).toContain('<Truncated in logs>');
    call.function.arguments = fullArguments;
    expect((server.requests[1]!.body as { messages: unknown }).messages).toEqual(expected);
  });
});
