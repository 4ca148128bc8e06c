// What a step adds to the conversation (and the step) besides hook context: the model's turn, and a
// refused done call's result.
import type { LLMResponse } from '../core/llm.js';
import type { IdGenerator, Message, ToolCall, ToolResult } from '../core/types.js';
import { toolResultContent } from './prompt.js';

/** The response's tool calls, numbered by the loop where the backend gave no id (copied only then). */
export function toolCallsOf(response: LLMResponse, ids: IdGenerator): ToolCall[] {
  const calls = response.toolCalls;
  // A fresh array: a step without calls must not share its (mutable) list with another.
  if (!calls || calls.length === 0) return [];
  for (const call of calls) if (!call.id) return calls.map((c) => (c.id ? c : { ...c, id: ids('call') }));
  return calls;
}

/** The assistant message of a model turn (fields only where the turn has them). */
export function assistantMessage(text: string | undefined, calls: ToolCall[]): Message {
  if (calls.length > 0)
    return text
      ? { role: 'assistant', content: text, toolCalls: calls }
      : { role: 'assistant', toolCalls: calls };
  return text ? { role: 'assistant', content: text } : { role: 'assistant' };
}

/**
 * Turns the done call's result into the refusal `checkDone` gave, in the step's results and in
 * the tool message the model reads.
 */
export function refuseDone(
  messages: Message[],
  results: ToolResult[],
  index: number,
  doneMessage: Message,
  reason: string,
): void {
  const done = results[index]!;
  const refused: ToolResult = {
    callId: done.callId,
    name: done.name,
    args: done.args,
    error: { kind: 'done_rejected', message: reason },
    durationMs: done.durationMs,
  };
  results[index] = refused;
  const at = messages.lastIndexOf(doneMessage);
  if (at >= 0) messages[at] = { ...doneMessage, content: toolResultContent(refused) } as Message;
}
