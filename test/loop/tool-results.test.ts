// Tools that return (or throw) what JSON cannot hold: the model gets an invalid_result tool error
// saying what and where, the run goes on, and a recorder writes a trace that reads back and
// validates. Never a raw TypeError out of the for-await.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  decide,
  defineTool,
  fixedClock,
  type Hook,
  ProvenanceSink,
  readTrace,
  ScriptedLLM,
  sequentialIds,
} from '../../src/index.js';
import { validateTraceDir } from '../../src/provenance/validate.js';
import { tempDir } from '../provenance/helpers.js';
import { toolMessage } from './support.js';

function circular(): Record<string, unknown> {
  const node: Record<string, unknown> = { id: 1 };
  node.self = node;
  return node;
}

const hostile: Array<{ label: string; run: () => unknown; error: { kind: string; message: string } }> = [
  {
    label: 'a BigInt',
    run: () => ({ total: 10n ** 20n }),
    error: {
      kind: 'invalid_result',
      message:
        'odd returned a bigint (100000000000000000000n) at .total, which JSON cannot hold: results must be JSON data',
    },
  },
  {
    label: 'a circular object',
    run: circular,
    error: {
      kind: 'invalid_result',
      message:
        'odd returned a circular reference at .self, which JSON cannot hold: results must be JSON data',
    },
  },
  {
    label: 'an object whose toJSON throws',
    run: () => ({
      report: {
        toJSON: () => {
          throw new Error('not serialisable');
        },
      },
    }),
    error: {
      kind: 'invalid_result',
      message:
        'odd returned a value that threw when read (not serialisable) at .report, which JSON cannot hold: results must be JSON data',
    },
  },
  {
    label: 'a throwing getter',
    run: () =>
      Object.defineProperty({}, 'lazy', {
        enumerable: true,
        get() {
          throw new Error('getter failed');
        },
      }),
    error: {
      kind: 'invalid_result',
      message:
        'odd returned a value that threw when read (getter failed) at .lazy, which JSON cannot hold: results must be JSON data',
    },
  },
  {
    label: 'a Proxy that throws',
    run: () =>
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('proxy says no');
          },
        },
      ),
    error: {
      kind: 'invalid_result',
      message:
        'odd returned a value that threw when read (proxy says no), which JSON cannot hold: results must be JSON data',
    },
  },
  {
    label: 'a function',
    run: () => () => 'hi',
    error: {
      kind: 'invalid_result',
      message: 'odd returned a function, which JSON cannot hold: results must be JSON data',
    },
  },
  {
    label: 'a Symbol',
    run: () => Symbol('token'),
    error: {
      kind: 'invalid_result',
      message: 'odd returned a symbol, which JSON cannot hold: results must be JSON data',
    },
  },
  {
    label: 'an async BigInt',
    run: async () => 7n,
    error: {
      kind: 'invalid_result',
      message: 'odd returned a bigint (7n), which JSON cannot hold: results must be JSON data',
    },
  },
  {
    label: 'throw undefined',
    run: () => {
      throw undefined;
    },
    error: { kind: 'tool_threw', message: 'undefined was thrown' },
  },
  {
    label: 'a thrown object whose toJSON throws',
    run: () => {
      throw {
        toJSON() {
          throw new Error('x');
        },
        toString: () => 'an odd failure',
      };
    },
    error: { kind: 'tool_threw', message: 'an odd failure' },
  },
];

describe('tool results JSON cannot hold', () => {
  it.each(hostile)(
    '$label: a tool error the model sees, and a trace that reads back',
    async ({ run, error }) => {
      const odd = defineTool({
        name: 'odd',
        description: 'returns odd things',
        parameters: { type: 'object' },
        run,
      });
      const dir = path.join(tempDir(), 'trace');
      const sink = new ProvenanceSink({ dir, clock: fixedClock() });
      const llm = sink.wrapLLM(
        new ScriptedLLM([
          { toolCalls: [{ name: 'odd', args: {} }] },
          { toolCalls: [{ name: 'done', args: { summary: 'ok' } }] },
        ]),
      );
      const requests: string[] = [];
      const spy: Hook = {
        prePrompt: ({ state, step }) => {
          if (step === 2) requests.push(toolMessage(state.messages, 'odd') ?? '');
        },
      };
      const loop = agentLoop({
        llm,
        tools: [odd],
        task: 't',
        hooks: [spy, sink.hook()],
        clock: fixedClock(),
        ids: sequentialIds(),
      });
      for await (const _step of loop);
      const result = await loop.result;
      expect(result.endReason).toBe('done');
      expect(result.steps[0]!.results[0]!.error).toEqual(error);
      expect(requests[0]).toBe(`Error (${error.kind}): ${error.message}.`);

      await sink.flush();
      expect(validateTraceDir({ dir })).toMatchObject({ valid: true, problems: [] });
      const trace = await readTrace(dir);
      expect(trace.readStep(1).results[0]!.error).toEqual(error);
    },
  );

  it('the new error kinds (here timeout) are valid in a recorded trace', async () => {
    const hang = defineTool({
      name: 'hang',
      description: 'never answers',
      parameters: { type: 'object' },
      timeoutMs: 5,
      run: () => new Promise(() => {}),
    });
    const dir = path.join(tempDir(), 'trace');
    const sink = new ProvenanceSink({ dir, clock: fixedClock() });
    const llm = sink.wrapLLM(new ScriptedLLM([{ toolCalls: [{ name: 'hang', args: {} }] }, { text: 'end' }]));
    await agentLoop({ llm, tools: [hang], task: 't', hooks: [sink.hook()], clock: fixedClock() }).result;
    await sink.flush();
    expect(validateTraceDir({ dir })).toMatchObject({ valid: true, problems: [] });
    expect((await readTrace(dir)).readStep(1).results[0]!.error?.kind).toBe('timeout');
  });

  it('a hook supplying such a result gets the same error', async () => {
    const fine = defineTool({
      name: 'fine',
      description: 'fine',
      parameters: { type: 'object' },
      run: () => 1,
    });
    const result = await agentLoop({
      llm: new ScriptedLLM([{ toolCalls: [{ name: 'fine', args: {} }] }, { text: 'end' }]),
      tools: [fine],
      task: 't',
      hooks: [{ postDispatch: () => decide.updateResult({ big: 1n }) }],
    }).result;
    expect(result.steps[0]!.results[0]!.error).toEqual({
      kind: 'invalid_result',
      message:
        'the result a postDispatch hook supplied is a bigint (1n) at .big, which JSON cannot hold: results must be JSON data',
    });
  });
});
