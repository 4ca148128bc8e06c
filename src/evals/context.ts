import { basename } from 'node:path';
import type { LoopState } from '../core/state.js';
import type { StepData } from '../core/step.js';
import type { EndReason, Task, Usage } from '../core/types.js';
import type { RunResult } from '../loop/result.js';
import type { RecordedTrace, Trace } from '../provenance/types.js';
import type { CollectorError, EvalContext, EvalSource, EvalToolCall } from './types.js';

interface ContextFields {
  id: string;
  source: EvalSource;
  task: Task;
  endReason: EndReason;
  stopReason: string | undefined;
  finalOutput: unknown;
  usage: Usage;
  model: string | undefined;
  stepCount: number;
  artifacts: Record<string, unknown>;
  expected: Record<string, unknown>;
  collectorErrors: readonly CollectorError[];
  /** Called at most once, on the first access to `steps` or `toolCalls`. */
  loadSteps: () => readonly StepData[];
  /** Called at most once, on the first access to `metadata`. */
  loadMetadata: () => Record<string, unknown>;
}

/**
 * The one implementation of {@link EvalContext}. Steps and tool calls are computed on first use:
 * most evals read only the end reason, the output or the artifacts, and a runner scoring
 * thousands of traces should not read every step file for them.
 */
class Context implements EvalContext {
  readonly id: string;
  readonly source: EvalSource;
  readonly task: Task;
  readonly endReason: EndReason;
  readonly stopReason: string | undefined;
  readonly finalOutput: unknown;
  readonly usage: Usage;
  readonly model: string | undefined;
  readonly stepCount: number;
  readonly artifacts: Record<string, unknown>;
  readonly expected: Record<string, unknown>;
  readonly collectorErrors: readonly CollectorError[];
  #loadSteps: (() => readonly StepData[]) | undefined;
  #steps: readonly StepData[] | undefined;
  #loadMetadata: () => Record<string, unknown>;
  #metadata: Record<string, unknown> | undefined;
  #toolCalls: readonly EvalToolCall[] | undefined;

  constructor(fields: ContextFields) {
    this.id = fields.id;
    this.source = fields.source;
    this.task = fields.task;
    this.endReason = fields.endReason;
    this.stopReason = fields.stopReason;
    this.finalOutput = fields.finalOutput;
    this.usage = fields.usage;
    this.model = fields.model;
    this.stepCount = fields.stepCount;
    this.artifacts = fields.artifacts;
    this.expected = fields.expected;
    this.collectorErrors = fields.collectorErrors;
    this.#loadSteps = fields.loadSteps;
    this.#loadMetadata = fields.loadMetadata;
  }

  get metadata(): Record<string, unknown> {
    this.#metadata ??= this.#loadMetadata();
    return this.#metadata;
  }

  get goal(): string {
    return typeof this.task === 'string' ? this.task : this.task.goal;
  }

  get completed(): boolean {
    return this.endReason === 'done';
  }

  get steps(): readonly StepData[] {
    if (this.#steps === undefined) {
      // A failed read throws to the eval that asked (and again to the next one): never a partial list.
      this.#steps = this.#loadSteps!();
      this.#loadSteps = undefined;
    }
    return this.#steps;
  }

  get toolCalls(): readonly EvalToolCall[] {
    this.#toolCalls ??= flattenToolCalls(this.steps);
    return this.#toolCalls;
  }

  get toolErrors(): EvalToolCall[] {
    return this.toolCalls.filter((call) => call.error !== undefined);
  }

  calls(name?: string): EvalToolCall[] {
    return name === undefined ? [...this.toolCalls] : this.toolCalls.filter((call) => call.name === name);
  }

  lastCall(name?: string): EvalToolCall | undefined {
    const calls = this.toolCalls;
    for (let index = calls.length - 1; index >= 0; index--) {
      const call = calls[index]!;
      if (name === undefined || call.name === name) return call;
    }
    return undefined;
  }

  /** Plain data for logs and `JSON.stringify` (steps are included only once they were read). */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      source: this.source,
      task: this.task,
      endReason: this.endReason,
      stopReason: this.stopReason,
      finalOutput: this.finalOutput,
      usage: this.usage,
      stepCount: this.stepCount,
      artifacts: this.artifacts,
      expected: this.expected,
    };
  }
}

function flattenToolCalls(steps: readonly StepData[]): EvalToolCall[] {
  const calls: EvalToolCall[] = [];
  for (const step of steps) {
    step.toolCalls.forEach((call, index) => {
      const result = step.results[index];
      const entry: EvalToolCall = {
        step: step.index,
        id: call.id,
        name: call.name,
        args: result?.args ?? call.args,
        durationMs: result?.durationMs ?? 0,
      };
      if (result && 'data' in result && result.data !== undefined) entry.data = result.data;
      if (result?.error) entry.error = result.error;
      calls.push(entry);
    });
  }
  return calls;
}

/** The options of {@link contextFromRun}. */
export interface ContextFromRunOptions {
  /** What `await run.result` gave. */
  result: RunResult;
  /** The run's state (`run.state`): task, run id, model. */
  state: LoopState;
  /** Collector outputs. */
  artifacts?: Record<string, unknown>;
  /** Grader-only data. Never pass it to the agent. */
  expected?: Record<string, unknown>;
  /** Name in reports (default: the run id). */
  id?: string;
  /** Where the run came from (default: `{ kind: 'run', runId }`). */
  source?: EvalSource;
  /** Collectors that failed (set by `evalHook` and `runCase`). */
  collectorErrors?: readonly CollectorError[];
}

/**
 * Builds an {@link EvalContext} from a finished run.
 *
 * @example
 * const run = agentLoop({ llm, tools, task });
 * const result = await run.result;
 * const ctx = contextFromRun({ result, state: run.state, expected: { greeted: ['Alice'] } });
 */
export function contextFromRun(options: ContextFromRunOptions): EvalContext {
  const { result, state } = options;
  const steps = [...result.steps];
  return new Context({
    id: options.id ?? state.runId,
    source: options.source ?? { kind: 'run', runId: state.runId },
    task: state.task,
    endReason: result.endReason,
    stopReason: result.stopReason,
    finalOutput: result.finalOutput,
    usage: { ...result.usage },
    model: state.llm.model,
    stepCount: steps.length,
    artifacts: options.artifacts ?? {},
    expected: options.expected ?? {},
    collectorErrors: options.collectorErrors ?? [],
    loadSteps: () => steps,
    loadMetadata: () => ({ run_id: state.runId }),
  });
}

/** The options of {@link contextFromTrace}. */
export interface ContextFromTraceOptions {
  /** An opened trace (`await readTrace(dir)`). */
  trace: Trace;
  /**
   * Name in reports and baselines (default: the trace directory's name). Runners pass the path
   * relative to the traces root so ids are the same on every machine.
   */
  id?: string;
  /** Grader-only data to use instead of the trace's `expected.json` (a case's `expected`). */
  expected?: Record<string, unknown>;
  /** Where the context came from (default: the trace, as recorded). */
  source?: EvalSource;
  /** The trace's steps, when the caller has read them already (default: read on first use). */
  steps?: readonly StepData[];
}

/**
 * Builds an {@link EvalContext} from a trace directory (looplet v1 or Python looplet). Cheap:
 * metadata, artifacts and expected data are already loaded; steps are read from disk only when an
 * eval first touches `ctx.steps`, `ctx.toolCalls` or a helper that needs them.
 */
export function contextFromTrace({
  trace,
  id,
  expected,
  source,
  steps: read,
}: ContextFromTraceOptions): EvalContext {
  const meta = trace.meta;
  return new Context({
    id: id ?? basename(trace.dir),
    source: source ?? { kind: 'trace', dir: trace.dir, format: meta.source },
    task: meta.task,
    endReason: meta.endReason,
    stopReason: meta.stopReason,
    finalOutput: meta.finalOutput,
    usage: meta.usage,
    model: meta.model,
    stepCount: meta.stepCount,
    artifacts: trace.artifacts,
    expected: expected ?? trace.expected,
    collectorErrors: [],
    loadSteps: () => {
      if (read) return read;
      const steps: StepData[] = new Array(meta.stepCount);
      for (let index = 1; index <= meta.stepCount; index++) steps[index - 1] = trace.readStep(index);
      return steps;
    },
    loadMetadata: () => {
      if (meta.metadata) return meta.metadata;
      // A format-v1 trace keeps its run id with the other volatile data.
      const runId = 'readVolatile' in trace ? (trace as RecordedTrace).readVolatile()?.runId : undefined;
      return runId === undefined ? {} : { run_id: runId };
    },
  });
}
