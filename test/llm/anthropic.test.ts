// AnthropicBackend against a local server playing Messages API payloads (fixtures/anthropic/,
// crafted from the documented format): request mapping (system, tools, tool results), response
// mapping (text, tool use, thinking, usage, stop reasons), configuration and a whole agent run.
import { describe, expect, it } from 'vitest';
import {
  AnthropicBackend,
  agentLoop,
  defineTool,
  LLMConfigError,
  LLMError,
  LLMRefusalError,
  type LLMRequest,
  LLMResponseError,
  type Message,
  MissingEnvError,
  type ToolSpec,
} from '../../src/index.js';
import { ANTHROPIC_FIXTURES, fixtureText, useOpenAIServer } from '../helpers/openai-server.js';

const weather: ToolSpec = {
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};
const ask: LLMRequest = {
  messages: [
    { role: 'system', content: 'You are a weather assistant.' },
    { role: 'user', content: 'What is the weather like in San Francisco?' },
  ],
  tools: [weather],
  step: 1,
};

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

function fixture(file: string): Record<string, unknown> {
  return JSON.parse(fixtureText(file, ANTHROPIC_FIXTURES)) as Record<string, unknown>;
}

describe('AnthropicBackend requests', () => {
  it('posts to /v1/messages with the key, the API version, the system prompt, tools and max_tokens', async () => {
    server.enqueue({ file: 'claude.text.json' });
    await backend({ temperature: 0.2 }).generate(ask);
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/messages');
    expect(request.headers['x-api-key']).toBe('sk-ant-test-key');
    expect(request.headers['anthropic-version']).toBe('2023-06-01');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: 'You are a weather assistant.',
      messages: [{ role: 'user', content: 'What is the weather like in San Francisco?' }],
      tools: [{ name: 'get_weather', description: weather.description, input_schema: weather.parameters }],
      temperature: 0.2,
    });
  });

  it('sends tool calls as tool_use blocks and their results as tool_result blocks of one user turn', async () => {
    server.enqueue({ file: 'claude.after-tool-result.json' });
    const messages: Message[] = [
      { role: 'user', content: 'Weather in Shanghai and Beijing?' },
      {
        role: 'assistant',
        content: 'Checking both.',
        toolCalls: [
          { id: 'toolu_1', name: 'get_weather', args: { location: 'Shanghai' } },
          { id: 'toolu_2', name: 'get_weather', args: { location: 'Beijing' } },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_1', name: 'get_weather', content: '{"temp":21}' },
      { role: 'tool', toolCallId: 'toolu_2', name: 'get_weather', content: '{"temp":18}' },
      { role: 'user', content: 'Also say which is warmer.' },
      { role: 'assistant', toolCalls: [{ id: 'toolu_3', name: 'get_weather', args: { location: 'Oslo' } }] },
      { role: 'tool', toolCallId: 'toolu_3', name: 'get_weather', content: '{"temp":4}' },
    ];
    await backend({ maxTokens: 512, extraBody: { tool_choice: { type: 'auto' } } }).generate({
      messages,
      tools: [weather],
      step: 3,
    });
    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(body.max_tokens).toBe(512);
    expect(body.tool_choice).toEqual({ type: 'auto' });
    expect(body.system).toBeUndefined();
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Shanghai and Beijing?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking both.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Shanghai' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { location: 'Beijing' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp":21}' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"temp":18}' },
          { type: 'text', text: 'Also say which is warmer.' },
        ],
      },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_3', name: 'get_weather', input: { location: 'Oslo' } }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_3', content: '{"temp":4}' }] },
    ]);
  });

  it('leaves out tools when there are none', async () => {
    server.enqueue({ file: 'claude.text.json' });
    await backend().generate({ messages: [{ role: 'user', content: 'Hello' }], tools: [], step: 1 });
    expect(server.requests[0]!.body).not.toHaveProperty('tools');
  });
});

describe('AnthropicBackend responses', () => {
  it('maps a text answer: text, stop reason, usage, and the body as raw', async () => {
    server.enqueue({ file: 'claude.text.json' });
    const response = await backend().generate(ask);
    expect(response).toEqual({
      text: 'Hi! My name is Claude. How can I help you today?',
      finishReason: 'end_turn',
      usage: { promptTokens: 12, completionTokens: 16, totalTokens: 28 },
      raw: fixture('claude.text.json'),
    });
  });

  it('maps tool_use blocks to tool calls, keeping the text beside them', async () => {
    server.enqueue({ file: 'claude.tool-use.json' });
    const response = await backend().generate(ask);
    expect(response.text).toBe("I'll check the current weather in San Francisco for you.");
    expect(response.toolCalls).toEqual([
      {
        id: 'toolu_01A09q90qw90lq917835lq9',
        name: 'get_weather',
        args: { location: 'San Francisco, CA', unit: 'celsius' },
      },
    ]);
    expect(response.finishReason).toBe('tool_use');
  });

  it('keeps parallel tool calls in order and counts cached prompt tokens', async () => {
    server.enqueue({ file: 'claude.parallel-tool-use.json' });
    const response = await backend().generate(ask);
    expect(response.toolCalls?.map((call) => call.args.location)).toEqual(['Shanghai', 'Beijing']);
    expect(response.text).toBeUndefined();
    expect(response.usage).toEqual({ promptTokens: 402 + 1024, completionTokens: 96, totalTokens: 1522 });
  });

  it('keeps thinking as reasoning, apart from the answer', async () => {
    server.enqueue({ file: 'claude.thinking.json' });
    const response = await backend().generate(ask);
    expect(response.text).toBe('27 × 453 = 12,231.');
    expect(response.reasoning).toMatch(/^The user asks for 27 \* 453/);
  });

  it('reports a cut-off answer with finishReason max_tokens', async () => {
    server.enqueue({ file: 'claude.max-tokens.json' });
    const response = await backend().generate(ask);
    expect(response.finishReason).toBe('max_tokens');
    expect(response.text).toMatch(/founding in$/);
  });

  it('throws LLMRefusalError (an LLMError) for stop_reason refusal', async () => {
    server.enqueue({ file: 'claude.refusal.json' });
    const error = await backend()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LLMRefusalError);
    expect(error).toBeInstanceOf(LLMError);
    expect((error as LLMError).code).toBe('LLM_REFUSAL');
  });

  it('gives a tool input that is not an object as argsError, not a throw', async () => {
    server.enqueue({
      body: JSON.stringify({
        ...fixture('claude.tool-use.json'),
        content: [{ type: 'tool_use', id: 'toolu_x', name: 'get_weather', input: 'Paris' }],
      }),
    });
    const response = await backend().generate(ask);
    expect(response.toolCalls).toEqual([
      { id: 'toolu_x', name: 'get_weather', args: {}, argsError: 'the tool input must be a JSON object' },
    ]);
  });

  it('throws LLMResponseError for a body that is not JSON or not a message', async () => {
    server.enqueue({ body: '<html>502 Bad Gateway</html>', headers: { 'content-type': 'text/html' } });
    const html = await backend()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(html).toBeInstanceOf(LLMResponseError);
    expect((html as Error).message).toContain('not JSON');
    expect((html as LLMResponseError).bodyStart).toBe('<html>502 Bad Gateway</html>');

    server.enqueue({ body: '{"id":"msg_1","type":"message"}' });
    const shapeless = await backend()
      .generate(ask)
      .catch((caught: unknown) => caught);
    expect(shapeless).toBeInstanceOf(LLMResponseError);
    expect((shapeless as Error).message).toContain('no content array');
  });
});

describe('AnthropicBackend configuration', () => {
  it('reads ANTHROPIC_MODEL, ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL', async () => {
    server.enqueue({ file: 'claude.text.json' });
    const llm = AnthropicBackend.fromEnv({
      env: {
        ANTHROPIC_MODEL: 'claude-haiku-4-5',
        ANTHROPIC_API_KEY: 'sk-ant-env',
        ANTHROPIC_BASE_URL: server.origin,
      },
    });
    expect(llm.model).toBe('claude-haiku-4-5');
    expect(llm.baseURL).toBe(server.origin);
    await llm.generate(ask);
    expect(server.requests[0]!.headers['x-api-key']).toBe('sk-ant-env');
    expect((server.requests[0]!.body as { model: string }).model).toBe('claude-haiku-4-5');
  });

  it('without ANTHROPIC_MODEL or ANTHROPIC_API_KEY: MissingEnvError naming the variable', () => {
    expect(() => AnthropicBackend.fromEnv({ env: { ANTHROPIC_API_KEY: 'k' } })).toThrow(MissingEnvError);
    expect(() => AnthropicBackend.fromEnv({ env: { ANTHROPIC_API_KEY: 'k' } })).toThrow(/ANTHROPIC_MODEL/);
    expect(() => AnthropicBackend.fromEnv({ env: { ANTHROPIC_MODEL: 'claude-haiku-4-5' } })).toThrow(
      /ANTHROPIC_API_KEY/,
    );
  });

  it('without a key but with a base URL (a gateway that adds it): sends no x-api-key', async () => {
    server.enqueue({ file: 'claude.text.json' });
    await AnthropicBackend.fromEnv({
      env: { ANTHROPIC_MODEL: 'claude-haiku-4-5', ANTHROPIC_BASE_URL: server.origin },
    }).generate(ask);
    expect(server.requests[0]!.headers).not.toHaveProperty('x-api-key');
  });

  it('defaults to the Anthropic API and rejects bad options with LLMConfigError', () => {
    expect(new AnthropicBackend({ model: 'm', apiKey: 'k', env: {} }).baseURL).toBe(
      'https://api.anthropic.com',
    );
    for (const options of [
      { model: '' },
      { model: 'm', baseURL: 'api.anthropic.com' },
      { model: 'm', baseURL: 'https://me:secret-pass@gateway.example' },
      { model: 'm', maxTokens: 0 },
      { model: 'm', timeoutMs: -1 },
    ]) {
      const create = () => new AnthropicBackend({ apiKey: 'k', ...options });
      expect(create).toThrow(LLMConfigError);
      expect(create).not.toThrow(/secret-pass/);
    }
  });
});

describe('AnthropicBackend drives agentLoop', () => {
  it('runs a tool call, sends the result back, and ends on the final answer', async () => {
    server.enqueue({ file: 'claude.tool-use.json' }, { file: 'claude.after-tool-result.json' });
    const getWeather = defineTool({
      name: 'get_weather',
      description: weather.description,
      parameters: weather.parameters,
      run: ({ location }) => ({ location, celsius: 15 }),
    });
    const run = agentLoop({ llm: backend(), tools: [getWeather], task: 'Weather in San Francisco?' });
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toBe(
      (fixture('claude.after-tool-result.json').content as Array<{ text: string }>)[0]!.text,
    );
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.toolCalls.map((call) => call.name)).toEqual(['get_weather']);
    expect(result.usage.promptTokens).toBe(384 + 489);
    // The second request carries the tool_use and its tool_result, paired by id.
    const second = server.requests[1]!.body as { messages: Array<{ role: string; content: unknown }> };
    const assistant = second.messages.find((message) => message.role === 'assistant');
    expect(assistant?.content).toContainEqual(
      expect.objectContaining({ type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9' }),
    );
    expect(second.messages.at(-1)?.content).toEqual([
      expect.objectContaining({ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9' }),
    ]);
  });
});
