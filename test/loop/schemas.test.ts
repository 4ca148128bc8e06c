import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, ScriptedLLM, ToolDefinitionError } from '../../src/index.js';
import { call, done, RecordingLLM, toolMessage } from './support.js';

interface Person {
  name: string;
  age: number;
}

const personJsonSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer' } },
  required: ['name', 'age'],
};

/**
 * A Standard Schema written by hand, as a validation library would implement it: it trims the
 * name (so we can see the tool gets the validated value, not the raw one), reports issues with
 * paths, optionally answers asynchronously, and can describe itself as JSON Schema.
 */
function personSchema({
  async = false,
  describe = true,
} = {}): StandardSchemaV1<unknown, Person> & Partial<StandardJSONSchemaV1<unknown, Person>> {
  const validate = (value: unknown): StandardSchemaV1.Result<Person> => {
    const input = (value ?? {}) as Record<string, unknown>;
    const issues: StandardSchemaV1.Issue[] = [];
    if (typeof input.name !== 'string') issues.push({ message: 'expected a string', path: ['name'] });
    if (!Number.isInteger(input.age)) issues.push({ message: 'expected an integer', path: [{ key: 'age' }] });
    if (issues.length > 0) return { issues };
    return { value: { name: (input.name as string).trim(), age: input.age as number } };
  };
  const props = {
    version: 1 as const,
    vendor: 'handmade',
    validate: async ? (value: unknown) => Promise.resolve(validate(value)) : validate,
    ...(describe ? { jsonSchema: { input: () => personJsonSchema, output: () => personJsonSchema } } : {}),
  };
  return { '~standard': props } as StandardSchemaV1<unknown, Person> &
    Partial<StandardJSONSchemaV1<unknown, Person>>;
}

function greeter(parameters: ReturnType<typeof personSchema>, received: unknown[]) {
  return defineTool({
    name: 'greet',
    description: 'greets a person',
    parameters,
    run: (args) => {
      received.push(args);
      return `Hello, ${String(args.name)}`;
    },
  });
}

describe('Standard Schema tools', () => {
  for (const async of [false, true]) {
    it(`validate with the schema (${async ? 'async' : 'sync'}): the tool gets the validated value`, async () => {
      const received: unknown[] = [];
      const llm = new RecordingLLM([call('greet', { name: '  Ada ', age: 36 }), done()]);
      const result = await agentLoop({ llm, tools: [greeter(personSchema({ async }), received)], task: 't' })
        .result;
      expect(received).toEqual([{ name: 'Ada', age: 36 }]);
      expect(result.steps[0]?.results[0]?.data).toBe('Hello, Ada');
    });

    it(`invalid arguments become invalid_args naming each path (${async ? 'async' : 'sync'})`, async () => {
      const received: unknown[] = [];
      const llm = new RecordingLLM([call('greet', { name: 7, age: 1.5 }), done()]);
      const result = await agentLoop({ llm, tools: [greeter(personSchema({ async }), received)], task: 't' })
        .result;
      expect(received).toEqual([]);
      expect(result.steps[0]?.results[0]?.error).toEqual({
        kind: 'invalid_args',
        message: 'invalid arguments for greet: name: expected a string; age: expected an integer',
      });
      expect(toolMessage(llm.request(2), 'greet')).toContain('name: expected a string');
    });
  }

  it('the model is shown the JSON Schema the Standard Schema describes', async () => {
    const llm = new ScriptedLLM([done()]);
    const shown: unknown[] = [];
    const spy = {
      model: 'spy',
      generate: (request: Parameters<ScriptedLLM['generate']>[0]) => {
        shown.push(...request.tools.filter((tool) => tool.name === 'greet').map((tool) => tool.parameters));
        return llm.generate(request);
      },
    };
    await agentLoop({ llm: spy, tools: [greeter(personSchema(), [])], task: 't' }).result;
    expect(shown).toEqual([personJsonSchema]);
  });

  it('a Standard Schema that cannot describe itself needs `jsonSchema`, or defineTool says so', () => {
    expect(() => greeter(personSchema({ describe: false }), [])).toThrow(ToolDefinitionError);
    expect(() => greeter(personSchema({ describe: false }), [])).toThrow(/pass `jsonSchema` to defineTool/);
    const tool = defineTool({
      name: 'greet',
      description: 'greets',
      parameters: personSchema({ describe: false }),
      jsonSchema: personJsonSchema,
      run: () => 'hi',
    });
    expect(tool.jsonSchema).toEqual(personJsonSchema);
  });
});

describe('JSON Schema tools (ajv)', () => {
  it('defaults are filled in for the tool; the model’s own arguments are not mutated', async () => {
    const received: unknown[] = [];
    const search = defineTool({
      name: 'search',
      description: 'searches',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string' }, limit: { type: 'integer', default: 10 } },
        required: ['query'],
      },
      run: (args) => {
        received.push(args);
        return [];
      },
    });
    const sent = { query: 'cats' };
    const result = await agentLoop({
      llm: new ScriptedLLM([{ toolCalls: [{ name: 'search', args: sent }] }, done()]),
      tools: [search],
      task: 't',
    }).result;
    expect(received).toEqual([{ query: 'cats', limit: 10 }]);
    expect(result.steps[0]?.results[0]?.args).toEqual({ query: 'cats', limit: 10 });
    expect(sent).toEqual({ query: 'cats' });
  });

  it('formats are checked (ajv-formats)', async () => {
    const mail = defineTool({
      name: 'mail',
      description: 'sends mail',
      parameters: {
        type: 'object',
        properties: { to: { type: 'string', format: 'email' } },
        required: ['to'],
      },
      run: () => 'sent',
    });
    const result = await agentLoop({
      llm: new ScriptedLLM([
        call('mail', { to: 'not an address' }),
        call('mail', { to: 'a@example.com' }),
        done(),
      ]),
      tools: [mail],
      task: 't',
    }).result;
    expect(result.steps[0]?.results[0]?.error?.message).toContain('to: must match format "email"');
    expect(result.steps[1]?.results[0]?.data).toBe('sent');
  });

  it('a malformed JSON Schema fails at definition with ToolDefinitionError', () => {
    expect(() =>
      defineTool({ name: 'bad', description: 'bad', parameters: { type: 'nonsense' }, run: () => 0 }),
    ).toThrow(ToolDefinitionError);
  });

  it('a tool name providers reject fails at definition', () => {
    expect(() =>
      defineTool({ name: 'has space', description: 'x', parameters: { type: 'object' }, run: () => 0 }),
    ).toThrow(/tool name "has space" is not allowed/);
  });
});
