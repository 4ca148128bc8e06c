import type { JsonSchema } from './schema.js';
import type { Message, ToolCall, ToolError, Usage } from './types.js';

/** A tool as the model is shown it. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
}

/**
 * One model call. `messages` is the loop's live conversation: it is valid during the call and
 * grows afterwards, so a backend that keeps a request must copy it.
 */
export interface LLMRequest {
  messages: readonly Message[];
  tools: readonly ToolSpec[];
  /** 1-based step number of the loop making the call (0 for calls made by hooks, e.g. compaction). */
  step: number;
  /**
   * This call's own signal, aborted when the run is aborted during the call. Present only when
   * the run can be aborted (a `signal` was given to `agentLoop`).
   */
  signal?: AbortSignal;
}

/** What a model call returned, in looplet's provider-neutral shape. */
export interface LLMResponse {
  text?: string;
  toolCalls?: ToolCall[];
  usage?: Usage;
  /** The provider's finish reason (`stop`, `tool_calls`, `length`…), when it gives one. */
  finishReason?: string;
  /** Reasoning text some models return beside the answer; kept in traces, not sent back. */
  reasoning?: string;
  /** The provider's raw response body, kept so traces hold exactly what came back. */
  raw?: unknown;
}

/**
 * The name of the call a backend returns for a text answer in which it could read no tool call
 * (with `argsError` saying what was read): the loop answers it with an `invalid_args` error the
 * model sees, and the run goes on. Python looplet records such a step under the same name.
 */
export const PARSE_ERROR_CALL = '__parse_error__';

/** Anything that answers model calls: OpenAI-compatible servers, scripts, recorded traces. */
export interface LLMBackend {
  /** Model name, recorded in traces. */
  readonly model?: string;
  generate(request: LLMRequest): Promise<LLMResponse>;
  /**
   * For backends that replay a recorded run: the recorded result of a call of a tool defined with
   * `replay: 'recorded'` (matched by name and arguments), which the loop then uses instead of
   * running the tool; `undefined` when the recording holds none (the call fails with a
   * `no_recording` tool error). Backends that replay nothing leave it out, and such tools run.
   */
  recordedToolResult?(call: {
    step: number;
    name: string;
    args: Record<string, unknown>;
  }): { data?: unknown; error?: ToolError } | undefined;
}
