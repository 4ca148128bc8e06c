// The recipes of docs/hooks.md, verbatim (docs.test.ts checks that), each run by a test below.
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  decide,
  defineTool,
  doneTool,
  type Hook,
  ScriptedLLM,
  type ToolCall,
} from '../../src/index.js';
import { recordingTool, recordRequests, textOf } from './tools.js';

// Recipe: redact PII from tool results
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
const PHONE = /\+?\d[\d ().-]{7,}\d/g;

function redact(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(EMAIL, '[email]').replace(PHONE, '[phone]');
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redact(item)]));
  return value;
}

/** Masks e-mail addresses and phone numbers before the model, the step or a trace sees them. */
const redactPII: Hook = {
  name: 'redactPII',
  postDispatch: ({ result }) => (result.error ? undefined : decide.updateResult(redact(result.data))),
};

// Recipe: cache tool calls
/** Serves repeated calls of the named tools from memory: the tool runs once per distinct arguments. */
function cacheCalls({ tools }: { tools: readonly string[] }): Hook {
  const cache = new Map<string, unknown>();
  const key = (call: ToolCall) => `${call.name} ${JSON.stringify(call.args)}`;
  return {
    name: 'cacheCalls',
    preDispatch: ({ call }) => {
      if (tools.includes(call.name) && cache.has(key(call))) return decide.updateResult(cache.get(key(call)));
    },
    postDispatch: ({ call, result }) => {
      if (tools.includes(call.name) && !result.error) cache.set(key(call), result.data);
    },
  };
}

// Recipe: a quality gate on done
/** Refuses to finish until the final output cites at least one source. */
const requireSources: Hook = {
  name: 'requireSources',
  checkDone: ({ output }) => {
    const sources = (output as { sources?: unknown }).sources;
    if (!Array.isArray(sources) || sources.length === 0)
      return decide.block('cite at least one source in `sources` before finishing');
  },
};

// Recipe: auto-correct arguments
/** Models often call search with `q` instead of `query`, or pad it with spaces: fix that before validation. */
const fixSearchArgs: Hook = {
  name: 'fixSearchArgs',
  preDispatch: ({ call }) => {
    if (call.name !== 'search' || typeof call.args.query === 'string') return;
    const { q, ...rest } = call.args;
    if (typeof q === 'string') return decide.updateArgs({ ...rest, query: q.trim() });
  },
};

// Recipe: a custom stop condition
/** Ends the run when the model makes the same calls `times` steps in a row: it is stuck. */
function stopWhenRepeating({ times = 3 }: { times?: number } = {}): Hook {
  return {
    name: 'stopWhenRepeating',
    shouldStop: ({ state }) => {
      const recent = state.steps
        .slice(-times)
        .map((step) => JSON.stringify(step.toolCalls.map((call) => [call.name, call.args])));
      if (recent.length === times && new Set(recent).size === 1)
        return decide.stop(`the same calls ${times} steps in a row: ${recent[0]}`);
    },
  };
}

describe('recipes', () => {
  it('redactPII: the model and the step see masked results', async () => {
    const lookup = recordingTool('lookup', () => ({
      name: 'Ada',
      contact: ['ada@example.com', 'call +44 20 7946 0958'],
      age: 36,
    }));
    const { llm, requests } = recordRequests(
      new ScriptedLLM([
        { toolCalls: [{ name: 'lookup', args: {} }] },
        { toolCalls: [{ name: 'done', args: { summary: 's' } }] },
      ]),
    );
    const result = await agentLoop({ llm, tools: [lookup.tool], task: 't', hooks: [redactPII] }).result;
    expect(result.steps[0]?.results[0]?.data).toEqual({
      name: 'Ada',
      contact: ['[email]', 'call [phone]'],
      age: 36,
    });
    expect(textOf(requests[1])).not.toContain('ada@example.com');
    expect(textOf(requests[1])).not.toContain('7946');
  });

  it('cacheCalls: identical calls run the tool once, other arguments run it again', async () => {
    const search = recordingTool('search', (args) => `results for ${String(args.value)}`);
    const result = await agentLoop({
      llm: new ScriptedLLM([
        { toolCalls: [{ name: 'search', args: { value: 'cats' } }] },
        {
          toolCalls: [
            { name: 'search', args: { value: 'cats' } },
            { name: 'search', args: { value: 'dogs' } },
          ],
        },
        { toolCalls: [{ name: 'done', args: { summary: 's' } }] },
      ]),
      tools: [search.tool],
      task: 't',
      hooks: [cacheCalls({ tools: ['search'] })],
    }).result;
    expect(search.ran).toEqual([{ value: 'cats' }, { value: 'dogs' }]);
    expect(result.steps[1]?.results.map((r) => r.data)).toEqual(['results for cats', 'results for dogs']);
  });

  it('requireSources: a done without sources is refused, the model is told why, and may finish after', async () => {
    const { llm, requests } = recordRequests(
      new ScriptedLLM([
        { toolCalls: [{ name: 'done', args: { answer: '42' } }] },
        { toolCalls: [{ name: 'done', args: { answer: '42', sources: ['hitchhikers-guide'] } }] },
      ]),
    );
    const done = doneTool({
      parameters: {
        type: 'object',
        properties: { answer: { type: 'string' }, sources: { type: 'array', items: { type: 'string' } } },
        required: ['answer'],
      },
    });
    const result = await agentLoop({ llm, tools: [done], task: 't', hooks: [requireSources] }).result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ answer: '42', sources: ['hitchhikers-guide'] });
    expect(result.steps[0]?.doneRejected).toBe('cite at least one source in `sources` before finishing');
    expect(textOf(requests[1])).toContain(
      'Error (done_rejected): cite at least one source in `sources` before finishing. Fix the call and try again.',
    );
  });

  it('fixSearchArgs: the tool receives the corrected arguments instead of an invalid-arguments error', async () => {
    const queries: unknown[] = [];
    const search = defineTool({
      name: 'search',
      description: 'Search',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string' }, limit: { type: 'integer' } },
        required: ['query'],
        additionalProperties: false,
      },
      run: (args) => {
        queries.push(args);
        return [];
      },
    });
    const result = await agentLoop({
      llm: new ScriptedLLM([
        { toolCalls: [{ name: 'search', args: { q: '  cats ', limit: 3 } }] },
        { toolCalls: [{ name: 'done', args: { summary: 's' } }] },
      ]),
      tools: [search],
      task: 't',
      hooks: [fixSearchArgs],
    }).result;
    expect(queries).toEqual([{ query: 'cats', limit: 3 }]);
    expect(result.steps[0]?.results[0]?.error).toBeUndefined();
  });

  it('stopWhenRepeating: a stuck model ends the run with hook_stop and the repeated calls', async () => {
    const search = recordingTool('search');
    const same = { toolCalls: [{ name: 'search', args: { value: 'cats' } }] };
    const result = await agentLoop({
      llm: new ScriptedLLM([
        { toolCalls: [{ name: 'search', args: { value: 'dogs' } }] },
        same,
        same,
        same,
        same,
      ]),
      tools: [search.tool],
      task: 't',
      hooks: [stopWhenRepeating({ times: 3 })],
    }).result;
    expect(result.endReason).toBe('hook_stop');
    expect(result.steps).toHaveLength(4);
    expect(result.stopReason).toBe('the same calls 3 steps in a row: [["search",{"value":"cats"}]]');
  });
});
