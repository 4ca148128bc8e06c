// docs/llm-backends.md's worked example of writing a backend (examples/own-backend.ts) is the
// code the docs show, and it drives agentLoop against a local server speaking the Messages API.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClaudeBackend, main } from '../../examples/own-backend.js';
import { agentLoop, defineTool } from '../../src/index.js';
import { ANTHROPIC_FIXTURES, fixtureText, useOpenAIServer } from '../helpers/openai-server.js';

const server = useOpenAIServer({ fixtures: ANTHROPIC_FIXTURES });
afterEach(() => {
  vi.restoreAllMocks();
});

/** A Messages API response calling one tool, in the shape of fixtures/anthropic/claude.tool-use.json. */
function toolUse(name: string, input: Record<string, unknown>): string {
  const message = JSON.parse(fixtureText('claude.tool-use.json', ANTHROPIC_FIXTURES)) as Record<
    string,
    unknown
  >;
  return JSON.stringify({ ...message, content: [{ type: 'tool_use', id: `toolu_${name}`, name, input }] });
}

describe('the own-backend example of docs/llm-backends.md', () => {
  it('is the code the docs show', () => {
    const file = readFileSync(new URL('../../examples/own-backend.ts', import.meta.url), 'utf8');
    const backend = file.slice(file.indexOf('import '), file.indexOf('// ── end of the backend ──')).trim();
    const docs = readFileSync(new URL('../../docs/llm-backends.md', import.meta.url), 'utf8');
    const blocks = [...docs.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]?.trim());
    expect(blocks).toContain(backend);
  });

  it('runs a tool call and sends the result back as a tool_result, then ends on the answer', async () => {
    server.enqueue({ file: 'claude.tool-use.json' }, { file: 'claude.after-tool-result.json' });
    const getWeather = defineTool({
      name: 'get_weather',
      description: 'Get the current weather in a given location',
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
      run: ({ location }) => ({ location, celsius: 15 }),
    });
    const llm = new ClaudeBackend({
      model: 'claude-sonnet-4-5',
      apiKey: 'sk-ant-test',
      baseURL: server.origin,
    });
    const result = await agentLoop({ llm, tools: [getWeather], task: 'Weather in San Francisco?' }).result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toMatch(/^The current weather in San Francisco is 15 degrees/);
    expect(result.usage.promptTokens).toBe(384 + 489);
    const second = server.requests[1]!.body as { messages: Array<{ role: string; content: unknown[] }> };
    expect(second.messages.at(-1)).toEqual({
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_01A09q90qw90lq917835lq9',
          content: expect.stringContaining('"celsius":15'),
        },
      ],
    });
  });

  it('main() greets Alice on the model named by ANTHROPIC_MODEL', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    server.enqueue(
      { body: toolUse('greet', { name: 'Alice' }) },
      { body: toolUse('done', { summary: 'greeted' }) },
    );
    const endReason = await main({
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_MODEL: 'claude-haiku-4-5',
      ANTHROPIC_BASE_URL: server.origin,
    });
    expect(endReason).toBe('done');
    expect(server.requests.map((request) => (request.body as { model: string }).model)).toEqual([
      'claude-haiku-4-5',
      'claude-haiku-4-5',
    ]);
    expect(server.requests[0]!.headers['x-api-key']).toBe('sk-ant-test');
  });
});
