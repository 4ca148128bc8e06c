import type { LLMResponse, ToolSpec } from '../core/llm.js';
import type { Message } from '../core/types.js';
import { TraceReadError } from './errors.js';
import { parseJson } from './json-file.js';
import type { ErrorRecord } from './records.js';

// The call files of a Python looplet trace (`call_NN_prompt.txt`, `call_NN_response.txt`), as
// Python's `RecordingLLMBackend.save()` writes them, parsed into a request and a response.

type Json = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SYSTEM_MARK = '\n## SYSTEM PROMPT\n\n';
const USER_MARK = '\n## USER PROMPT\n\n';
const TOOLS_MARK = '\n\n## TOOLS\n\n';

/** A `call_NN_prompt.txt`: `# key=value` header lines, then system and user prompt sections. */
export function parsePrompt(text: string): {
  step: number;
  messages: Message[];
  tools?: ToolSpec[];
  options?: Record<string, unknown>;
} {
  const step = Number(/^# step=(\d+)/m.exec(text)?.[1] ?? 0);
  const options: Record<string, unknown> = {};
  const settings = /^# temperature=(\S+) max_tokens=(\d+)/m.exec(text);
  if (settings) {
    options.temperature = Number(settings[1]);
    options.max_tokens = Number(settings[2]);
  }
  const userAt = text.indexOf(USER_MARK);
  const systemAt = text.indexOf(SYSTEM_MARK);
  let user = userAt >= 0 ? text.slice(userAt + USER_MARK.length) : text;
  let tools: ToolSpec[] | undefined;
  const toolsAt = user.lastIndexOf(TOOLS_MARK);
  if (toolsAt >= 0) {
    try {
      const listed = parseJson('## TOOLS', user.slice(toolsAt + TOOLS_MARK.length));
      if (Array.isArray(listed)) {
        tools = listed.filter(isObject).map((tool) => ({
          name: String(tool.name ?? ''),
          description: String(tool.description ?? ''),
          parameters: (isObject(tool.input_schema)
            ? tool.input_schema
            : isObject(tool.parameters)
              ? tool.parameters
              : {}) as Json,
        }));
        user = user.slice(0, toolsAt);
      }
    } catch {
      // Not a tool listing: the text is part of the prompt.
    }
  }
  const messages: Message[] = [];
  if (systemAt >= 0 && (userAt < 0 || systemAt < userAt))
    messages.push({
      role: 'system',
      content: text.slice(systemAt + SYSTEM_MARK.length, userAt >= 0 ? userAt - 1 : undefined),
    });
  messages.push({ role: 'user', content: user });
  const parsed: ReturnType<typeof parsePrompt> = { step, messages };
  if (tools) parsed.tools = tools;
  if (Object.keys(options).length > 0) parsed.options = options;
  return parsed;
}

/** A `call_NN_response.txt`: a header line, an optional `## ERROR` section, then the response. */
export function parseResponse(
  file: string,
  text: string,
): { response: LLMResponse } | { error: ErrorRecord } {
  const errorAt = text.indexOf('\n## ERROR\n');
  const match = /\n## RESPONSE( \(content blocks\)| \(repr\))?\n\n/.exec(text);
  if (errorAt >= 0) {
    const message = text.slice(errorAt + '\n## ERROR\n'.length, match ? match.index : undefined).trim();
    const named = /^([A-Za-z_][\w.]*): ([\s\S]*)$/.exec(message);
    return { error: named ? { name: named[1]!, message: named[2]! } : { name: 'Error', message } };
  }
  if (!match) throw new TraceReadError({ file, problem: 'has no "## RESPONSE" section' });
  const body = text.slice(match.index + match[0].length);
  if (match[1] !== ' (content blocks)') return { response: { text: body === '(empty)' ? '' : body } };
  const blocks = parseJson(file, body);
  if (!Array.isArray(blocks))
    throw new TraceReadError({ file, field: 'RESPONSE', problem: 'must be a JSON list of blocks' });
  const response: LLMResponse = {};
  const texts: string[] = [];
  for (const block of blocks.filter(isObject)) {
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    if (block.type === 'tool_use' && typeof block.name === 'string') {
      response.toolCalls ??= [];
      response.toolCalls.push({
        id: typeof block.id === 'string' ? block.id : '',
        name: block.name,
        args: isObject(block.input) ? block.input : {},
      });
    }
  }
  if (texts.length > 0) response.text = texts.join('\n');
  return { response };
}
