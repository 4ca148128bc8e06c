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
  type LLMRequest,
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
    // The answer was edited, not the recorded steps: compare nothing, serve the answers in order.
    const result = await agentLoop({
      llm: ReplayLLM.fromTrace(dir, { check: 'none' }),
      tools: [add],
      task: 't',
    }).result;
    expect(result.steps[0]!.results.map((r) => r.data)).toEqual([2, 4]);
    expect(result.endReason).toBe('done');
  });
});

describe("textToolCalls: answers with no readable call (Python looplet's parse recovery)", () => {
  /** A model answering the given texts in order, keeping each request's messages. */
  function model(texts: string[]) {
    const requests: LLMRequest['messages'][] = [];
    const backend: LLMBackend = {
      generate: async (request) => {
        requests.push([...request.messages]);
        return {
          text: texts.shift() ?? DONE_TEXT,
          usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
        };
      },
    };
    return { backend, requests };
  }

  it('prose gets a recovery call; prose again becomes a parse-error step the model sees; the run goes on', async () => {
    const { backend, requests } = model(['The answer is 3.', 'still prose', 'more prose', DONE_TEXT]);
    const result = await agentLoop({ llm: textToolCalls(backend), tools: [add], task: 't' }).result;
    expect(requests).toHaveLength(4);
    const recovery = requests[1]!;
    expect(recovery.at(-2)).toEqual({ role: 'assistant', content: 'The answer is 3.' });
    expect(recovery.at(-1)).toMatchObject({
      role: 'user',
      content: expect.stringContaining('The answer is 3.'),
    });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.toolCalls.map((call) => call.name)).toEqual(['__parse_error__']);
    expect(result.steps[0]!.results[0]!.error).toEqual({
      kind: 'invalid_args',
      message: 'Could not parse JSON: The answer is 3.',
    });
    // The model reads why, in the conversation of its next call.
    expect(JSON.stringify(requests[2])).toContain('Could not parse JSON: The answer is 3.');
    // The second step's recovery call read `done`: the usage of both calls counts.
    expect(result.steps[1]!.usage.totalTokens).toBe(4);
    expect(result.endReason).toBe('done');
  });

  it("recovery calls stop after two answers in a row failed (Python's count), and a parsed answer resets it", async () => {
    const { backend, requests } = model([
      'a',
      'b',
      'c',
      'd',
      'e',
      '{"tool": "add", "args": {"a": 1, "b": 1}}',
      'f',
      'g',
    ]);
    const result = await agentLoop({ llm: textToolCalls(backend), tools: [add], task: 't', maxSteps: 5 })
      .result;
    // Steps 1–2: answer + recovery each; step 3: no recovery; step 4: parsed; step 5: recovery again.
    expect(requests).toHaveLength(2 + 2 + 1 + 1 + 2);
    expect(result.steps.map((step) => step.toolCalls[0]!.name)).toEqual([
      '__parse_error__',
      '__parse_error__',
      '__parse_error__',
      'add',
      '__parse_error__',
    ]);
  });

  it('recoveries: 0 makes none; proseAnswers: true takes prose as the final answer', async () => {
    const none = model(['prose', DONE_TEXT]);
    await agentLoop({ llm: textToolCalls(none.backend, { recoveries: 0 }), tools: [add], task: 't' }).result;
    expect(none.requests).toHaveLength(2);
    const prose = model(['The answer is 3.']);
    const result = await agentLoop({
      llm: textToolCalls(prose.backend, { proseAnswers: true }),
      tools: [add],
      task: 't',
    }).result;
    expect(result.finalOutput).toBe('The answer is 3.');
    expect(prose.requests).toHaveLength(1);
    expect(() => textToolCalls(prose.backend, { recoveries: -1 })).toThrow(RangeError);
  });
});
