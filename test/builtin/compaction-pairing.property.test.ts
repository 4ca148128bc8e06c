import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  compaction,
  defineTool,
  type LLMRequest,
  type LLMResponse,
  type LoopState,
  type Message,
  pruneToolResults,
  ScriptedLLM,
  summarize,
  type ToolCall,
  truncate,
} from '../../src/index.js';

/**
 * Written independently of the library's own check: every assistant message with tool calls is
 * followed directly by exactly one tool message per call, and no tool message stands anywhere else.
 */
function assertPairing(messages: readonly Message[]): void {
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    if (message.role === 'tool') throw new Error(`orphan tool message at ${index}`);
    if (message.role !== 'assistant' || !message.toolCalls?.length) continue;
    const expected = message.toolCalls.map((call) => call.id).sort();
    const got: string[] = [];
    while (messages[index + 1]?.role === 'tool') {
      index++;
      got.push((messages[index] as Extract<Message, { role: 'tool' }>).toolCallId);
    }
    expect(got.sort()).toEqual(expected);
  }
}

const SYSTEM: Message = { role: 'system', content: 'system prompt' };
const TASK = { role: 'user', content: 'the task' } as const satisfies Message;

function assertHead(messages: readonly Message[], system: Message = SYSTEM, task: Message = TASK): void {
  expect(messages[0]).toEqual(system);
  expect(messages[1]).toEqual(task);
}

/** Conversations shaped like the loop's: context and briefings, then replies with their tool results. */
const conversationArb = fc
  .array(
    fc.record({
      before: fc.array(fc.string({ maxLength: 40 }), { maxLength: 2 }),
      text: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
      calls: fc.array(
        fc.record({ arg: fc.string({ maxLength: 20 }), result: fc.string({ maxLength: 300 }) }),
        {
          maxLength: 3,
        },
      ),
      after: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    }),
    { maxLength: 12 },
  )
  .map((turns) => {
    const messages: Message[] = [SYSTEM, TASK];
    let ids = 0;
    for (const turn of turns) {
      for (const text of turn.before) messages.push({ role: 'user', content: text });
      const calls: ToolCall[] = turn.calls.map((call) => ({
        id: `c${++ids}`,
        name: 'lookup',
        args: { q: call.arg },
      }));
      const assistant: Message = { role: 'assistant' };
      if (turn.text !== undefined) assistant.content = turn.text;
      if (calls.length > 0) assistant.toolCalls = calls;
      messages.push(assistant);
      for (const [index, call] of turn.calls.entries())
        messages.push({ role: 'tool', toolCallId: calls[index]!.id, name: 'lookup', content: call.result });
      if (turn.after !== undefined) messages.push({ role: 'user', content: turn.after });
    }
    return messages;
  });

function stateFor(messages: Message[]): LoopState {
  return {
    runId: 'run',
    task: TASK.content,
    messages,
    steps: [],
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    maxSteps: 100,
    tools: new Map(),
    llm: summarizer(),
    data: {},
    signal: new AbortController().signal,
  };
}

function summarizer(): ScriptedLLM {
  const answer = (request: LLMRequest): LLMResponse => {
    // The summarising call must never carry tool messages: it is sent with no tools.
    expect(request.messages.some((message) => message.role === 'tool')).toBe(false);
    return { text: `summary of ${request.messages[1]?.content?.length ?? 0} characters` };
  };
  return new ScriptedLLM(Array.from({ length: 50 }, () => answer));
}

const runs = process.env.LOOPLET_DEEP ? 2000 : 150;

describe('compaction strategies keep conversations valid (property)', () => {
  for (const [name, make] of [
    ['pruneToolResults', (keepLast: number) => pruneToolResults({ keepLast })],
    ['summarize', (keepLast: number) => summarize({ keepLast })],
    ['truncate', (keepLast: number) => truncate({ keepLast })],
  ] as const) {
    it(`${name} keeps the system and task messages, tool pairing, and the last turns verbatim`, async () => {
      await fc.assert(
        fc.asyncProperty(conversationArb, fc.nat({ max: 6 }), async (messages, keepLast) => {
          const state = stateFor(messages);
          const input = structuredClone(messages);
          const output = await make(keepLast).apply({ messages, llm: state.llm, state, targetTokens: 1 });
          expect(messages).toEqual(input); // the input is not mutated
          assertHead(output);
          assertPairing(output);
          // The tail from the last `keepLast` assistant messages on is untouched.
          const starts = messages.flatMap((message, index) => (message.role === 'assistant' ? [index] : []));
          const tailStart = keepLast === 0 ? messages.length : (starts.at(-keepLast) ?? 2);
          const tail = messages.slice(Math.max(tailStart, 2));
          expect(output.slice(output.length - tail.length)).toEqual(tail);
          if (name === 'pruneToolResults') {
            expect(output.map((message) => message.role)).toEqual(messages.map((message) => message.role));
          } else {
            expect(output.length).toBeLessThanOrEqual(messages.length + 1);
          }
        }),
        { numRuns: runs },
      );
    });
  }
});

describe('compaction in a running loop (property)', () => {
  const echo = defineTool({
    name: 'echo',
    description: 'returns text of the requested size',
    parameters: { type: 'object', properties: { size: { type: 'integer' } }, required: ['size'] },
    run: ({ size }) => 'x'.repeat(Number(size)),
  });
  const fail = defineTool({
    name: 'fail',
    description: 'always throws',
    parameters: { type: 'object' },
    run: () => {
      throw new Error('broken');
    },
  });

  const planArb = fc.array(
    fc.record({
      calls: fc.array(
        fc.oneof(
          fc.record({ name: fc.constant('echo'), size: fc.nat({ max: 2000 }) }),
          fc.record({ name: fc.constant('fail'), size: fc.constant(0) }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      text: fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
      promptTokens: fc.option(fc.nat({ max: 3000 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 10 },
  );

  it('every request the model receives keeps the system and task messages and its tool pairing', async () => {
    const compacted = { pruned: 0, summarised: 0, truncated: 0 };
    await fc.assert(
      fc.asyncProperty(
        planArb,
        fc.integer({ min: 50, max: 1500 }),
        fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 })),
        async (plan, thresholdTokens, [pruneKeep, summaryKeep, truncateKeep]) => {
          const requests: Message[][] = [];
          const answer = (request: LLMRequest): LLMResponse => {
            if (request.step === 0) return { text: 'what happened so far' };
            requests.push(structuredClone([...request.messages]));
            const turn = plan[request.step - 1];
            if (turn === undefined) return { toolCalls: [{ id: '', name: 'done', args: { summary: 'ok' } }] };
            const response: LLMResponse = {
              toolCalls: turn.calls.map((call) => ({ id: '', name: call.name, args: { size: call.size } })),
            };
            if (turn.text !== undefined) response.text = turn.text;
            if (turn.promptTokens !== undefined)
              response.usage = {
                promptTokens: turn.promptTokens,
                completionTokens: 5,
                totalTokens: turn.promptTokens + 5,
              };
            return response;
          };
          const result = await agentLoop({
            llm: new ScriptedLLM(Array.from({ length: plan.length * 2 + 2 }, () => answer)),
            tools: [echo, fail],
            task: 'the task',
            system: 'system prompt',
            maxSteps: plan.length + 1,
            maxConsecutiveToolErrors: 100,
            hooks: [
              compaction({
                thresholdTokens,
                strategies: [
                  pruneToolResults({ keepLast: pruneKeep }),
                  summarize({ keepLast: summaryKeep }),
                  truncate({ keepLast: truncateKeep }),
                ],
              }),
            ],
          }).result;
          expect(result.endReason).toBe('done');
          for (const messages of requests) {
            assertHead(messages);
            assertPairing(messages);
            const text = messages.map((message) => message.content ?? '').join('\n');
            if (text.includes('pruned to save context')) compacted.pruned++;
            if (text.includes('what happened so far')) compacted.summarised++;
            if (text.includes('earlier messages were removed')) compacted.truncated++;
          }
        },
      ),
      { numRuns: Math.ceil(runs / 2) },
    );
    // The property is not vacuous: every strategy took part in some of the generated runs.
    expect(compacted.pruned).toBeGreaterThan(0);
    expect(compacted.summarised).toBeGreaterThan(0);
    expect(compacted.truncated).toBeGreaterThan(0);
  });
});
