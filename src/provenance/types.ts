import type { StepData } from '../core/step.js';
import type { CallRecord, TraceCall, TraceMeta, VolatileRecord } from './records.js';

/**
 * A trace directory opened for reading. Metadata, artifacts and expected data are read eagerly
 * (they are small); steps are read lazily, one file at a time, so a 10,000-step trace costs one
 * step of memory to walk. Reads are synchronous: for many small files they are several times
 * faster than `fs.promises` (`for await` over `steps()` works too).
 */
export interface Trace {
  /** Absolute path of the trace directory. */
  readonly dir: string;
  readonly meta: TraceMeta;
  /** Collector outputs (`artifacts.json`); `{}` when absent. */
  readonly artifacts: Record<string, unknown>;
  /** Grader-only data (`expected.json`), never shown to the agent; `{}` when absent. */
  readonly expected: Record<string, unknown>;
  /** Reads one step (1-based). */
  readStep(index: number): StepData;
  /** Walks the steps in order, one file at a time. */
  steps(): Iterable<StepData>;
}

/**
 * A trace opened by `readTrace()`: a {@link Trace} plus its model calls, read lazily with their
 * full requests reconstructed.
 */
export interface RecordedTrace extends Trace {
  /** Reads one model call (1-based) with its full request. */
  readCall(index: number): TraceCall;
  /** The call as stored (its request may hold only the messages appended since an earlier call). */
  readCallRecord(index: number): CallRecord;
  /** Walks the model calls in order. */
  calls(): Iterable<TraceCall>;
  /** The volatile data (run id, times, durations), or undefined when the trace has none. */
  readVolatile(): VolatileRecord | undefined;
}
