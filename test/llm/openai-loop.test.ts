// agentLoop driving OpenAIBackend against the local server: a real two-turn run, a model error
// ending the run with llm_error, and malformed tool arguments reaching the model as a tool error.
import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, LLMError, OpenAIBackend, type ToolSpec } from '../../src/index.js';
import { fixtureJson, useOpenAIServer } from '../helpers/openai-server.js';

const server = useOpenAIServer();

const turn1 = fixtureJson('gpt-oss-20b.two-turns/01.request.json') as {
  messages: Array<{ role: string; content: string }>;
  tools: Array<{ function: ToolSpec }>;
};
const turn2 = fixtureJson('gpt-oss-20b.two-turns/02.request.json') as { messages: unknown[] };
const sayToUserSpec = turn1.tools[0]!.function;

describe('agentLoop with OpenAIBackend', () => {
  it('runs the recorded gpt-oss conversation: a tool call, then a plain answer that ends the run', async () => {
    server.enqueue(
      { file: 'gpt-oss-20b.two-turns/01.response.json' },
      { file: 'gpt-oss-20b.two-turns/02.response.json' },
    );
    const said: string[] = [];
    const sayToUser = defineTool({
      name: sayToUserSpec.name,
      description: sayToUserSpec.description,
      parameters: sayToUserSpec.parameters,
      run: ({ message }) => {
        said.push(String(message));
        return 'DONE';
      },
    });
    const run = agentLoop({
      llm: new OpenAIBackend({
        model: 'gpt-oss-20b',
        baseURL: server.baseURL,
        apiKey: 'sk-test',
        temperature: 0.7,
      }),
      tools: [sayToUser],
      system: turn1.messages[0]!.content,
      task: turn1.messages[1]!.content,
    });
    const lines: string[] = [];
    for await (const step of run) lines.push(step.pretty());
    const result = await run.result;

    const final = (
      fixtureJson('gpt-oss-20b.two-turns/02.response.json').choices as Array<{
        message: { content: string };
      }>
    )[0]!.message.content;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toBe(final);
    expect(result.steps).toHaveLength(2);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^Hello! I can help with a wide range of tasks/);
    expect(result.usage).toEqual({
      promptTokens: 153 + 228,
      completionTokens: 80 + 194,
      totalTokens: 233 + 422,
    });
    expect(lines[0]).toMatch(/^#1 ✓ say_to_user\(/);

    // The loop's second request is the logged client's second request, with the model's full
    // arguments where the server log truncated them.
    expect(server.requests).toHaveLength(2);
    const expected = structuredClone(turn2.messages) as Array<{
      tool_calls?: Array<{ function: { arguments: string } }>;
    }>;
    expected[2]!.tool_calls![0]!.function.arguments = JSON.stringify({ message: said[0] });
    expect((server.requests[1]!.body as { messages: unknown }).messages).toEqual(expected);
    // The tools sent are the user's tool as the client declared it, plus looplet's done tool.
    const tools = (server.requests[0]!.body as { tools: Array<{ function: { name: string } }> }).tools;
    expect(tools[0]).toEqual(turn1.tools[0]);
    expect(tools.map((tool) => tool.function.name)).toEqual(['say_to_user', 'done']);
  });

  it('ends the run with llm_error and the LLMError when the server refuses the key', async () => {
    server.enqueue({ status: 401, file: 'crafted/error-401.invalid-key.json' });
    const run = agentLoop({
      llm: new OpenAIBackend({ model: 'gpt-4o', baseURL: server.baseURL, apiKey: 'sk-wrong' }),
      task: 'Tell me a joke',
    });
    const result = await run.result;
    expect(result.endReason).toBe('llm_error');
    expect(result.error).toBeInstanceOf(LLMError);
    expect((result.error as LLMError).status).toBe(401);
    expect(result.stopReason).toBe(result.error?.message);
    expect(result.steps).toHaveLength(0);
  });

  it('answers malformed tool arguments with an invalid_args tool error the model sees', async () => {
    server.enqueue({ file: 'crafted/gpt-4o.tool-call.truncated-args.json' }, { file: 'gpt-4o.text.json' });
    let ran = false;
    const getWeather = defineTool({
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
      run: () => {
        ran = true;
        return { celsius: 21 };
      },
    });
    const run = agentLoop({
      llm: new OpenAIBackend({ model: 'gpt-4o', baseURL: server.baseURL, apiKey: 'sk-test' }),
      tools: [getWeather],
      task: 'Weather in Shanghai?',
    });
    const result = await run.result;
    expect(ran).toBe(false);
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('invalid_args');
    expect(result.endReason).toBe('done');
    const messages = (server.requests[1]!.body as { messages: Array<{ role: string; content?: string }> })
      .messages;
    const toolMessage = messages.find((message) => message.role === 'tool');
    expect(toolMessage?.content).toMatch(
      /^Error \(invalid_args\): arguments for get_weather could not be read/,
    );
  });
});
