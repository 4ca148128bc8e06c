import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, type JsonSchema, ScriptedLLM, type Tool } from '../../src/index.js';
import { GENERATED_METHODS } from '../../src/testing/hook-spec.js';
import { arbitraries as arb, hookFromSpec, SchemaArbitraryError } from '../../src/testing/index.js';
import { defaultLawTools } from '../../src/testing/observe.js';
import { params, TIMEOUT } from './settings.js';

const schemas: Record<string, JsonSchema> = {
  flat: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 5 },
      age: { type: 'integer', minimum: 0, maximum: 130 },
    },
    required: ['name'],
    additionalProperties: false,
  },
  nested: {
    type: 'object',
    properties: {
      tags: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, minItems: 1, maxItems: 3 },
      where: {
        type: 'object',
        properties: { lat: { type: 'number' }, lon: { type: 'number' } },
        required: ['lat', 'lon'],
      },
      kind: { const: 'search' },
    },
    required: ['where', 'kind'],
  },
  formats: {
    type: 'object',
    properties: {
      email: { type: 'string', format: 'email' },
      when: { type: 'string', format: 'date-time' },
      id: { type: 'string', format: 'uuid' },
      code: { type: 'string', pattern: '^[A-Z]{3}-[0-9]{2}$' },
      either: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    },
    required: ['email', 'when', 'id', 'code', 'either'],
  },
};

/** A tool with the schema that records what it received. */
function recorder(name: string, schema: JsonSchema, received: unknown[]): Tool {
  return defineTool({ name, description: name, parameters: schema, run: (args) => void received.push(args) });
}

async function runOneCall(tool: Tool, call: { name: string; args: Record<string, unknown> }) {
  const result = await agentLoop({
    llm: new ScriptedLLM([{ toolCalls: [call] }, { text: 'ok' }]),
    tools: [tool],
    task: 't',
  }).result;
  return result.steps[0]!.results[0]!;
}

describe('tool arbitraries', () => {
  for (const [label, schema] of Object.entries(schemas)) {
    it(
      `valid calls (${label} schema) run the tool with those arguments`,
      () =>
        fc.assert(
          fc.asyncProperty(arb.toolCall({ tools: recorder('t', schema, []) }), async (call) => {
            const received: unknown[] = [];
            const result = await runOneCall(recorder('t', schema, received), call);
            expect(result.error).toBeUndefined();
            expect(received).toHaveLength(1);
          }),
          params('normal'),
        ),
      TIMEOUT,
    );
  }

  for (const label of ['flat', 'nested'] as const) {
    it(
      `invalid calls (${label} schema) become invalid_args and never reach the tool`,
      () =>
        fc.assert(
          fc.asyncProperty(
            arb.toolCall({ tools: recorder('t', schemas[label]!, []), validity: 'invalid' }),
            async (call) => {
              const received: unknown[] = [];
              const llm = new ScriptedLLM([() => ({ toolCalls: [call] }), { text: 'ok' }]);
              const result = await agentLoop({
                llm,
                tools: [recorder('t', schemas[label]!, received)],
                task: 't',
              }).result;
              expect(result.steps[0]?.results[0]?.error?.kind).toBe('invalid_args');
              expect(received).toEqual([]);
            },
          ),
          params('normal'),
        ),
      TIMEOUT,
    );
  }

  it('calls of unknown tools are reported as unknown_tool', () =>
    fc.assert(
      fc.asyncProperty(arb.toolCall({ tools: defaultLawTools(), validity: 'unknown_tool' }), async (call) => {
        const result = await agentLoop({
          llm: new ScriptedLLM([{ toolCalls: [call] }, { text: 'ok' }]),
          tools: defaultLawTools(),
          task: 't',
        }).result;
        expect(result.steps[0]?.results[0]?.error?.kind).toBe('unknown_tool');
      }),
      params('normal'),
    ));

  it('invalid arguments for a schema that accepts every object is a clear error', () => {
    expect(() => arb.toolArgs({ schema: { type: 'object' }, valid: false })).toThrow(SchemaArbitraryError);
    // toolCall falls back to arguments the backend could not parse, which are always invalid.
    const [call] = fc.sample(
      arb.toolCall({ tools: { name: 'any', jsonSchema: { type: 'object' } }, validity: 'invalid' }),
      1,
    );
    expect(call?.argsError).toBeDefined();
  });

  it('tool results for a call carry its id, name and arguments; outcome picks data or error', () =>
    fc.assert(
      fc.property(
        fc
          .tuple(
            arb.toolCall({ tools: defaultLawTools() }),
            fc.constantFrom('data' as const, 'error' as const),
          )
          .chain(([call, outcome]) =>
            fc.tuple(fc.constant(call), fc.constant(outcome), arb.toolResult({ call, outcome })),
          ),
        ([call, outcome, result]) => {
          expect(result).toMatchObject({ callId: call.id, name: call.name, args: call.args });
          expect(result.error !== undefined).toBe(outcome === 'error');
          expect('data' in result).toBe(outcome === 'data');
        },
      ),
      params('normal'),
    ));
});

describe('scripts', () => {
  it(
    'terminate: with no hooks a run of any script ends done, on its last turn',
    () =>
      fc.assert(
        fc.asyncProperty(arb.script({ tools: defaultLawTools(), maxTurns: 4 }), async (script) => {
          const llm = new ScriptedLLM(script);
          const result = await agentLoop({
            llm,
            tools: defaultLawTools(),
            task: 't',
            maxSteps: script.length,
            maxConsecutiveToolErrors: script.length + 1,
          }).result;
          expect(result.endReason).toBe('done');
          expect(result.steps).toHaveLength(script.length);
          llm.assertComplete();
          for (const turn of script.slice(0, -1)) expect(turn.toolCalls?.length).toBeGreaterThan(0);
        }),
        params('normal'),
      ),
    TIMEOUT,
  );

  it('with failures, a run ends done or llm_error, never otherwise', () =>
    fc.assert(
      fc.asyncProperty(arb.script({ tools: defaultLawTools(), failures: true }), async (script) => {
        const result = await agentLoop({
          llm: new ScriptedLLM(script),
          tools: defaultLawTools(),
          task: 't',
          maxSteps: script.length,
          maxConsecutiveToolErrors: script.length + 1,
        }).result;
        expect(['done', 'llm_error']).toContain(result.endReason);
      }),
      params('normal'),
    ));
});

describe('hook arbitraries', () => {
  it('a decision for a method carries only fields that method acts on', () => {
    const allowed: Record<string, string[]> = {
      checkDone: ['block', 'stop', 'metadata'],
      postDispatch: ['stop', 'updatedResult', 'additionalContext', 'metadata'],
      onStep: ['stop', 'additionalContext', 'metadata'],
    };
    for (const [method, fields] of Object.entries(allowed)) {
      fc.assert(
        fc.property(arb.hookDecision({ method: method as 'checkDone' }), (decision) => {
          for (const key of Object.keys(decision)) expect(fields).toContain(key);
        }),
        params('normal'),
      );
    }
  });

  it('a hook built from a spec answers its calls in turn, throws and answers async as the spec says', () =>
    fc.assert(
      fc.asyncProperty(arb.hookSpec({ id: 'g1' }), async (spec) => {
        const hook = hookFromSpec(spec) as Record<string, (args: unknown) => unknown>;
        for (const method of GENERATED_METHODS) {
          const answers = spec.methods[method];
          if (!answers) {
            expect(hook[method]).toBeUndefined();
            continue;
          }
          for (let call = 0; call < answers.length * 2; call++) {
            const answer = answers[call % answers.length]!;
            let out: unknown;
            let thrown: unknown;
            try {
              out = hook[method]!({ step: 1 });
              if (answer.async) expect(out).toBeInstanceOf(Promise);
              out = await out;
            } catch (error) {
              thrown = error;
            }
            if (answer.throws !== undefined) {
              expect((thrown as Error).message).toBe(`g1.${method}: ${answer.throws}`);
            } else if (method === 'buildBriefing') {
              expect(out).toBe(answer.briefing);
            } else if (method !== 'onLoopEnd') {
              expect(out).toEqual(answer.decision);
            }
          }
        }
      }),
      params('normal'),
    ));
});
