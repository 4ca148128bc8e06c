import { addUsage, type Message } from '../../core/types.js';
import { CompactionError, type CompactionInput, type CompactionStrategyFn } from './compaction.js';
import { splitConversation, splitTurns } from './conversation.js';
import { HookConfigError } from './errors.js';

/** A named built-in strategy, as `compaction({ strategies })` takes it. */
export interface NamedStrategy {
  readonly name: string;
  apply: CompactionStrategyFn;
}

/** What every built-in strategy takes. */
export interface KeepLastOptions {
  /**
   * How many of the most recent turns are left untouched. A turn is one model response with its
   * tool results and the context added after it. Default 2.
   */
  keepLast?: number;
}

/** The options of {@link pruneToolResults}. */
export interface PruneToolResultsOptions extends KeepLastOptions {
  /** Replaces a pruned result (default: says it was pruned and how long it was). */
  placeholder?: (message: Extract<Message, { role: 'tool' }>) => string;
}

/** The options of {@link summarize}. */
export interface SummarizeOptions extends KeepLastOptions {
  /** System prompt of the summarising call. */
  prompt?: string;
}

const DEFAULT_KEEP_LAST = 2;

/** The summarising call's default system prompt. */
export const DEFAULT_SUMMARY_PROMPT =
  'You compress the history of an agent working on a task so that it can continue without it. ' +
  'Write a concise summary of the conversation you are given: facts learned, tool results that still ' +
  'matter (exact values, ids, paths), decisions made, what is done and what remains. No preamble.';

/** Starts the message a summary is put in, so later summaries (and readers) can tell it apart. */
export const SUMMARY_HEADER = 'Summary of the earlier conversation (written to save context):';

/**
 * Replaces the content of tool results older than the last `keepLast` turns with a short
 * placeholder. Cheap (no model call) and usually the biggest saving: the model keeps seeing which
 * calls it made and with which arguments, only the old outputs go.
 */
export function pruneToolResults(options: PruneToolResultsOptions = {}): NamedStrategy {
  const keepLast = keepLastOf('pruneToolResults', options);
  const placeholder =
    options.placeholder ??
    ((message) =>
      `[result of ${message.name} pruned to save context; it was ${message.content.length} characters]`);
  return {
    name: 'pruneToolResults',
    apply({ messages }) {
      const { head, turns } = splitConversation(messages);
      const { older, kept } = splitTurns(turns, keepLast);
      const pruned = older.map((turn) =>
        turn.map((message): Message => {
          if (message.role !== 'tool') return message;
          const content = placeholder(message);
          return content.length < message.content.length ? { ...message, content } : message;
        }),
      );
      return [...head, ...pruned.flat(), ...kept.flat()];
    },
  };
}

/**
 * Replaces the turns older than the last `keepLast` with one summary written by the loop's own
 * model: one call, `llm.generate({ messages, tools: [], step: 0 })`, given the task and a plain
 * transcript of those turns. Its token usage is added to the run's usage. The summary is a user
 * message after the task; an earlier summary is part of the next one's transcript.
 */
export function summarize(options: SummarizeOptions = {}): NamedStrategy {
  const keepLast = keepLastOf('summarize', options);
  const prompt = options.prompt ?? DEFAULT_SUMMARY_PROMPT;
  return {
    name: 'summarize',
    async apply({ messages, llm, state }: CompactionInput) {
      const { head, turns } = splitConversation(messages);
      const { older, kept } = splitTurns(turns, keepLast);
      if (older.length === 0) return [...messages];
      const olderMessages = older.flat();
      const task = head.find((message) => message.role === 'user')?.content ?? '';
      const response = await llm.generate({
        messages: [
          { role: 'system', content: prompt },
          {
            role: 'user',
            content: `The task:\n${task}\n\nThe conversation to summarise:\n${transcript(olderMessages)}`,
          },
        ],
        tools: [],
        step: 0,
        signal: state.signal,
      });
      addUsage(state.usage, response.usage);
      const text = response.text?.trim();
      if (!text)
        throw new CompactionError({
          strategy: '"summarize"',
          problem: `the model returned no text for the summary of ${olderMessages.length} messages`,
        });
      const summary: Message = { role: 'user', content: `${SUMMARY_HEADER}\n${text}` };
      return [...head, summary, ...kept.flat()];
    },
  };
}

/**
 * Drops the turns older than the last `keepLast`, leaving a one-line note of how many messages
 * went. The last resort of a chain: nothing is kept of what it drops.
 */
export function truncate(options: KeepLastOptions = {}): NamedStrategy {
  const keepLast = keepLastOf('truncate', options);
  return {
    name: 'truncate',
    apply({ messages }) {
      const { head, turns } = splitConversation(messages);
      const { older, kept } = splitTurns(turns, keepLast);
      if (older.length === 0) return [...messages];
      const dropped = older.reduce((count, turn) => count + turn.length, 0);
      const note: Message = {
        role: 'user',
        content: `[${dropped} earlier messages were removed to fit the context window]`,
      };
      return [...head, note, ...kept.flat()];
    },
  };
}

/** A plain-text rendering of messages for the summarising call (tool messages cannot be sent without tools). */
function transcript(messages: readonly Message[]): string {
  const lines: string[] = [];
  for (const message of messages) {
    if (message.role === 'assistant') {
      if (message.content) lines.push(`assistant: ${message.content}`);
      for (const call of message.toolCalls ?? [])
        lines.push(`assistant called ${call.name}(${JSON.stringify(call.args)})`);
    } else if (message.role === 'tool') {
      lines.push(`${message.name} returned: ${message.content}`);
    } else {
      lines.push(`${message.role}: ${message.content}`);
    }
  }
  return lines.join('\n');
}

function keepLastOf(hook: string, { keepLast = DEFAULT_KEEP_LAST }: KeepLastOptions): number {
  if (!Number.isInteger(keepLast) || keepLast < 0)
    throw new HookConfigError({
      hook,
      option: 'keepLast',
      problem: `must be a whole number of turns (0 or more), got ${String(keepLast)}`,
    });
  return keepLast;
}
