import { describe, expect, it } from 'vitest';
import { describeRequestChange, type Message, type ToolSpec } from '../../src/index.js';
import { describeCallCountChange } from '../../src/provenance/request-change.js';
import type { RequestView } from '../../src/provenance/request-view.js';

// Each sentence of describeRequestChange, from two requests that differ in one way. The base
// request is what a loop sends at step 3: system prompt, task, two steps of tool calls, context.

const add: ToolSpec = {
  name: 'add',
  description: 'Add two numbers',
  parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
};
const search: ToolSpec = { name: 'search', description: 'Search the web', parameters: { type: 'object' } };

function conversation({
  system = 'You add numbers.',
  task = 'Add 1 and 2, then 3 and 4.',
  firstArgs = { a: 1, b: 2 },
  firstResult = '3',
  secondResult = '7',
  context = 'Budget: 1 step left.',
  ids = ['call_1', 'call_2'],
}: {
  system?: string;
  task?: string;
  firstArgs?: Record<string, unknown>;
  firstResult?: string;
  secondResult?: string;
  context?: string;
  ids?: [string, string] | string[];
} = {}): Message[] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: task },
    { role: 'assistant', toolCalls: [{ id: ids[0]!, name: 'add', args: firstArgs }] },
    { role: 'tool', toolCallId: ids[0]!, name: 'add', content: firstResult },
    {
      role: 'assistant',
      content: 'Now the second sum.',
      toolCalls: [{ id: ids[1]!, name: 'add', args: { a: 3, b: 4 } }],
    },
    { role: 'tool', toolCallId: ids[1]!, name: 'add', content: secondResult },
    { role: 'user', content: context },
  ];
}

const base: RequestView = { messages: conversation(), tools: [add], options: { temperature: 0 } };

function change(fresh: Partial<RequestView>, step = 3): string[] {
  return describeRequestChange({ recorded: base, fresh: { ...base, ...fresh }, step });
}

describe('describeRequestChange', () => {
  it('says nothing for the same request, and tool-call ids never count', () => {
    expect(change({})).toEqual([]);
    expect(change({ messages: conversation({ ids: ['toolu_x', 'toolu_y'] }) })).toEqual([]);
  });

  it('the system prompt changed', () => {
    expect(change({ messages: conversation({ system: 'You add numbers carefully.' }) })).toEqual([
      'the system prompt changed',
    ]);
  });

  it('the task (first user message) changed', () => {
    expect(change({ messages: conversation({ task: 'Add 1 and 2.' }) })).toEqual([
      'the task (first user message) changed',
    ]);
  });

  it('tool `search` was added to the request / removed from the request', () => {
    expect(change({ tools: [add, search] })).toEqual(['tool `search` was added to the request']);
    expect(
      describeRequestChange({ recorded: { ...base, tools: [add, search] }, fresh: base, step: 3 }),
    ).toEqual(['tool `search` was removed from the request']);
  });

  it('the description / the parameters of tool `add` changed; the order of the tools changed', () => {
    expect(change({ tools: [{ ...add, description: 'Sum two numbers' }] })).toEqual([
      'the description of tool `add` changed',
    ]);
    expect(change({ tools: [{ ...add, parameters: { type: 'object', required: ['a'] } }] })).toEqual([
      'the parameters of tool `add` changed',
    ]);
    expect(
      describeRequestChange({
        recorded: { ...base, tools: [add, search] },
        fresh: { ...base, tools: [search, add] },
      }),
    ).toEqual(['the order of the tools changed']);
  });

  it('the result of `add` at step 1 changed', () => {
    expect(change({ messages: conversation({ firstResult: '4' }) })).toEqual([
      'the result of `add` at step 1 changed',
    ]);
  });

  it('the result of `add` at step 2 is now an error: <kind> / is no longer an error', () => {
    const error = 'Error (tool_threw): overflow.';
    expect(change({ messages: conversation({ secondResult: error }) })).toEqual([
      'the result of `add` at step 2 is now an error: tool_threw',
    ]);
    expect(
      describeRequestChange({
        recorded: { ...base, messages: conversation({ secondResult: error }) },
        fresh: base,
        step: 3,
      }),
    ).toEqual(['the result of `add` at step 2 is no longer an error (it was: tool_threw)']);
  });

  it('the arguments of `add` at step 1 changed', () => {
    expect(change({ messages: conversation({ firstArgs: { a: 1, b: 20 } }) })).toEqual([
      'the arguments of `add` at step 1 changed',
    ]);
    // Key order is not a change.
    expect(change({ messages: conversation({ firstArgs: { b: 2, a: 1 } }) })).toEqual([]);
  });

  it('a call missing, an extra call, another tool called, the model text changed', () => {
    const withCalls = (
      calls: Array<{ name: string; args: Record<string, unknown> }>,
      text?: string,
    ): Message[] => [
      { role: 'system', content: 'You add numbers.' },
      { role: 'user', content: 'Add.' },
      {
        role: 'assistant',
        ...(text ? { content: text } : {}),
        toolCalls: calls.map((call, index) => ({ id: `c${index}`, ...call })),
      },
      ...calls.map(
        (call, index): Message => ({ role: 'tool', toolCallId: `c${index}`, name: call.name, content: 'ok' }),
      ),
    ];
    const one = withCalls([{ name: 'add', args: { a: 1 } }]);
    const two = withCalls([
      { name: 'add', args: { a: 1 } },
      { name: 'search', args: {} },
    ]);
    const view = (messages: Message[]): RequestView => ({ messages, tools: [add, search] });
    expect(describeRequestChange({ recorded: view(two), fresh: view(one), step: 2 })).toEqual([
      'the call to `search` at step 1 is missing',
    ]);
    expect(describeRequestChange({ recorded: view(one), fresh: view(two), step: 2 })).toEqual([
      'step 1 makes an extra call to `search`',
    ]);
    expect(
      describeRequestChange({
        recorded: view(one),
        fresh: view(withCalls([{ name: 'search', args: { a: 1 } }])),
      }),
    ).toEqual(['step 1 calls `search` where the recording called `add`']);
    expect(
      describeRequestChange({
        recorded: view(one),
        fresh: view(withCalls([{ name: 'add', args: { a: 1 } }], 'Adding.')),
      }),
    ).toEqual(["the model's text at step 1 changed"]);
  });

  it('context added by a hook before step 1 changed; the request holds more model turns', () => {
    const [system, task, ...rest] = conversation();
    expect(change({ messages: [system!, task!, { role: 'user', content: 'Briefing.' }, ...rest] })).toEqual([
      'context added by a hook before step 1 changed',
    ]);
    expect(
      describeRequestChange({
        recorded: { ...base, messages: conversation().slice(0, 4) },
        fresh: base,
      }),
    ).toEqual(['the request holds 1 more model turn(s) than the recorded one']);
  });

  it('context added by a hook after step 2 changed', () => {
    expect(change({ messages: conversation({ context: 'Budget: 2 steps left.' }) })).toEqual([
      'context added by a hook after step 2 changed',
    ]);
  });

  it('request option `temperature` changed / was added / was removed', () => {
    expect(change({ options: { temperature: 0.7 } })).toEqual(['request option `temperature` changed']);
    expect(change({ options: { temperature: 0, max_tokens: 100 } })).toEqual([
      'request option `max_tokens` was added',
    ]);
    expect(change({ options: {} })).toEqual(['request option `temperature` was removed']);
  });

  it('names steps from the request step, so a compacted conversation still names them right', () => {
    // Compaction dropped step 1: the last turn is still step 2 of a request made at step 3.
    const compacted = (result: string): Message[] => [
      { role: 'system', content: 'You add numbers.' },
      { role: 'user', content: 'Summary: step 1 added 1 and 2.' },
      { role: 'assistant', toolCalls: [{ id: 'c2', name: 'add', args: { a: 3, b: 4 } }] },
      { role: 'tool', toolCallId: 'c2', name: 'add', content: result },
    ];
    expect(
      describeRequestChange({
        recorded: { messages: compacted('7'), tools: [add] },
        fresh: { messages: compacted('8'), tools: [add] },
        step: 3,
      }),
    ).toEqual(['the result of `add` at step 2 changed']);
  });

  it('lists several changes most important first: system prompt, task, tools, steps, options', () => {
    expect(
      change({
        messages: conversation({ system: 'New.', task: 'New task.', firstResult: '4', context: 'More.' }),
        tools: [add, search],
        options: { temperature: 1 },
      }),
    ).toEqual([
      'the system prompt changed',
      'the task (first user message) changed',
      'tool `search` was added to the request',
      'the result of `add` at step 1 changed',
      'context added by a hook after step 2 changed',
      'request option `temperature` changed',
    ]);
  });

  it('describes a continuation (the messages added since an earlier call) without a system prompt or task', () => {
    const [, , , , ...added] = conversation();
    const [, , , , ...changed] = conversation({ secondResult: '8' });
    expect(
      describeRequestChange({
        recorded: { messages: added, tools: [add] },
        fresh: { messages: changed, tools: [add] },
        step: 3,
        continuation: true,
      }),
    ).toEqual(['the result of `add` at step 2 changed']);
  });
});

describe('describeCallCountChange', () => {
  it('the agent made one more / N fewer model call(s) than recorded', () => {
    expect(describeCallCountChange({ recorded: 2, made: 3 })).toBe(
      'the agent made one more model call than recorded',
    );
    expect(describeCallCountChange({ recorded: 2, made: 5 })).toBe(
      'the agent made 3 more model calls than recorded',
    );
    expect(describeCallCountChange({ recorded: 2, made: 1 })).toBe(
      'the agent made one fewer model call than recorded',
    );
    expect(describeCallCountChange({ recorded: 4, made: 1 })).toBe(
      'the agent made 3 fewer model calls than recorded',
    );
    expect(describeCallCountChange({ recorded: 2, made: 2 })).toBeUndefined();
  });
});
