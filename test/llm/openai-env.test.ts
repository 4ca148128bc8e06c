// OpenAIBackend.fromEnv(): OPENAI_MODEL / OPENAI_API_KEY / OPENAI_BASE_URL, options over env, and
// the placeholder key for local servers. The environment is passed in, never mutated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LLMConfigError,
  LoopletError,
  MissingEnvError,
  OpenAIBackend,
  PLACEHOLDER_API_KEY,
} from '../../src/index.js';
import { type OpenAITestServer, startOpenAIServer } from '../helpers/openai-server.js';

let server: OpenAITestServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

const ask = { messages: [{ role: 'user' as const, content: 'Hi' }], tools: [], step: 1 };

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('OpenAIBackend.fromEnv', () => {
  it('reads all three variables and sends the key and model to the base URL', async () => {
    const llm = OpenAIBackend.fromEnv({
      env: { OPENAI_MODEL: 'gpt-4o', OPENAI_API_KEY: 'sk-from-env', OPENAI_BASE_URL: server.baseURL },
    });
    expect(llm.model).toBe('gpt-4o');
    expect(llm.baseURL).toBe(server.baseURL);
    server.enqueue({ file: 'gpt-4o.text.json' });
    await llm.generate(ask);
    const request = server.requests.at(-1);
    expect(request?.headers.authorization).toBe('Bearer sk-from-env');
    expect(request?.body).toMatchObject({ model: 'gpt-4o' });
  });

  it('without OPENAI_MODEL: MissingEnvError naming it and how to set it', () => {
    const error = thrown(() => OpenAIBackend.fromEnv({ env: { OPENAI_API_KEY: 'sk-x' } }));
    expect(error).toBeInstanceOf(MissingEnvError);
    expect(error).toBeInstanceOf(LoopletError);
    expect((error as MissingEnvError).variable).toBe('OPENAI_MODEL');
    expect((error as Error).message).toContain('export OPENAI_MODEL=');
  });

  it('treats an empty variable as missing', () => {
    const error = thrown(() =>
      OpenAIBackend.fromEnv({ env: { OPENAI_MODEL: '  ', OPENAI_API_KEY: 'sk-x' } }),
    );
    expect((error as MissingEnvError).variable).toBe('OPENAI_MODEL');
  });

  it('without OPENAI_API_KEY and OPENAI_BASE_URL: MissingEnvError naming the key and the local-server way out', () => {
    const error = thrown(() => OpenAIBackend.fromEnv({ env: { OPENAI_MODEL: 'gpt-4o' } }));
    expect(error).toBeInstanceOf(MissingEnvError);
    expect((error as MissingEnvError).variable).toBe('OPENAI_API_KEY');
    expect((error as Error).message).toContain('export OPENAI_API_KEY=');
    expect((error as Error).message).toContain('OPENAI_BASE_URL');
  });

  it('without OPENAI_API_KEY but with OPENAI_BASE_URL (a local server): sends the placeholder key', async () => {
    const llm = OpenAIBackend.fromEnv({ env: { OPENAI_MODEL: 'llama3.1', OPENAI_BASE_URL: server.baseURL } });
    server.enqueue({ file: 'gpt-4o.text.json' });
    const response = await llm.generate(ask);
    expect(response.text).toContain('skeletons');
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${PLACEHOLDER_API_KEY}`);
  });

  it('without OPENAI_BASE_URL: talks to OpenAI', () => {
    const llm = OpenAIBackend.fromEnv({ env: { OPENAI_MODEL: 'gpt-4o', OPENAI_API_KEY: 'sk-x' } });
    expect(llm.baseURL).toBe('https://api.openai.com/v1');
  });

  it('lets options override every variable', async () => {
    const llm = OpenAIBackend.fromEnv({
      model: 'from-option',
      apiKey: 'sk-option',
      baseURL: server.baseURL,
      env: { OPENAI_MODEL: 'from-env', OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    server.enqueue({ file: 'gpt-4o.text.json' });
    await llm.generate(ask);
    const request = server.requests.at(-1);
    expect(request?.headers.authorization).toBe('Bearer sk-option');
    expect(request?.body).toMatchObject({ model: 'from-option' });
  });
});

describe('OpenAIBackend options', () => {
  it('rejects a missing model, a base URL that is not a URL, and bad counts with LLMConfigError', () => {
    const base = { apiKey: 'sk-x', env: {} };
    const cases: Array<[Partial<ConstructorParameters<typeof OpenAIBackend>[0]>, string]> = [
      [{ model: '' }, 'needs a model name'],
      [{ baseURL: 'localhost:11434' }, 'not an http(s) URL'],
      [{ maxRetries: -1 }, 'maxRetries'],
      [{ timeoutMs: 0 }, 'timeoutMs'],
      [{ onDelta: () => {} }, 'stream: true'],
    ];
    for (const [options, says] of cases) {
      const error = thrown(() => new OpenAIBackend({ ...base, model: 'gpt-4o', ...options }));
      expect(error).toBeInstanceOf(LLMConfigError);
      expect((error as Error).message).toContain(says);
    }
  });
});
