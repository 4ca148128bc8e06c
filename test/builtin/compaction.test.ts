import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  CompactionError,
  type CompactionInput,
  compaction,
  defineTool,
  estimateTokens,
  HookConfigError,
  HookError,
  type LLMRequest,
  type Message,
  pruneToolResults,
  ScriptedLLM,
  summarize,
  truncate,
} from '../../src/index.js';
import { DEFAULT_SUMMARY_PROMPT, SUMMARY_HEADER } from '../../src/loop/builtin/compaction-strategies.js';
import { DEFAULT_SYSTEM_PROMPT } from '../../src/loop/prompt.js';
import { recordRequests, textOf, usage } from './tools.js';

const PAD = 2000;
/** A tool whose results are big (about 500 tokens at four characters a token) and name what was fetched. */
const fetchPage = defineTool({
  name: 'fetch_page',
  description: 'Fetch a page',
  parameters: { type: 'object', properties: { value: { type: 'string' } }, required: ['value'] },
  run: ({ value }) => `${String(value)}-result ${'.'.repeat(PAD)}`,
});

const fetchTurn = (value: string) => ({ toolCalls: [{ name: 'fetch_page', args: { value } }] });
const doneTurn = { toolCalls: [{ name: 'done', args: { summary: 'finished' } }] };

function toolContents(request: LLMRequest | undefined): string[] {
  return (request?.messages ?? []).flatMap((message) => (message.role === 'tool' ? [message.content] : []));
}

describe('compaction', () => {
  it('prunes old tool results before the model call once the threshold is reached', async () => {
    const seen: Message[][] = [];
    const capture = (turn: ReturnType<typeof fetchTurn> | typeof doneTurn) => (request: LLMRequest) => {
      seen.push(structuredClone([...request.messages]));
      return {
        toolCalls: turn.toolCalls.map((call, index) => ({ id: `c${seen.length}_${index}`, ...call })),
      };
    };
    const llm = new ScriptedLLM([
      capture(fetchTurn('alpha')),
      capture(fetchTurn('beta')),
      capture(fetchTurn('gamma')),
      capture(doneTurn),
    ]);
    const result = await agentLoop({
      llm,
      tools: [fetchPage],
      task: 'Read three pages',
      hooks: [compaction({ thresholdTokens: 1000, strategies: [pruneToolResults({ keepLast: 1 })] })],
    }).result;
    expect(result.endReason).toBe('done');

    // Call 2 (one big result, ~500 tokens) is under the threshold: untouched.
    expect(toolContents({ messages: seen[1]!, tools: [], step: 2 })[0]).toMatch(/^alpha-result/);
    // Call 3 (~1000 tokens): the older result is a placeholder, the last turn's result is intact.
    const third = toolContents({ messages: seen[2]!, tools: [], step: 3 });
    expect(third[0]).toBe(
      `[result of fetch_page pruned to save context; it was ${'alpha-result '.length + PAD} characters]`,
    );
    expect(third[1]).toMatch(/^beta-result \.{2000}$/);
    // The model still sees which calls it made.
    expect(seen[2]!.filter((message) => message.role === 'assistant')).toHaveLength(2);
    expect(seen[2]![0]).toEqual({ role: 'system', content: DEFAULT_SYSTEM_PROMPT });
    expect(seen[2]![1]).toEqual({ role: 'user', content: 'Read three pages' });
  });

  it('stops the chain as soon as the estimate is under the threshold', async () => {
    const calls: string[] = [];
    const spy = (name: string) => (input: CompactionInput) => {
      calls.push(name);
      return [...input.messages];
    };
    const run = (strategies: Parameters<typeof compaction>[0]['strategies']) =>
      agentLoop({
        llm: new ScriptedLLM([fetchTurn('alpha'), fetchTurn('beta'), fetchTurn('gamma'), doneTurn]),
        tools: [fetchPage],
        task: 't',
        hooks: [compaction({ thresholdTokens: 1000, strategies })],
      }).result;

    await run([pruneToolResults({ keepLast: 0 }), spy('after-prune')]);
    expect(calls).toEqual([]);

    // A strategy that saves nothing leaves the conversation over the threshold: the next one runs.
    await run([spy('first'), truncate({ keepLast: 0 }), spy('after-truncate')]);
    // Compaction fired before call 3; truncate got it under, so the last strategy never ran (and
    // the conversation stayed under the threshold before call 4).
    expect(calls).toEqual(['first']);

    // When nothing gets it under, every strategy runs, in order, each time compaction fires.
    calls.length = 0;
    await run([spy('one'), spy('two')]);
    expect(calls).toEqual(['one', 'two', 'one', 'two']);
  });

  it('summarises older turns with one call to the loop’s model and replaces them with the summary', async () => {
    let summaryRequest: LLMRequest | undefined;
    const { llm, requests } = recordRequests(
      new ScriptedLLM([
        fetchTurn('alpha'),
        fetchTurn('beta'),
        (request) => {
          summaryRequest = request;
          return { text: 'Fetched alpha: it said alpha-result.', usage: usage(600, 40) };
        },
        doneTurn,
      ]),
    );
    const result = await agentLoop({
      llm,
      tools: [fetchPage],
      task: 'Read two pages',
      hooks: [compaction({ thresholdTokens: 800, strategies: [summarize({ keepLast: 1 })] })],
    }).result;
    expect(result.endReason).toBe('done');

    expect(summaryRequest?.step).toBe(0);
    expect(summaryRequest?.tools).toEqual([]);
    expect(summaryRequest?.messages[0]).toEqual({ role: 'system', content: DEFAULT_SUMMARY_PROMPT });
    expect(summaryRequest?.messages[1]?.content).toContain('Read two pages');
    expect(summaryRequest?.messages[1]?.content).toContain('fetch_page({"value":"alpha"})');
    expect(summaryRequest?.messages[1]?.content).toContain('fetch_page returned: alpha-result');
    expect(summaryRequest?.messages[1]?.content).not.toContain('beta-result');

    const afterSummary = requests[3]!;
    expect(afterSummary.messages[2]).toEqual({
      role: 'user',
      content: `${SUMMARY_HEADER}\nFetched alpha: it said alpha-result.`,
    });
    expect(toolContents(afterSummary)).toEqual([expect.stringMatching(/^beta-result/)]);
    expect(afterSummary.messages.length).toBeLessThan(requests[1]!.messages.length + 2);
    // The summary call is paid for: its usage is part of the run's.
    expect(result.usage).toEqual(usage(600, 40));
  });

  it('fails with CompactionError when the model returns an empty summary', async () => {
    const run = agentLoop({
      llm: new ScriptedLLM([fetchTurn('alpha'), fetchTurn('beta'), { text: '  ' }]),
      tools: [fetchPage],
      task: 't',
      hooks: [compaction({ thresholdTokens: 800, strategies: [summarize({ keepLast: 1 })] })],
    });
    const error = await run.result.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HookError);
    expect((error as HookError).cause).toBeInstanceOf(CompactionError);
    expect((error as HookError).message).toMatch(/summarize.*no text/);
  });

  it('truncates the oldest turns, keeping the system and task messages and a note of what went', async () => {
    const { llm, requests } = recordRequests(
      new ScriptedLLM([fetchTurn('alpha'), fetchTurn('beta'), fetchTurn('gamma'), doneTurn]),
    );
    await agentLoop({
      llm,
      tools: [fetchPage],
      task: 'Read',
      hooks: [compaction({ thresholdTokens: 1000, strategies: [truncate({ keepLast: 1 })] })],
    }).result;
    const third = requests[2]!;
    expect(third.messages.map((message) => message.role)).toEqual([
      'system',
      'user',
      'user',
      'assistant',
      'tool',
    ]);
    expect(third.messages[2]?.content).toBe('[2 earlier messages were removed to fit the context window]');
    expect(textOf(third)).not.toContain('alpha-result');
    expect(textOf(third)).toContain('beta-result');
  });

  it('estimates from the last call’s reported prompt tokens when the backend reports usage', async () => {
    const fired: number[] = [];
    const record = (input: CompactionInput) => {
      fired.push(input.state.steps.length);
      return [...input.messages];
    };
    const tiny = defineTool({
      name: 'tiny',
      description: 't',
      parameters: { type: 'object' },
      run: () => 'ok',
    });
    const script = (promptTokens: number) =>
      new ScriptedLLM([
        { toolCalls: [{ name: 'tiny', args: {} }], usage: usage(promptTokens, 10) },
        { toolCalls: [{ name: 'tiny', args: {} }], usage: usage(promptTokens, 10) },
        doneTurn,
      ]);
    const hooks = [compaction({ thresholdTokens: 4000, strategies: [record] })];
    await agentLoop({ llm: script(50), tools: [tiny], task: 't', hooks }).result;
    expect(fired).toEqual([]);
    // The conversation is a few hundred characters, but the provider said the prompt cost 5000 tokens.
    await agentLoop({ llm: script(5000), tools: [tiny], task: 't', hooks }).result;
    expect(fired).toEqual([1, 2]);
  });

  it('estimateTokens: the last prompt’s tokens plus a quarter of the characters added or removed since', async () => {
    const echo = defineTool({
      name: 'echo',
      description: 'echo',
      parameters: { type: 'object' },
      run: () => 'd'.repeat(396),
    });
    const run = agentLoop({
      llm: new ScriptedLLM([
        { text: 'c'.repeat(40), toolCalls: [{ id: 'x', name: 'echo', args: {} }], usage: usage(1000, 10) },
      ]),
      tools: [echo],
      task: 'b'.repeat(400),
      system: 's'.repeat(400),
      maxSteps: 1,
    });
    await run.result;
    const { state } = run;
    // The prompt was system + task: 800 characters, reported as 1000 tokens. Since then: the reply
    // (40 characters, 'echo' and '{}' = 46) and the result (396 + 'echo' = 400).
    expect(estimateTokens({ messages: state.messages, state })).toBe(1000 + Math.ceil((46 + 400) / 4));
    expect(estimateTokens({ messages: state.messages.slice(0, 2), state })).toBe(1000);
    // The live conversation grows (or is edited in place by a hook): the estimate follows.
    const before = estimateTokens({ messages: state.messages, state });
    state.messages.push({ role: 'user', content: 'e'.repeat(400) });
    expect(estimateTokens({ messages: state.messages, state })).toBe(before + 100);
    state.messages.splice(-1, 1);
    expect(estimateTokens({ messages: state.messages, state })).toBe(before);
    // No usage reported: characters / 4.
    const plain = { ...state, steps: [] };
    expect(estimateTokens({ messages: state.messages, state: plain })).toBe(Math.ceil((800 + 446) / 4));
  });

  it('takes an injected estimator', async () => {
    const { llm, requests } = recordRequests(
      new ScriptedLLM([fetchTurn('a'), fetchTurn('b'), fetchTurn('c'), doneTurn]),
    );
    await agentLoop({
      llm,
      tools: [fetchPage],
      task: 't',
      hooks: [
        compaction({
          thresholdTokens: 5,
          estimateTokens: ({ messages }) => messages.length,
          strategies: [truncate({ keepLast: 1 })],
        }),
      ],
    }).result;
    // Lengths 2, 4, then 6 ≥ 5: truncated to system, task, note, last turn (2 messages) = 5.
    expect(requests.map((request) => request.messages.length)).toEqual([2, 4, 5, 5]);
  });

  it('rejects a strategy that separates a tool call from its result or drops the task', async () => {
    const dropTools = ({ messages }: CompactionInput) =>
      messages.filter((message) => message.role !== 'tool');
    const dropTask = ({ messages }: CompactionInput) => messages.filter((_, index) => index !== 1);
    for (const [strategy, problem] of [
      [dropTools, /"dropTools".*assistant message 2 called/],
      [dropTask, /"dropTask".*no longer the task message/],
    ] as const) {
      const run = agentLoop({
        llm: new ScriptedLLM([fetchTurn('a'), fetchTurn('b'), fetchTurn('c')]),
        tools: [fetchPage],
        task: 't',
        hooks: [compaction({ thresholdTokens: 600, strategies: [strategy] })],
      });
      const error = await run.result.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HookError);
      expect((error as HookError).cause).toBeInstanceOf(CompactionError);
      expect((error as HookError).message).toMatch(problem);
    }
  });

  it('rejects bad options when the hook is created', () => {
    expect(() => compaction({ thresholdTokens: 0, strategies: [truncate()] })).toThrow(HookConfigError);
    expect(() => compaction({ thresholdTokens: 100, strategies: [] })).toThrow(/strategies/);
    expect(() => compaction({ thresholdTokens: 100, targetTokens: 200, strategies: [truncate()] })).toThrow(
      /targetTokens/,
    );
    expect(() => truncate({ keepLast: -1 })).toThrow(/keepLast/);
    expect(() => pruneToolResults({ keepLast: 1.5 })).toThrow(/keepLast/);
  });
});
