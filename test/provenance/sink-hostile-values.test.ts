// The writer never writes a file its own reader rejects: values JSON cannot hold (BigInt, cycles,
// functions, Symbols, a throwing toJSON, getter or proxy), wherever a run can put them, become
// JSON (as JSON.stringify would write them) or markers, and the trace reads back and validates.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, ProvenanceSink, readTrace, ScriptedLLM } from '../../src/index.js';
import { validateTraceDir } from '../../src/provenance/validate.js';
import { tempDir } from './helpers.js';

/** One value of each kind JSON cannot hold (each built fresh: some are consumed by a run). */
function hostile(): Record<string, unknown> {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  return {
    bigint: 12345678901234567890n,
    circular,
    fn: () => 1,
    symbol: Symbol('s'),
    nan: Number.NaN,
    throwingToJSON: {
      toJSON() {
        throw new Error('toJSON failed');
      },
    },
    throwingGetter: Object.defineProperty({}, 'value', {
      enumerable: true,
      get() {
        throw new Error('getter failed');
      },
    }),
    proxy: new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    ),
    list: [undefined, () => 2, Symbol('t'), 3n],
  };
}

const EXPECTED = {
  bigint: '12345678901234567890',
  circular: { name: 'loop', self: '[Circular]' },
  nan: null,
  throwingToJSON: '[unserialisable value]',
  throwingGetter: { value: '[unreadable property]' },
  proxy: '[unserialisable value]',
  list: [null, null, null, '3'],
};

describe('ProvenanceSink: values JSON cannot hold', () => {
  it('writes them as JSON or markers in artifacts, expected, hook metadata and a tool result, and the trace reads back', async () => {
    const dir = path.join(tempDir(), 'hostile');
    const sink = new ProvenanceSink({ dir });
    sink.artifacts = hostile();
    sink.expected = { nested: hostile() };
    // The loop shows the model JSON.stringify(data): this tool's data is JSON-safe for that, and
    // holds what only the trace writer meets (a proxy and a getter that throw on a second look).
    let reads = 0;
    const fickle = Object.defineProperty({}, 'value', {
      enumerable: true,
      get() {
        reads++;
        if (reads > 1) throw new Error('read twice');
        return 'first';
      },
    });
    const tool = defineTool({
      name: 'fetch',
      description: 'Fetches',
      parameters: { type: 'object' },
      run: () => ({ fickle }),
    });
    const run = agentLoop({
      llm: sink.wrapLLM(
        new ScriptedLLM([
          { toolCalls: [{ id: 'c1', name: 'fetch', args: {} }] },
          { toolCalls: [{ id: 'c2', name: 'done', args: {} }] },
        ]),
      ),
      tools: [tool],
      task: 't',
      hooks: [{ postDispatch: () => ({ metadata: hostile() }) }, sink.hook()],
    });
    await run.result;
    reads = 0;
    await sink.flush();

    const trace = await readTrace(dir);
    expect(validateTraceDir({ dir }).problems).toEqual([]);
    expect(trace.artifacts).toEqual(EXPECTED);
    expect(trace.readStep(1).metadata).toEqual(EXPECTED);
    // Each value is read once, so what is written is what was redacted.
    expect(trace.readStep(1).results[0]?.data).toEqual({ fickle: { value: 'first' } });
  });

  it('writes a tool that threw undefined or a non-string message as a string error message', async () => {
    const dir = path.join(tempDir(), 'throws');
    const sink = new ProvenanceSink({ dir });
    const tool = defineTool({
      name: 'boom',
      description: 'Throws',
      parameters: { type: 'object' },
      run: () => {
        throw undefined;
      },
    });
    const run = agentLoop({
      llm: sink.wrapLLM(
        new ScriptedLLM([
          { toolCalls: [{ id: 'c1', name: 'boom', args: {} }] },
          { toolCalls: [{ id: 'c2', name: 'done', args: {} }] },
        ]),
      ),
      tools: [tool],
      task: 't',
      hooks: [sink.hook()],
    });
    await run.result;
    await sink.flush();
    const error = (await readTrace(dir)).readStep(1).results[0]?.error;
    expect(error?.kind).toBe('tool_threw');
    expect(typeof error?.message).toBe('string');
  });
});
