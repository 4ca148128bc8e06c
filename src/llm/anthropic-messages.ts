// Translation between looplet's provider-neutral shapes and the Anthropic Messages API format.
import type { LLMResponse, ToolSpec } from '../core/llm.js';
import type { Message, ToolCall, Usage } from '../core/types.js';
import { LLMRefusalError, LLMResponseError } from './errors.js';
import { excerpt } from './openai-messages.js';

/** A content block as the Messages API takes it. */
type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string };

/** A message as the Messages API takes it. */
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | Block[];
}

/**
 * Looplet messages as the `system` prompt and `messages` of a Messages API request. The API takes
 * one system prompt, so every system message goes there, in order. Tool results become
 * `tool_result` blocks of a user turn, and consecutive user-side messages share one turn (results
 * first, as the API requires); an assistant message with neither text nor calls is left out,
 * since the API refuses empty content.
 */
export function toAnthropicMessages({ messages }: { messages: readonly Message[] }): {
  system: string | undefined;
  messages: AnthropicMessage[];
} {
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; blocks: Block[] }> = [];
  const add = (role: 'user' | 'assistant', blocks: Block[]) => {
    const last = turns.at(-1);
    if (last?.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };
  for (const message of messages) {
    if (message.role === 'system') system.push(message.content);
    else if (message.role === 'user') add('user', [{ type: 'text', text: message.content }]);
    else if (message.role === 'tool')
      add('user', [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content }]);
    else {
      const blocks: Block[] = [];
      if (message.content) blocks.push({ type: 'text', text: message.content });
      for (const call of message.toolCalls ?? [])
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.args });
      if (blocks.length > 0) add('assistant', blocks);
    }
  }
  return {
    system: system.length > 0 ? system.join('\n\n') : undefined,
    messages: turns.map(({ role, blocks }) => {
      const only = blocks[0];
      // A lone text block is sent as plain string content, the form the API reference shows first.
      if (blocks.length === 1 && only?.type === 'text') return { role, content: only.text };
      return { role, content: blocks };
    }),
  };
}

/** Looplet tool specs as Messages API tools. */
export function toAnthropicTools({ tools }: { tools: readonly ToolSpec[] }): Array<{
  name: string;
  description: string;
  input_schema: ToolSpec['parameters'];
}> {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.parameters,
  }));
}

/**
 * A Messages API response body (parsed JSON) as an {@link LLMResponse} with the body as `raw`.
 * Text blocks are joined, `tool_use` blocks become tool calls in order, `thinking` blocks become
 * `reasoning`. Throws {@link LLMRefusalError} for `stop_reason: "refusal"` and
 * {@link LLMResponseError} when the body is not a message.
 */
export function fromAnthropicMessage({ body, model }: { body: unknown; model: string }): LLMResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new LLMResponseError({
      message: `the server answered 200 with JSON that is not a message object; check that the base URL points at the Anthropic API (without /v1)`,
    });
  const record = body as Record<string, unknown>;
  if (record.type === 'error')
    throw new LLMResponseError({
      message: `the server answered 200 with an error body instead of a message: ${excerpt(JSON.stringify(record.error))}`,
    });
  if (!Array.isArray(record.content))
    throw new LLMResponseError({
      message: `the message has no content array (got ${excerpt(JSON.stringify(record.content ?? null), 80)}); the server sent no answer`,
    });
  const text: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: ToolCall[] = [];
  record.content.forEach((block: unknown, index) => {
    const item = (typeof block === 'object' && block !== null ? block : {}) as Record<string, unknown>;
    if (item.type === 'text' && typeof item.text === 'string') text.push(item.text);
    else if (item.type === 'thinking' && typeof item.thinking === 'string') reasoning.push(item.thinking);
    else if (item.type === 'tool_use') toolCalls.push(fromToolUse(item, index));
    // Other blocks (redacted thinking, server tools' results) carry nothing the loop uses; `raw` keeps them.
  });
  const stopReason = typeof record.stop_reason === 'string' ? record.stop_reason : undefined;
  if (stopReason === 'refusal') throw new LLMRefusalError({ refusal: text.join('') || '(no text)', model });
  const response: LLMResponse = { raw: body };
  if (text.join('') !== '') response.text = text.join('');
  if (toolCalls.length > 0) response.toolCalls = toolCalls;
  const usage = fromAnthropicUsage(record.usage);
  if (usage) response.usage = usage;
  if (stopReason !== undefined) response.finishReason = stopReason;
  if (reasoning.length > 0) response.reasoning = reasoning.join('\n\n');
  return response;
}

function fromToolUse(block: Record<string, unknown>, index: number): ToolCall {
  if (typeof block.name !== 'string')
    throw new LLMResponseError({
      message: `content[${index}] is a tool_use block without a name: ${excerpt(JSON.stringify(block))}`,
    });
  const id = typeof block.id === 'string' ? block.id : '';
  const { input } = block;
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { id, name: block.name, args: {}, argsError: 'the tool input must be a JSON object' };
  return { id, name: block.name, args: input as Record<string, unknown> };
}

/**
 * Messages API usage as looplet usage. The prompt counts every input token: `input_tokens` plus
 * the tokens written to and read from the prompt cache, which the API reports apart.
 */
export function fromAnthropicUsage(usage: unknown): Usage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const record = usage as Record<string, unknown>;
  const count = (value: unknown) => (typeof value === 'number' ? value : 0);
  const promptTokens =
    count(record.input_tokens) +
    count(record.cache_creation_input_tokens) +
    count(record.cache_read_input_tokens);
  const completionTokens = count(record.output_tokens);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
