import { createRequire } from 'node:module';
import { canonicalJsonLine } from '../core/canonical-json.js';
import type { ToolSpec } from '../core/llm.js';
import type { Message } from '../core/types.js';

/** A model request in the form traces compare and show: messages, tools, other options. */
export interface RequestView {
  messages: readonly Message[];
  tools: readonly ToolSpec[];
  options?: Record<string, unknown> | undefined;
}

/**
 * Numbers tool-call ids in order of first appearance (`#1`, `#2`…). Ids are made by providers or
 * the loop's id generator and carry no meaning of their own, so requests are compared (and shown)
 * with ids replaced by these numbers: two runs whose calls differ only in their ids are the same.
 */
export class CallIdNumbering {
  readonly #numbers = new Map<string, string>();

  of(id: string): string {
    let number = this.#numbers.get(id);
    if (number === undefined) {
      number = `#${this.#numbers.size + 1}`;
      this.#numbers.set(id, number);
    }
    return number;
  }
}

/** A message with its tool-call ids replaced by their numbers. */
export function normalizeMessage(message: Message, ids: CallIdNumbering): Message {
  if (message.role === 'assistant' && message.toolCalls) {
    return { ...message, toolCalls: message.toolCalls.map((call) => ({ ...call, id: ids.of(call.id) })) };
  }
  if (message.role === 'tool') return { ...message, toolCallId: ids.of(message.toolCallId) };
  return message;
}

/**
 * A request as a readable transcript: one section per message, tool calls as
 * `→ #1 greet {"name":"Alice"}`, then the tools and options. Diffs of requests are diffs of these.
 */
export function renderRequest(request: RequestView): string {
  const ids = new CallIdNumbering();
  const lines: string[] = [];
  for (const message of request.messages) lines.push(...renderMessage(message, ids));
  lines.push('[tools]');
  for (const tool of request.tools)
    lines.push(`- ${tool.name}: ${tool.description}`, `  ${canonicalJsonLine(tool.parameters)}`);
  if (request.options && Object.keys(request.options).length > 0)
    lines.push('[options]', canonicalJsonLine(request.options));
  return `${lines.join('\n')}\n`;
}

/** The transcript lines of tool specs. */
export function renderTools(tools: readonly ToolSpec[]): string[] {
  return tools.flatMap((tool) => [
    `- ${tool.name}: ${tool.description}`,
    `  ${canonicalJsonLine(tool.parameters)}`,
  ]);
}

/** The transcript lines of one message; ids are shown as they are when `ids` is not given. */
export function renderMessage(message: Message, ids?: CallIdNumbering): string[] {
  const id = (raw: string) => (ids ? ids.of(raw) : raw);
  switch (message.role) {
    case 'system':
    case 'user':
      return [`[${message.role}]`, message.content];
    case 'tool':
      return [`[tool ${id(message.toolCallId)} ${message.name}]`, message.content];
    case 'assistant': {
      const lines = ['[assistant]'];
      if (message.content) lines.push(message.content);
      for (const call of message.toolCalls ?? [])
        lines.push(`→ ${id(call.id)} ${call.name} ${canonicalJsonLine(call.args)}`);
      return lines;
    }
  }
}

/** A unified diff of two texts, or '' when they are equal. */
export function unifiedDiff({
  before,
  after,
  beforeName,
  afterName,
}: {
  before: string;
  after: string;
  beforeName: string;
  afterName: string;
}): string {
  if (before === after) return '';
  // diff is required when a diff is first rendered, not when looplet is imported.
  const { createTwoFilesPatch, FILE_HEADERS_ONLY } = createRequire(import.meta.url)(
    'diff',
  ) as typeof import('diff');
  return createTwoFilesPatch(beforeName, afterName, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}

/** One tool call of a step as compared by replay: name, arguments, the result as the model read it. */
export interface CallView {
  name: string;
  args: Record<string, unknown>;
  /** The tool message's content; undefined when the conversation holds no result for the call. */
  result: string | undefined;
}

/**
 * A step's tool calls as transcript lines, for diffs: `→ add {"a":1}` then the result, indented
 * (`(no result)` when there is none). Empty when the step made no tool call.
 */
export function renderCalls(calls: readonly CallView[]): string {
  const lines: string[] = [];
  for (const call of calls) {
    lines.push(`→ ${call.name} ${canonicalJsonLine(call.args)}`);
    for (const line of (call.result ?? '(no result)').split('\n')) lines.push(`  ${line}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
