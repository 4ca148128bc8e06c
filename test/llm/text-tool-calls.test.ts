// Tool calls written as text (Python looplet's habit, and models without native tool calling):
// read by the backends that need it (ScriptedLLM text turns, ReplayLLM on Python traces, the
// `textToolCalls` wrapper), never by the loop itself.
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  type LLMBackend,
  type LLMResponse,
  parseTextToolCalls,
  ReplayLLM,
  ScriptedLLM,
  textToolCalls,
} from '../../src/index.js';
import { tempDir } from '../provenance/helpers.js';

const add = defineTool({
  name: 'add',
  description: 'a + b',
  parameters: {
    type: 'object',
    properties: { a: { type: 'number' }, b: { type: 'number' } },
    required: ['a', 'b'],
    additionalProperties: false,
  },
  run: ({ a, b }) => Number(a) + Number(b),
});
const search = defineTool({
  name: 'search',
  description: 'search',
  parameters: { type: 'object', properties: { query: { type: 'string' } } },
  run: ({ query }) => `results for ${String(query)}`,
});
const names = new Set(['add', 'search', 'done']);
const DONE_TEXT = '{"tool": "done", "args": {"summary": "ok"}}';

describe('parseTextToolCalls: the forms Python looplet reads', () => {
  const parse = (text: string) => parseTextToolCalls({ text, toolNames: names });

  it('one call, with args under args, arguments, input or parameters', () => {
    for (const key of ['args', 'arguments', 'input', 'parameters'])
      expect(parse(`{"tool": "add", "${key}": {"a": 1, "b": 2}}`)).toEqual([
        { name: 'add', args: { a: 1, b: 2 } },
      ]);
  });

  it('several calls: {"tools": [...]}, or a JSON list', () => {
    const two = [
      { name: 'add', args: { a: 1, b: 1 } },
      { name: 'add', args: { a: 2, b: 2 } },
    ];
    expect(
      parse(
        '{"tools": [{"tool": "add", "args": {"a": 1, "b": 1}}, {"tool": "add", "args": {"a": 2, "b": 2}}]}',
      ),
    ).toEqual(two);
    expect(
      parse('[{"tool": "add", "args": {"a": 1, "b": 1}}, {"name": "add", "arguments": {"a": 2, "b": 2}}]'),
    ).toEqual(two);
  });

  it('arguments beside the name, a JSON-string argument object, and a bare string argument', () => {
    expect(parse('{"tool": "add", "a": 1, "b": 2, "reasoning": "sum"}')).toEqual([
      { name: 'add', args: { a: 1, b: 2 }, reasoning: 'sum' },
    ]);
    expect(parse('{"name": "add", "arguments": "{\\"a\\": 1, \\"b\\": 2}"}')).toEqual([
      { name: 'add', args: { a: 1, b: 2 } },
    ]);
    expect(parse('{"tool": "search", "args": "cats"}')).toEqual([
      { name: 'search', args: { _raw_arg: 'cats' } },
    ]);
  });

  it('JSON in a fence, JSON inside prose, and raw newlines inside strings', () => {
    expect(parse('```json\n{"tool": "search", "args": {"query": "x"}}\n```')).toEqual([
      { name: 'search', args: { query: 'x' } },
    ]);
    expect(parse('I will search now: {"tool": "search", "args": {"query": "x"}} and then finish.')).toEqual([
      { name: 'search', args: { query: 'x' } },
    ]);
    expect(parse('{"tool": "search", "args": {"query": "line one\nline two"}}')).toEqual([
      { name: 'search', args: { query: 'line one\nline two' } },
    ]);
  });

  it('a `tool` key names a call even for an unknown tool; a `name` key only for a known one', () => {
    expect(parse('{"tool": "serach", "args": {"query": "x"}}')).toEqual([
      { name: 'serach', args: { query: 'x' } },
    ]);
    expect(parse('{"name": "Alice", "age": 3}')).toBeUndefined();
  });

  it('ordinary answers stay answers', () => {
    for (const text of [
      'The answer is 42.',
      '{"answer": 42}',
      '[1, 2]',
      '{"tools": ["hammer", "saw"]}',
      '{"tool": ',
      '',
    ])
      expect(parse(text)).toBeUndefined();
  });
});

describe('text tool calls in a run', () => {
  it('D1: a multi-call text answer runs its calls in one step, as Python looplet does', async () => {
    const llm = new ScriptedLLM([
      {
        text: '{"tools": [{"tool": "add", "args": {"a": 1, "b": 1}}, {"tool": "add", "args": {"a": 2, "b": 2}}]}',
      },
      { text: DONE_TEXT },
    ]);
    const result = await agentLoop({ llm, tools: [add], task: 't' }).result;
    expect(result.endReason).toBe('done');
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.results.map((r) => r.data)).toEqual([2, 4]);
    expect(result.steps[0]!.toolCalls.map((c) => c.id)).toEqual(['call_1', 'call_2']);
    expect(result.finalOutput).toEqual({ summary: 'ok' });
  });

  it('D2: a text call naming an unknown tool is an unknown_tool error step, and the run goes on', async () => {
    const llm = new ScriptedLLM([
      { text: '{"tool": "serach", "args": {"query": "cats"}}' },
      { text: DONE_TEXT },
    ]);
    const result = await agentLoop({ llm, tools: [search], task: 't' }).result;
    expect(result.endReason).toBe('done');
    expect(result.steps[0]!.results[0]!.error).toEqual({
      kind: 'unknown_tool',
      message: "Unknown tool: 'serach'. Did you mean 'search'? Available: search, done",
    });
  });

  it('the loop itself does not read calls from text: a backend that answers JSON text has answered', async () => {
    const llm: LLMBackend = { generate: async () => ({ text: '{"tool": "add", "args": {"a": 1, "b": 2}}' }) };
    const result = await agentLoop({ llm, tools: [add], task: 't' }).result;
    expect(result.endReason).toBe('done');
    expect(result.steps[0]!.toolCalls).toEqual([]);
    expect(result.finalOutput).toBe('{"tool": "add", "args": {"a": 1, "b": 2}}');
  });

  it('textToolCalls(backend) reads them for a model without native tool calling', async () => {
    const answers: LLMResponse[] = [
      { text: 'Adding: {"tool": "add", "args": {"a": 1, "b": 2}}' },
      { text: DONE_TEXT },
    ];
    const model: LLMBackend = { model: 'local', generate: async () => answers.shift() ?? {} };
    const llm = textToolCalls(model);
    expect(llm.model).toBe('local');
    expect(llm.recordedToolResult).toBeUndefined();
    const replaying = textToolCalls({ ...model, recordedToolResult: () => ({ data: 'recorded' }) });
    expect(replaying.recordedToolResult?.({ step: 1, name: 'add', args: {} })).toEqual({ data: 'recorded' });
    const result = await agentLoop({ llm, tools: [add], task: 't' }).result;
    expect(result.steps[0]!.results[0]!.data).toBe(3);
    expect(result.steps[0]!.text).toBe('Adding: {"tool": "add", "args": {"a": 1, "b": 2}}');
    expect(result.endReason).toBe('done');
  });

  it('a Python trace whose answer holds several calls replays them as one step', async () => {
    const dir = path.join(tempDir(), 'py');
    cpSync(path.resolve('fixtures/python-trace'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'call_00_response.txt'),
      '# call 00 - duration=0.0ms error=no\n\n## RESPONSE\n\n' +
        '{"tools": [{"tool": "add", "args": {"a": 1, "b": 1}}, {"tool": "add", "args": {"a": 2, "b": 2}}]}',
    );
    const result = await agentLoop({ llm: ReplayLLM.fromTrace(dir), tools: [add], task: 't' }).result;
    expect(result.steps[0]!.results.map((r) => r.data)).toEqual([2, 4]);
    expect(result.endReason).toBe('done');
  });
});
