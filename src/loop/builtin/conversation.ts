import type { Message } from '../../core/types.js';

/**
 * A conversation cut where compaction may cut it. `head` is what every strategy keeps: the
 * leading system message(s) and the original task message. `turns` is the rest, split at each
 * assistant message: one model response, its tool results and whatever context followed it.
 * Cutting only between turns is what keeps each assistant tool call beside its tool results.
 */
export interface ConversationParts {
  head: Message[];
  turns: Message[][];
}

/** Splits a conversation into its head and its turns (see {@link ConversationParts}). */
export function splitConversation(messages: readonly Message[]): ConversationParts {
  let headEnd = 0;
  while (headEnd < messages.length && messages[headEnd]!.role === 'system') headEnd++;
  if (messages[headEnd]?.role === 'user') headEnd++;
  const turns: Message[][] = [];
  for (let index = headEnd; index < messages.length; index++) {
    const message = messages[index]!;
    const last = turns.at(-1);
    if (last === undefined || message.role === 'assistant') turns.push([message]);
    else last.push(message);
  }
  return { head: messages.slice(0, headEnd), turns };
}

/** Splits turns into the older ones and the last `keepLast`. */
export function splitTurns(turns: Message[][], keepLast: number): { older: Message[][]; kept: Message[][] } {
  const cut = Math.max(0, turns.length - keepLast);
  return { older: turns.slice(0, cut), kept: turns.slice(cut) };
}

/** Characters a message puts in a prompt: its text plus tool names and serialised arguments. */
export function messageChars(message: Message): number {
  let chars = message.content?.length ?? 0;
  if (message.role === 'assistant' && message.toolCalls) {
    for (const call of message.toolCalls)
      chars += call.name.length + (JSON.stringify(call.args)?.length ?? 0);
  }
  if (message.role === 'tool') chars += message.name.length;
  return chars;
}

/** Characters of a whole conversation (see {@link messageChars}). */
export function conversationChars(messages: readonly Message[]): number {
  let chars = 0;
  for (const message of messages) chars += messageChars(message);
  return chars;
}

/**
 * Why providers would reject this conversation's tool messages, or undefined when they are
 * well placed: each assistant message with tool calls must be followed directly by one `tool`
 * message per call, and every `tool` message must answer a call of that assistant message.
 */
export function toolPairingProblem(messages: readonly Message[]): string | undefined {
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    if (message.role === 'tool')
      return `message ${index} is a tool result (call ${message.toolCallId}) that does not follow the assistant message that called it`;
    if (message.role !== 'assistant' || !message.toolCalls || message.toolCalls.length === 0) continue;
    const pending = new Set(message.toolCalls.map((call) => call.id));
    let next = index + 1;
    for (; next < messages.length; next++) {
      const reply = messages[next]!;
      if (reply.role !== 'tool') break;
      if (!pending.delete(reply.toolCallId))
        return `message ${next} is a tool result for call ${reply.toolCallId}, which assistant message ${index} did not make`;
    }
    if (pending.size > 0)
      return `assistant message ${index} called ${[...pending].join(', ')} but the result(s) do not follow it`;
    index = next - 1;
  }
  return undefined;
}
