import type { LLMResponse, ToolSpec } from '../core/llm.js';
import type { StepData } from '../core/step.js';
import type { EndReason, Message, Task, ToolResult, Usage } from '../core/types.js';
import { errorMessage } from '../util/errors.js';
import { RecordedLLMError } from './errors.js';

// The shapes of the files of a format-v1 trace directory (docs/trace-format.md,
// schema/trace-v1.schema.json), and the conversions between them and the loop's own types.

/** The trace format version this package writes. Readers migrate older versions and reject newer ones. */
export const TRACE_SCHEMA_VERSION = 1;

/** Where a trace came from: written by this package, or a Python looplet 0.3 trace directory. */
export type TraceSource = 'looplet' | 'python-looplet';

/** The top-level metadata of a trace (`trace.json` in format v1). */
export interface TraceMeta {
  schemaVersion: number;
  source: TraceSource;
  task: Task;
  endReason: EndReason;
  stopReason?: string;
  stepCount: number;
  callCount: number;
  finalOutput?: unknown;
  model?: string;
  tools: ToolSpec[];
  usage: Usage;
  /** Python looplet traces: the run id (`trajectory.json` `run_id`). Format-v1 traces keep it in `volatile.json`. */
  runId?: string;
  /**
   * Python looplet traces: what Python's `EvalContext.metadata` holds — the trajectory's `metadata`
   * (user fields, `harness_snapshot`…) with `run_id`, `started_at`, `ended_at` and
   * `termination_reason` laid over it.
   */
  metadata?: Record<string, unknown>;
}

/** `trace.json`: the metadata of a trace, with nothing volatile in it. */
export type TraceFileRecord = Omit<TraceMeta, 'source'>;

/** A tool result as stored in a step file: without its duration (that is in `volatile.json`). */
export type ToolResultRecord = Omit<ToolResult, 'durationMs'>;

/** `steps/NNNN.json`: a step without its start time and durations. */
export interface StepRecord extends Omit<StepData, 'startedAt' | 'durationMs' | 'results'> {
  results: ToolResultRecord[];
}

/**
 * The request of one model call as stored: the full message list, or the messages appended since
 * an earlier call (`base`) made on the same conversation. `tools` is present only when it differs
 * from `trace.json`'s tools; `options` holds any other request field (temperature…).
 */
export type RequestRecord = {
  /** The loop step that made the call (0 for calls made outside a step, e.g. by a compaction hook). */
  step: number;
  tools?: ToolSpec[];
  options?: Record<string, unknown>;
} & (
  | { messages: Message[]; base?: undefined; append?: undefined }
  | { base: number; append: Message[]; messages?: undefined }
);

/** A failed model call, as stored. */
export interface ErrorRecord {
  /** The error's class name (e.g. `APIConnectionError`). */
  name: string;
  message: string;
  code?: string;
  /** The error's `endReason` property (e.g. `replay_exhausted`), when it had one. */
  endReason?: string;
}

/** `calls/NNNN.json`: one model call, its request and either its response or its error. */
export interface CallRecord {
  request: RequestRecord;
  response?: LLMResponse;
  error?: ErrorRecord;
}

/** `volatile.json`: everything that changes from one recording of the same run to the next. */
export interface VolatileRecord {
  runId?: string;
  /** Wall-clock start and end of the recording (ISO 8601). */
  startedAt?: string;
  endedAt?: string;
  host?: string;
  /** Versions of looplet and Node.js that wrote the trace. */
  looplet?: string;
  node?: string;
  /** Per step (index i is step i + 1): start time (ms since the epoch), duration, tool durations. */
  steps: Array<{ startedAt: number; durationMs: number; toolDurationsMs: number[] }>;
  /** Per model call (index i is call i + 1): duration in ms. */
  calls: Array<{ durationMs: number }>;
}

/** One model call read back from a trace, with its full (reconstructed) request. */
export interface TraceCall {
  /** 1-based call number. */
  index: number;
  /** The loop step that made the call (0 outside a step). */
  step: number;
  request: { messages: Message[]; tools: ToolSpec[]; options?: Record<string, unknown> };
  response?: LLMResponse;
  error?: ErrorRecord;
  /** From `volatile.json`, when present. */
  durationMs?: number;
}

/**
 * The plain data stored for a step. Where the trace format asks for a string (a tool error's
 * message, a context line), whatever a JavaScript tool or hook put there is written as a string,
 * so the trace reads back (a tool that threw `undefined` has the message "undefined").
 */
export function stepRecordOf(step: StepData): StepRecord {
  const record: StepRecord = {
    index: step.index,
    toolCalls: step.toolCalls,
    results: step.results.map(({ durationMs: _, ...result }) =>
      result.error === undefined || typeof result.error.message === 'string'
        ? result
        : { ...result, error: { ...result.error, message: String(result.error.message) } },
    ),
    usage: step.usage,
    context: step.context.map((line) => (typeof line === 'string' ? line : String(line))),
    metadata: step.metadata,
  };
  if (step.text !== undefined) record.text = step.text;
  if (step.doneRejected !== undefined) record.doneRejected = step.doneRejected;
  return record;
}

/**
 * A response as stored: as the backend returned it, except that a tool call without an id (which
 * the loop numbers itself) is written with the empty id the trace format asks for.
 */
export function responseRecordOf(response: LLMResponse): LLMResponse {
  const calls = response.toolCalls;
  if (!Array.isArray(calls) || calls.every((call) => typeof call?.id === 'string')) return response;
  return {
    ...response,
    toolCalls: calls.map((call) => (typeof call?.id === 'string' ? call : { ...call, id: '' })),
  };
}

/** A stored step back as `StepData`, with times from `volatile.json` (0 when absent). */
export function stepDataOf(record: StepRecord, times: VolatileRecord['steps'][number] | undefined): StepData {
  const data: StepData = {
    index: record.index,
    toolCalls: record.toolCalls,
    results: record.results.map((result, index) => ({
      ...result,
      durationMs: numberOr(times?.toolDurationsMs?.[index]),
    })),
    usage: record.usage,
    context: record.context,
    metadata: record.metadata,
    startedAt: numberOr(times?.startedAt),
    durationMs: numberOr(times?.durationMs),
  };
  if (record.text !== undefined) data.text = record.text;
  if (record.doneRejected !== undefined) data.doneRejected = record.doneRejected;
  return data;
}

function numberOr(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** What is kept of an error thrown by a model backend. */
export function errorRecordOf(error: unknown): ErrorRecord {
  if (error instanceof RecordedLLMError) return error.recorded;
  const record: ErrorRecord = {
    name: error instanceof Error ? error.name : typeof error,
    message: errorMessage(error),
  };
  if (typeof error === 'object' && error !== null) {
    const { code, endReason } = error as { code?: unknown; endReason?: unknown };
    if (typeof code === 'string') record.code = code;
    if (typeof endReason === 'string') record.endReason = endReason;
  }
  return record;
}

/** The request fields besides messages, tools, step and signal (temperature, max tokens…). */
export function requestOptionsOf(request: object): Record<string, unknown> | undefined {
  let options: Record<string, unknown> | undefined;
  // for…in rather than Object.entries: this runs on every recorded model call.
  for (const key in request) {
    if (key === 'messages' || key === 'tools' || key === 'step' || key === 'signal') continue;
    const value = (request as Record<string, unknown>)[key];
    if (value === undefined || !Object.hasOwn(request, key)) continue;
    options ??= {};
    options[key] = value;
  }
  return options;
}
