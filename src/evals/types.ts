import type { StepData } from '../core/step.js';
import type { EndReason, Task, ToolError, Usage } from '../core/types.js';
import type { ReplayDivergence } from '../provenance/errors.js';
import type { TraceSource } from '../provenance/records.js';

export type { ReplayDivergence };

import type { Judge } from './judge.js';

/** One tool call of a run, with its result: what `ctx.toolCalls` lists, in the order they were made. */
export interface EvalToolCall {
  /** 1-based step the call was made in. */
  step: number;
  /** Call id (provider's, or made by the loop). */
  id: string;
  name: string;
  /** The arguments the tool ran with (after hooks rewrote them). */
  args: Record<string, unknown>;
  /** What the tool returned, when it succeeded. */
  data?: unknown;
  /** Why the call produced no data (validation, permission, the tool threw…). */
  error?: ToolError;
  durationMs: number;
}

/** How a case is run: from the responses in the case file, from a recorded trace, or against a real model. */
export type CaseMode = 'scripted' | 'replay' | 'live';

/**
 * How the run that evals scored was obtained: `replayed` (the recorded model answers through the
 * agent as it is now), `recorded` (the trace as it was written), `scripted` (a case's script) or
 * `live` (a real model).
 */
export type RunOrigin = 'replayed' | 'recorded' | 'scripted' | 'live';

/**
 * What a replay compared with the recording: whole model requests (`request`, looplet traces), or
 * the tool calls, their arguments and results, in order (`tool-calls`, Python looplet traces, whose
 * prompts were built by the Python harness).
 */
export type ReplayCheck = 'request' | 'tool-calls';

/** Where an {@link EvalContext} came from. Reports use it to point at the run behind a result. */
export type EvalSource =
  | { kind: 'run'; runId: string }
  | {
      kind: 'trace';
      dir: string;
      format: TraceSource;
      /** `replayed`: the trace's model answers went through the agent again and this is the new run. */
      origin?: 'recorded' | 'replayed';
    }
  | { kind: 'case'; caseId: string; mode: CaseMode; file?: string };

/** A collector that threw or returned something other than an object. */
export interface CollectorError {
  collector: string;
  message: string;
}

/**
 * Everything an eval sees of one run: the same shape whether it was built from a live run
 * (`evalHook()`, `contextFromRun()`), a case run (`runCase()`) or a saved trace
 * (`contextFromTrace()`). `expected` is grader-only data: it is never part of the agent's prompt.
 *
 * Type the final output for your agent: `(ctx: EvalContext<{ greeted: string[] }>) => …`.
 */
export interface EvalContext<
  Output = unknown,
  Expected extends Record<string, unknown> = Record<string, unknown>,
> {
  /** Stable name of the run in reports: trace directory name, case id or run id. */
  readonly id: string;
  readonly source: EvalSource;
  readonly task: Task;
  /** The task's goal: the task itself when it is a string, `task.goal` otherwise. */
  readonly goal: string;
  /** Every step, in order. From a trace, steps are read from disk on first access only. */
  readonly steps: readonly StepData[];
  /** Number of steps, known without reading them. */
  readonly stepCount: number;
  /** Every tool call of the run, flattened across steps, with its result. */
  readonly toolCalls: readonly EvalToolCall[];
  /** The done tool's arguments, or the model's final text; undefined when the run did not finish. */
  readonly finalOutput: Output | undefined;
  readonly endReason: EndReason;
  /** The hook's reason for `hook_stop`, the error message for `llm_error`/`replay_exhausted`. */
  readonly stopReason: string | undefined;
  /** True when the run ended with `done` (the model finished; no hook stopped it). */
  readonly completed: boolean;
  readonly usage: Usage;
  readonly model: string | undefined;
  /** Collector outputs (or `artifacts.json` of a trace): what the run changed in the world. */
  readonly artifacts: Record<string, unknown>;
  /** Grader-only data (a case's `expected`, a trace's `expected.json`); `{}` when none. */
  readonly expected: Expected;
  /**
   * About the run, with Python looplet's keys: `run_id` (when known: live runs, and traces whose
   * `volatile.json` or `trajectory.json` holds it); for a Python trace, what Python's
   * `ctx.metadata` holds — the trajectory's `metadata` (user fields, `harness_snapshot`…) with
   * `run_id`, `started_at`, `ended_at` and `termination_reason` laid over it.
   */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Collectors that failed for this run. Every eval on such a context is reported as an error. */
  readonly collectorErrors: readonly CollectorError[];
  /** Tool calls of one tool (all calls without a name). */
  calls(name?: string): EvalToolCall[];
  /** The last tool call (of one tool, when named), or undefined. */
  lastCall(name?: string): EvalToolCall | undefined;
  /** Tool calls that failed. */
  readonly toolErrors: EvalToolCall[];
}

/**
 * What an eval may return besides a boolean, a number or a label. Any subset of these fields;
 * an object with none of `score`, `passed` or `label` is read as a record of metrics instead.
 */
export interface EvalResult {
  /** 0..1; passes when `score >= threshold` unless `passed` says otherwise. */
  score?: number;
  /** An explicit verdict; wins over the threshold. */
  passed?: boolean;
  /** A categorical verdict or class (`pass`, `fail`, `partial`…). */
  label?: string;
  /** Named numbers reported beside the verdict (precision, cost, steps…); never pass or fail. */
  metrics?: Record<string, number>;
  /** Anything that explains the result (missed items, the judge's answer…); shown in reports. */
  details?: Record<string, unknown>;
  /** One sentence: why this result. */
  reason?: string;
}

/** The second argument of an eval that asked for one (see `docs/evals.md`, "Judges"). */
export interface EvalTools {
  judge: Judge;
}

/**
 * An eval: a function of an {@link EvalContext}, returning a boolean, a number in 0..1, a string
 * label, a record of metrics or an {@link EvalResult} (or a promise of one). Declared as a method
 * so an eval typed for a narrower context (`EvalContext<MyOutput>`) is accepted too.
 */
export type EvalFunction = {
  bivarianceHack(ctx: EvalContext, tools: EvalTools): unknown;
}['bivarianceHack'];

/** The marks of an eval, after `mark()`: what selection, thresholds and the runner read. */
export interface EvalMarks {
  /** Free tags for `include`/`exclude`, plus `required` when set. */
  readonly tags: readonly string[];
  /** Must run and pass: a skip, an exclusion or a metric-only answer fails it. */
  readonly required: boolean;
  /** Set when the eval is skipped; the reason shown in reports. */
  readonly skip?: string;
  /** Pass boundary for numeric scores (0..1); overrides the run's threshold. */
  readonly threshold?: number;
  /** Most milliseconds an async eval may take before it is reported as an error. */
  readonly timeoutMs?: number;
  /** True when the eval wants a judge (set by `mark({ judge: true })` or a second parameter). */
  readonly judge: boolean;
  /**
   * Glob patterns (picomatch) over trace and case ids: the eval scores only the runs whose id
   * matches one (`['greeter/**']`). Absent: every run.
   */
  readonly scope?: readonly string[];
}

/** A named eval, ready to run: what discovery returns and what `runEvals` takes. */
export interface EvalDefinition {
  /** The export name (`eval_…`). */
  readonly name: string;
  readonly fn: EvalFunction;
  readonly marks: EvalMarks;
  /** The file it was discovered in. */
  readonly file?: string;
}

/**
 * How an eval × context ended.
 * - `passed` / `failed`: a verdict (score against threshold, boolean, pass/fail label, explicit `passed`).
 * - `reported`: metrics or a neutral label only; counted neither as pass nor as fail.
 * - `skipped`: not run (marked `skip`, excluded, or no judge configured).
 * - `error`: the eval threw, timed out or returned something invalid; a collector failed.
 * - `diverged`: not scored, because the replay of the run parted from its recording (the
 *   harness changed); a failure, reported once per run with the divergence.
 */
export type EvalStatus = 'passed' | 'failed' | 'reported' | 'skipped' | 'error' | 'diverged';

/**
 * What went wrong when an outcome's status is `error`: the eval `threw`, hit its `timeout`,
 * returned an `invalid_result`; a `collector` failed; the `agent` run crashed; a case's
 * `replay`ed or scripted responses ran out; the `trace` could not be read. (A replay that parts
 * from its recording is not an error: its outcomes have status `diverged`.)
 */
export interface EvalErrorInfo {
  kind: 'threw' | 'timeout' | 'invalid_result' | 'collector' | 'agent' | 'replay' | 'trace';
  message: string;
  /** The thrown error's class name, when one was thrown. */
  name?: string;
  stack?: string;
  /** Where the eval threw, `file:line:column` (relative to the directory it ran in), when its stack says. */
  location?: string;
}

/** The scored part of an outcome: what one eval said about one run (any return normalised), before names, marks and timing. */
export interface NormalizedResult {
  status: EvalStatus;
  /** `true`/`false` for `passed`/`failed`; absent for every other status. */
  passed?: boolean;
  score?: number;
  label?: string;
  metrics: Record<string, number>;
  details: Record<string, unknown>;
  /** The eval's own reason, or why it was skipped or failed as required. */
  reason?: string;
  error?: EvalErrorInfo;
}

/** The normalised result of one eval on one context: one rule for every return type. */
export interface EvalOutcome extends NormalizedResult {
  /** The eval's name. */
  name: string;
  /** The context's id (trace, case or run). */
  context: string;
  required: boolean;
  /** The eval's tags (shared between its outcomes: do not mutate). */
  tags: readonly string[];
  /** The pass boundary that applied. */
  threshold: number;
  durationMs: number;
  file?: string;
}
