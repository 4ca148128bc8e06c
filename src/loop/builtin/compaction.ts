import type { LLMBackend } from '../../core/llm.js';
import type { LoopState } from '../../core/state.js';
import type { Message } from '../../core/types.js';
import { LoopletError } from '../../util/errors.js';
import type { Hook } from '../hooks.js';
import { conversationChars, messageChars, splitConversation, toolPairingProblem } from './conversation.js';
import { HookConfigError } from './errors.js';

/** What a compaction strategy receives. */
export interface CompactionInput {
  /** The conversation to shorten (the previous strategy's output). Do not mutate it: return a new array. */
  messages: readonly Message[];
  /** The loop's model, for strategies that summarise. */
  llm: LLMBackend;
  state: LoopState;
  /** The estimate the chain is trying to get under. */
  targetTokens: number;
}

/** Shortens a conversation. Must keep the head (system + task messages) and tool-call pairing. */
export type CompactionStrategyFn = (input: CompactionInput) => Message[] | Promise<Message[]>;

/** A strategy: a function, or an object naming it (the name appears in errors). */
export type CompactionStrategy =
  | CompactionStrategyFn
  | { readonly name: string; apply: CompactionStrategyFn };

/** Estimates how many tokens a conversation costs as a prompt. */
export type TokenEstimator = (input: { messages: readonly Message[]; state: LoopState }) => number;

/** The options of {@link compaction}. */
export interface CompactionOptions {
  /** Compact before a model call when the conversation is estimated at this many tokens or more. */
  thresholdTokens: number;
  /** Applied in order until the estimate is under `targetTokens`; later ones are then skipped. */
  strategies: readonly CompactionStrategy[];
  /** Where the chain stops (default `thresholdTokens`). Lower it to compact less often but further. */
  targetTokens?: number;
  /** Default {@link estimateTokens}. */
  estimateTokens?: TokenEstimator;
  /** Hook name shown in errors (default `compaction`). */
  name?: string;
}

/**
 * A compaction strategy failed: it returned a conversation providers would reject (a tool call
 * separated from its result), dropped the system or task message, or could not produce a summary.
 */
export class CompactionError extends LoopletError {
  /** The strategy at fault (its name, or its index in `strategies`). */
  readonly strategy: string;

  constructor({ strategy, problem }: { strategy: string; problem: string }) {
    super({
      message: `compaction strategy ${strategy}: ${problem}`,
      code: 'COMPACTION_FAILED',
    });
    this.strategy = strategy;
  }
}

const CHARS_PER_TOKEN = 4;

/**
 * The default token estimate: about one token per four characters, anchored on the last model
 * call's real prompt size when the backend reported usage. The last call's prompt is the live
 * conversation up to the model's latest reply, so the estimate is that call's `promptTokens`
 * plus (or minus) a quarter of the characters by which `messages` differs from it. The anchor
 * also counts what characters miss, such as the tool schemas sent with each call.
 */
export function estimateTokens({
  messages,
  state,
}: {
  messages: readonly Message[];
  state: LoopState;
}): number {
  const chars = messages === state.messages ? liveChars(state.messages) : conversationChars(messages);
  const promptTokens = state.steps.at(-1)?.usage.promptTokens ?? 0;
  if (promptTokens > 0) {
    const reply = lastAssistantIndex(state.messages);
    if (reply >= 0) {
      const promptChars = liveChars(state.messages) - conversationChars(state.messages.slice(reply));
      return Math.max(0, Math.ceil(promptTokens + (chars - promptChars) / CHARS_PER_TOKEN));
    }
  }
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Running character counts of live conversations, so a step costs the same at step 10,000 as at 10. */
const counted = new WeakMap<
  readonly Message[],
  { length: number; last: Message | undefined; chars: number }
>();

/**
 * Characters of the loop's conversation, counting only what was appended since the last call (the
 * loop only appends; compaction replaces the array). A shrunk array or a different last counted
 * message means it was edited in place: count it all again.
 */
function liveChars(messages: readonly Message[]): number {
  const seen = counted.get(messages);
  let from = 0;
  let chars = 0;
  if (seen !== undefined && seen.length <= messages.length && messages[seen.length - 1] === seen.last) {
    from = seen.length;
    chars = seen.chars;
  }
  for (let index = from; index < messages.length; index++) chars += messageChars(messages[index]!);
  counted.set(messages, { length: messages.length, last: messages.at(-1), chars });
  return chars;
}

function lastAssistantIndex(messages: readonly Message[]): number {
  for (let index = messages.length - 1; index >= 0; index--)
    if (messages[index]!.role === 'assistant') return index;
  return -1;
}

/**
 * Context compaction as a chain of strategies. Before each model call (`shouldCompact`), the
 * conversation's size is estimated; at `thresholdTokens` or more, `compact` applies the
 * strategies in order, re-estimating after each, and stops as soon as the estimate is under
 * `targetTokens`. Each strategy's output is checked: one that drops the system or task message
 * or separates a tool call from its result fails with a {@link CompactionError}.
 *
 * @example
 * compaction({
 *   thresholdTokens: 60_000,
 *   strategies: [pruneToolResults({ keepLast: 4 }), summarize({ keepLast: 2 }), truncate({ keepLast: 2 })],
 * })
 */
export function compaction(options: CompactionOptions): Hook {
  const hook = 'compaction';
  const { thresholdTokens } = options;
  if (typeof thresholdTokens !== 'number' || !(thresholdTokens > 0))
    throw new HookConfigError({
      hook,
      option: 'thresholdTokens',
      problem: `must be a positive number, got ${String(thresholdTokens)}`,
    });
  const targetTokens = options.targetTokens ?? thresholdTokens;
  if (typeof targetTokens !== 'number' || !(targetTokens > 0) || targetTokens > thresholdTokens)
    throw new HookConfigError({
      hook,
      option: 'targetTokens',
      problem: `must be a positive number no larger than thresholdTokens (${thresholdTokens}), got ${String(targetTokens)}`,
    });
  if (!Array.isArray(options.strategies) || options.strategies.length === 0)
    throw new HookConfigError({
      hook,
      option: 'strategies',
      problem: 'give at least one strategy, e.g. [pruneToolResults(), truncate()]',
    });
  const strategies = options.strategies.map((strategy, index) => named(strategy, index));
  const estimate = options.estimateTokens ?? estimateTokens;

  return {
    name: options.name ?? 'compaction',
    shouldCompact: ({ state }: { state: LoopState }) =>
      estimate({ messages: state.messages, state }) >= thresholdTokens,
    async compact({ state, messages, llm }: { state: LoopState; messages: Message[]; llm: LLMBackend }) {
      const head = splitConversation(messages).head;
      let current: Message[] = messages;
      for (const strategy of strategies) {
        if (estimate({ messages: current, state }) < targetTokens) break;
        const next = await strategy.apply({ messages: current, llm, state, targetTokens });
        checkOutput(strategy.name, head, next);
        current = next;
      }
      return current;
    },
  };
}

function named(strategy: CompactionStrategy, index: number): { name: string; apply: CompactionStrategyFn } {
  if (typeof strategy === 'function')
    return { name: strategy.name ? `"${strategy.name}"` : `#${index}`, apply: strategy };
  if (typeof strategy === 'object' && strategy !== null && typeof strategy.apply === 'function')
    return { name: `"${strategy.name}"`, apply: (input) => strategy.apply(input) };
  throw new HookConfigError({
    hook: 'compaction',
    option: `strategies[${index}]`,
    problem:
      'a strategy is a function ({ messages, llm, state, targetTokens }) => Message[] or { name, apply }',
  });
}

function checkOutput(strategy: string, head: readonly Message[], output: unknown): void {
  if (!Array.isArray(output))
    throw new CompactionError({
      strategy,
      problem: `returned ${typeof output} instead of an array of messages`,
    });
  const messages = output as Message[];
  for (const [index, kept] of head.entries()) {
    const message = messages[index];
    if (message?.role !== kept.role || message.content !== kept.content)
      throw new CompactionError({
        strategy,
        problem: `message ${index} is no longer the ${kept.role === 'system' ? 'system' : 'task'} message`,
      });
  }
  const problem = toolPairingProblem(messages);
  if (problem !== undefined)
    throw new CompactionError({
      strategy,
      problem: `${problem}; cut the conversation only between turns (see splitConversation)`,
    });
}
