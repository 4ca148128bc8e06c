// `looplet record` with the model the project provides: an agent declared with its own `llm`
// (here an AnthropicBackend against a local server) is recorded with that model; with no model
// configured at all, the command exits 2 naming what to set. Run from the built CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANTHROPIC_FIXTURES, type OpenAITestServer, startOpenAIServer } from '../helpers/openai-server.js';
import { createProject, type Project } from '../vitest/support.js';

const TOOL = `
import { agentLoop, AnthropicBackend, defineTool } from 'looplet';

const getWeather = defineTool({
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  run: ({ location }) => ({ location, celsius: 15 }),
});
const create = ({ llm, task, hooks }) => agentLoop({ llm, task, tools: [getWeather], hooks });
`;

const CASE = 'id: weather\ntask: { goal: What is the weather in San Francisco? }\n';

/** No live model in the environment, whatever the machine running the tests has. */
const NO_MODEL = { OPENAI_MODEL: '', OPENAI_API_KEY: '', OPENAI_BASE_URL: '', ANTHROPIC_MODEL: '' };

describe('looplet record uses the model the project provides', () => {
  let server: OpenAITestServer;
  beforeAll(async () => {
    server = await startOpenAIServer({ fixtures: ANTHROPIC_FIXTURES });
  });
  afterAll(() => server.close());

  it("records with the agent's own llm (defineAgent({ create, llm })): here Claude over the Messages API", async () => {
    const project: Project = createProject({
      files: {
        'evals/eval_weather.ts': `${TOOL}
export const agent = { kind: 'looplet-agent', create, llm: () => AnthropicBackend.fromEnv() };
`,
        'cases/weather.yaml': CASE,
      },
    });
    server.enqueue({ file: 'claude.tool-use.json' }, { file: 'claude.after-tool-result.json' });
    const result = await project.run(['record', 'weather'], {
      env: {
        ...NO_MODEL,
        ANTHROPIC_MODEL: 'claude-sonnet-4-5',
        ANTHROPIC_BASE_URL: server.origin,
        ANTHROPIC_API_KEY: 'sk-ant-test',
      },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('recorded weather: done, 2 steps → traces/weather');
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/messages', '/v1/messages']);
    expect(project.json('traces/weather/trace.json')).toMatchObject({
      model: 'claude-sonnet-4-5',
      stepCount: 2,
    });
  });

  it('without a model configured: exit 2 naming the variables to set and the other ways', async () => {
    const project = createProject({
      files: {
        'evals/eval_weather.ts': `${TOOL}\nexport const agent = create;\n`,
        'cases/weather.yaml': CASE,
      },
    });
    const result = await project.run(['record', 'weather'], { env: NO_MODEL });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('OPENAI_MODEL');
    expect(result.stderr).toContain('defineAgent({ create, llm:');
    expect(result.stderr).toContain('--scripted');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
