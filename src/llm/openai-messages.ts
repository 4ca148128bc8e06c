// Translation between looplet's provider-neutral shapes and the chat-completions wire format.
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions';
import type { LLMResponse, ToolSpec } from '../core/llm.js';
import type { Message, ToolCall, Usage } from '../core/types.js';
import { LLMRefusalError, LLMResponseError } from './errors.js';

/** Looplet messages as chat-completions messages, in order. */
export function toChatMessages({ messages }: { messages: readonly Message[] }): ChatCompletionMessageParam[] {
  return messages.map(toChatMessage);
}

function toChatMessage(message: Message): ChatCompletionMessageParam {
  if (message.role === 'system' || message.role === 'user')
    return { role: message.role, content: message.content };
  if (message.role === 'tool')
    return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  const toolCalls = message.toolCalls ?? [];
  if (toolCalls.length === 0) return { role: 'assistant', content: message.content ?? '' };
  const assistant: ChatCompletionMessageParam = {
    role: 'assistant',
    tool_calls: toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.args) },
    })),
  };
  // An assistant message that only calls tools carries no content, as the API reference shows.
  if (message.content) assistant.content = message.content;
  return assistant;
}

/** Looplet tool specs as chat-completions function tools. */
export function toChatTools({ tools }: { tools: readonly ToolSpec[] }): ChatCompletionFunctionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

/**
 * One tool call as looplet sees it. Malformed argument JSON does not throw: the call gets
 * `args: {}` and `argsError`, so the loop answers the model with an `invalid_args` error.
 */
export function fromChatToolCall(call: ChatCompletionMessageToolCall): ToolCall {
  const id = call.id ?? '';
  if (call.type === 'custom') {
    return {
      id,
      name: call.custom.name,
      args: {},
      argsError: 'custom (free-form) tool calls are not supported; declare the tool with a JSON Schema',
    };
  }
  const { name, arguments: text } = call.function;
  // Some servers send "" for a function without parameters.
  if (text == null || text.trim() === '') return { id, name, args: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      id,
      name,
      args: {},
      argsError: `the arguments are not valid JSON (${(error as Error).message}): ${excerpt(text)}`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
    return { id, name, args: {}, argsError: `the arguments must be a JSON object, got ${kind}` };
  }
  return { id, name, args: parsed as Record<string, unknown> };
}

/**
 * A chat completion body (already parsed from JSON) as an {@link LLMResponse}, without `raw`.
 * Throws {@link LLMRefusalError} when the model refused, {@link LLMResponseError} when the body
 * is not a chat completion.
 */
export function fromChatCompletion({ body, model }: { body: unknown; model: string }): LLMResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new LLMResponseError({
      message: `the server answered 200 with JSON that is not a chat completion object (got ${describe(body)}); check that the base URL points at an OpenAI-compatible /v1 endpoint`,
    });
  const record = body as Record<string, unknown>;
  if (record.error !== undefined && record.error !== null)
    throw new LLMResponseError({
      message: `the server answered 200 with an error body instead of a chat completion: ${excerpt(JSON.stringify(record.error))}`,
    });
  const choice: unknown = Array.isArray(record.choices) ? record.choices[0] : undefined;
  if (typeof choice !== 'object' || choice === null)
    throw new LLMResponseError({
      message: `the chat completion has no choices[0] (choices is ${describe(record.choices)}); the server sent no answer`,
    });
  const { message, finish_reason: finishReason } = choice as Record<string, unknown>;
  if (typeof message !== 'object' || message === null)
    throw new LLMResponseError({ message: 'the chat completion has no choices[0].message' });
  const { content, refusal, tool_calls: toolCalls } = message as Record<string, unknown>;
  if (typeof refusal === 'string' && refusal !== '') throw new LLMRefusalError({ refusal, model });

  const response: LLMResponse = {};
  if (typeof content === 'string' && content !== '') response.text = content;
  if (Array.isArray(toolCalls) && toolCalls.length > 0) {
    response.toolCalls = toolCalls.map((call: unknown, index) => {
      if (!isToolCall(call))
        throw new LLMResponseError({
          message: `choices[0].message.tool_calls[${index}] is not a tool call (needs id, type and function.name): ${excerpt(JSON.stringify(call))}`,
        });
      return fromChatToolCall(call);
    });
  }
  const usage = fromChatUsage(record.usage);
  if (usage) response.usage = usage;
  if (typeof finishReason === 'string') response.finishReason = finishReason;
  const reasoning = reasoningOf(message);
  if (reasoning !== undefined) response.reasoning = reasoning;
  return response;
}

function isToolCall(call: unknown): call is ChatCompletionMessageToolCall {
  if (typeof call !== 'object' || call === null) return false;
  const record = call as Record<string, unknown>;
  const target = (record.type === 'custom' ? record.custom : record.function) as
    | Record<string, unknown>
    | undefined;
  // A missing id is allowed: some servers omit it, and the loop then names the call itself.
  return (record.id == null || typeof record.id === 'string') && typeof target?.name === 'string';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  return typeof value === 'string' ? `the string ${excerpt(JSON.stringify(value), 60)}` : `a ${typeof value}`;
}

/** Chat-completions usage (`prompt_tokens`…) as looplet usage; undefined when the server sent none. */
export function fromChatUsage(usage: unknown): Usage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const record = usage as Record<string, unknown>;
  const promptTokens = numberOr0(record.prompt_tokens);
  const completionTokens = numberOr0(record.completion_tokens);
  const total = record.total_tokens;
  return {
    promptTokens,
    completionTokens,
    totalTokens: typeof total === 'number' ? total : promptTokens + completionTokens,
  };
}

/**
 * The reasoning text some servers return beside the answer: `reasoning` (LM Studio, Ollama,
 * gpt-oss) or `reasoning_content` (vLLM, DeepSeek). Neither is part of the OpenAI schema.
 */
export function reasoningOf(message: object | null | undefined): string | undefined {
  if (!message) return undefined;
  const record = message as Record<string, unknown>;
  const value = record.reasoning ?? record.reasoning_content;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function numberOr0(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** The start of a long string, for error messages. */
export function excerpt(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}
