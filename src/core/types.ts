/** Token counts reported by a model call; summed over a run. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** A tool call as the model asked for it, before hooks or validation touched it. */
export interface ToolCall {
  /** Provider call id, or one made by the loop's id generator. */
  id: string;
  name: string;
  args: Record<string, unknown>;
  /**
   * Set by a backend when the model's arguments could not be parsed (e.g. malformed JSON); the
   * call then fails with an `invalid_args` error the model sees, instead of crashing the run.
   */
  argsError?: string;
}

/** Why a tool call produced no data. `kind` is what tests and evals branch on. */
export interface ToolError {
  /**
   * - `invalid_args`: the arguments failed the tool's schema (or could not be read);
   * - `unknown_tool`: no tool has that name;
   * - `tool_threw`: the tool threw or rejected;
   * - `blocked` / `denied`: a hook refused the call (a retry is invited / not);
   * - `aborted`: the run was aborted before or while the tool ran;
   * - `done_rejected`: a `checkDone` hook refused the done call;
   * - `timeout`: the tool did not finish within its `timeoutMs`;
   * - `invalid_result`: the tool returned (or threw) what JSON cannot hold;
   * - `no_recording`: a `replay: 'recorded'` tool was called in a replay whose trace holds no result for that call.
   */
  kind:
    | 'invalid_args'
    | 'unknown_tool'
    | 'tool_threw'
    | 'blocked'
    | 'denied'
    | 'aborted'
    | 'done_rejected'
    | 'timeout'
    | 'invalid_result'
    | 'no_recording';
  message: string;
}

/** What one tool call produced: data when it succeeded, an error the model sees otherwise. */
export interface ToolResult {
  callId: string;
  name: string;
  /** The arguments the tool actually ran with (after `updatedArgs`). */
  args: Record<string, unknown>;
  data?: unknown;
  error?: ToolError;
  durationMs: number;
}

/**
 * A chat message in looplet's provider-neutral shape. Backends translate it to their own wire
 * format (the OpenAI backend to chat-completions messages).
 */
export type Message =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content?: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

/**
 * Why a run ended. A closed union: every run ends with exactly one of these, never silently.
 * - `done`: the model called the done tool (or answered in plain text) and no hook rejected it.
 * - `max_steps`: `maxSteps` model calls happened without finishing.
 * - `hook_stop`: a hook returned `{ stop }`; its reason is in `RunResult.stopReason`.
 * - `llm_error`: the model backend threw (network, HTTP error, refusal, replay divergence).
 * - `tool_error_limit`: `maxConsecutiveToolErrors` steps in a row had only failing tool calls.
 * - `aborted`: the `signal` was aborted.
 * - `replay_exhausted`: a scripted or replayed model had no response left.
 */
export type EndReason =
  | 'done'
  | 'max_steps'
  | 'hook_stop'
  | 'llm_error'
  | 'tool_error_limit'
  | 'aborted'
  | 'replay_exhausted';

/** Every value of {@link EndReason}, for validation and exhaustive tests. */
export const END_REASONS: readonly EndReason[] = [
  'done',
  'max_steps',
  'hook_stop',
  'llm_error',
  'tool_error_limit',
  'aborted',
  'replay_exhausted',
];

/** What a task is: a goal string or an object with a `goal` and any extra fields the prompt shows. */
export type Task = string | { goal: string; [field: string]: unknown };

/** A source of time. Inject a fixed one to make a run deterministic. */
export interface Clock {
  /** Milliseconds since the epoch (fractions allowed). */
  now(): number;
}

/** Makes ids for runs and for tool calls the model did not name. */
export type IdGenerator = (kind: 'run' | 'call') => string;

export function emptyUsage(): Usage {
  return { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
}

export function addUsage(total: Usage, more: Usage | undefined): void {
  if (!more) return;
  total.promptTokens += more.promptTokens;
  total.completionTokens += more.completionTokens;
  total.totalTokens += more.totalTokens;
}
