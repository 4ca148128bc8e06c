import {
  type LLMBackend,
  type LLMRequest,
  type LLMResponse,
  PARSE_ERROR_CALL,
  type ToolSpec,
} from '../core/llm.js';
import { addUsage, emptyUsage, type ToolCall } from '../core/types.js';
import { jsonBlockEnd } from '../util/json-block.js';

/** A tool call found in plain text. */
export interface TextToolCall {
  name: string;
  args: Record<string, unknown>;
  reasoning?: string;
}

/** Keys of a text tool call that are not the tool's arguments (Python looplet's list). */
const META_KEYS = new Set([
  'tool',
  'name',
  'args',
  'arguments',
  'input',
  'parameters',
  'reasoning',
  'theory',
  'thought',
  'thinking',
  'call_id',
  'id',
]);

const OPENING_FENCE = /^```(?:json)?\s*/;
const CLOSING_FENCE = /\s*```$/;

/**
 * Finds tool calls in a text answer, for models (and Python looplet traces) that write tool calls
 * as JSON instead of using native tool calling. The forms Python looplet reads:
 * - `{"tool": "name", "args": {...}}` (also `arguments`, `input` or `parameters` for the
 *   arguments, or the arguments beside `tool`: `{"tool": "add", "a": 1}`);
 * - `{"tools": [{"tool": ..., "args": ...}, ...]}`: several calls in one answer;
 * - a JSON list of calls; `{"name": ..., "arguments": ...}` when `name` is one of `toolNames`;
 * - JSON inside a ```json fence, or with prose around it.
 *
 * A `tool` key makes a call even when no such tool exists, so the model is told "unknown tool"
 * instead of its call being taken as the final answer; `name` counts only for known tools, so an
 * ordinary JSON answer (`{"name": "Alice"}`) stays an answer. Returns undefined when none is found.
 */
export function parseTextToolCalls({
  text,
  toolNames,
}: {
  text: string | undefined;
  toolNames: ReadonlySet<string>;
}): TextToolCall[] | undefined {
  if (!text) return undefined;
  const trimmed = text.trim().replace(OPENING_FENCE, '').replace(CLOSING_FENCE, '');
  const parsed = parseJsonLoosely(trimmed) ?? embeddedObject(trimmed);
  if (parsed === undefined) return undefined;
  const items = Array.isArray(parsed)
    ? parsed
    : isRecord(parsed) && Array.isArray(parsed.tools) && parsed.tool === undefined
      ? parsed.tools
      : [parsed];
  const calls: TextToolCall[] = [];
  for (const item of items) {
    const call = asToolCall(item, toolNames);
    if (!call) return undefined;
    calls.push(call);
  }
  return calls.length > 0 ? calls : undefined;
}

/**
 * The response with tool calls read from its text (see {@link parseTextToolCalls}) when it has no
 * native ones; otherwise the response itself. The calls get no id: the loop numbers them.
 */
export function withToolCallsFromText(response: LLMResponse, tools: readonly ToolSpec[]): LLMResponse {
  if ((response.toolCalls && response.toolCalls.length > 0) || !response.text) return response;
  const parsed = parseTextToolCalls({ text: response.text, toolNames: new Set(tools.map((t) => t.name)) });
  if (!parsed) return response;
  return {
    ...response,
    toolCalls: parsed.map((call): ToolCall => ({ id: '', name: call.name, args: call.args })),
  };
}

/** The options of {@link textToolCalls}. */
export interface TextToolCallsOptions {
  /**
   * How many answers in a row with no readable tool call get a recovery call (the model is asked
   * once more, for one JSON tool call) before the answer becomes a parse error the model sees.
   * Default 2, as Python looplet; 0 makes no recovery calls.
   */
  recoveries?: number;
  /**
   * `true`: an answer with no tool call in it ends the run with its text as the final output (the
   * habit of native tool calling). Default `false`: as in Python looplet, the run ends only through
   * `done`, and prose is a parse error.
   */
  proseAnswers?: boolean;
}

const MAX_SHOWN = 200;

/**
 * Reads tool calls from text answers for one backend, as Python looplet's loop does: an answer
 * with no readable call gets a recovery call (the conversation, the answer, and a request for one
 * JSON tool call); when that fails too, the answer becomes a `__parse_error__` call the loop
 * answers with an error, and the run goes on. Recovery calls are made while no more than
 * `recoveries` answers in a row failed (a recovered answer does not reset the count, an answer
 * that parses does — Python's rule, so Python traces replay call for call).
 */
export class TextCallReader {
  readonly #recoveries: number;
  readonly #proseAnswers: boolean;
  #failures = 0;

  constructor({ recoveries = 2, proseAnswers = false }: TextToolCallsOptions = {}) {
    if (!Number.isInteger(recoveries) || recoveries < 0)
      throw new RangeError(`recoveries must be a whole number ≥ 0, got ${String(recoveries)}`);
    this.#recoveries = recoveries;
    this.#proseAnswers = proseAnswers;
  }

  /** One model call through `generate`, with the calls read from its text. */
  async read(
    request: LLMRequest,
    generate: (request: LLMRequest) => Promise<LLMResponse>,
  ): Promise<LLMResponse> {
    const answer = withToolCallsFromText(await generate(request), request.tools);
    if (hasToolCalls(answer)) {
      this.#failures = 0;
      return answer;
    }
    if (this.#proseAnswers) return answer;
    const text = answer.text ?? '';
    let usage = answer.usage;
    if (++this.#failures <= this.#recoveries) {
      const retry = withToolCallsFromText(
        await generate({
          ...request,
          messages: [
            ...request.messages,
            { role: 'assistant', content: text },
            { role: 'user', content: recoveryPrompt(text) },
          ],
        }),
        request.tools,
      );
      usage = sumUsage(usage, retry.usage);
      if (hasToolCalls(retry)) return usage ? { ...retry, usage } : retry;
    }
    const unreadable: ToolCall = {
      id: '',
      name: PARSE_ERROR_CALL,
      args: {},
      argsError: `Could not parse JSON: ${text.slice(0, MAX_SHOWN)}`,
    };
    return { ...answer, ...(usage ? { usage } : {}), toolCalls: [unreadable] };
  }
}

function hasToolCalls(response: LLMResponse): boolean {
  return (response.toolCalls?.length ?? 0) > 0;
}

function sumUsage(a: LLMResponse['usage'], b: LLMResponse['usage']): LLMResponse['usage'] {
  if (!a && !b) return undefined;
  const total = emptyUsage();
  addUsage(total, a);
  addUsage(total, b);
  return total;
}

function recoveryPrompt(text: string): string {
  return [
    'Your last answer held no tool call I could read as JSON. Answer with exactly one JSON object and nothing else:',
    '{"tool": "<tool name>", "args": {...}}',
    'Your last answer was:',
    text.slice(0, 300),
  ].join('\n\n');
}

/**
 * Wraps a backend whose model writes tool calls as text (a local model without native tool
 * calling): each answer without native tool calls has its text read for calls, as Python looplet
 * does (see {@link TextCallReader} for what happens to an answer with none). The loop itself
 * never reads calls from text.
 *
 * @example
 * const llm = textToolCalls(new OpenAIBackend({ model: 'llama3', baseURL: 'http://localhost:11434/v1' }));
 */
export function textToolCalls(backend: LLMBackend, options: TextToolCallsOptions = {}): LLMBackend {
  const reader = new TextCallReader(options);
  const wrapped: LLMBackend = {
    get model() {
      return backend.model;
    },
    generate: (request: LLMRequest) => reader.read(request, (r) => backend.generate(r)),
  };
  // A replaying backend keeps answering `replay: 'recorded'` tools through the wrapper.
  if (backend.recordedToolResult) wrapped.recordedToolResult = (call) => backend.recordedToolResult!(call);
  return wrapped;
}

function asToolCall(item: unknown, toolNames: ReadonlySet<string>): TextToolCall | undefined {
  if (!isRecord(item)) return undefined;
  const name =
    typeof item.tool === 'string' && item.tool !== ''
      ? item.tool
      : typeof item.name === 'string' && toolNames.has(item.name)
        ? item.name
        : undefined;
  if (name === undefined) return undefined;
  let args: unknown = item.args ?? item.arguments ?? item.input ?? item.parameters;
  if (typeof args === 'string') {
    // A JSON string (OpenAI's `arguments` form), else a bare value Python keeps as `_raw_arg`
    // so schema validation shows the model what it sent.
    const decoded = parseJsonLoosely(args);
    args = isRecord(decoded) ? decoded : { _raw_arg: args };
  }
  if (!isRecord(args) || Object.keys(args).length === 0) {
    // Arguments beside the name: `{"tool": "add", "a": 1, "b": 2}`.
    const flat: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) if (!META_KEYS.has(key)) flat[key] = value;
    args = flat;
  }
  const call: TextToolCall = { name, args: args as Record<string, unknown> };
  const reasoning = item.reasoning ?? item.thinking ?? item.thought;
  if (typeof reasoning === 'string') call.reasoning = reasoning;
  return call;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.parse, retried with raw newlines and tabs inside strings escaped (models often write them). */
function parseJsonLoosely(text: string): unknown {
  const first = text[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    const escaped = escapeRawControlsInStrings(text);
    if (escaped === text) return undefined;
    try {
      return JSON.parse(escaped);
    } catch {
      return undefined;
    }
  }
}

/** The first balanced `{…}` in prose (`Sure: {"tool": …} done.`), parsed; undefined when none parses. */
function embeddedObject(text: string): unknown {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  const end = jsonBlockEnd(text, start);
  return end === undefined ? undefined : parseJsonLoosely(text.slice(start, end));
}

function escapeRawControlsInStrings(text: string): string {
  let out = '';
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (inString && char === '\\') {
      out += char + (text[index + 1] ?? '');
      index++;
    } else if (char === '"') {
      inString = !inString;
      out += char;
    } else if (inString && char === '\n') out += '\\n';
    else if (inString && char === '\r') out += '\\r';
    else if (inString && char === '\t') out += '\\t';
    else out += char;
  }
  return out;
}
