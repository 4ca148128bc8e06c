import { LoopletError } from '../util/errors.js';
import { oneLine } from '../util/text.js';

/**
 * A trace directory (or one of its files) could not be read: missing, truncated, not JSON, a field
 * of the wrong type, or refused as unsafe. `file` is the path of the offending file, `field` the
 * JSON path inside it when one field is at fault. `code` tells the kinds apart: `TRACE_READ`
 * (missing or malformed), `TRACE_UNSAFE_FILE` (a symbolic link or a non-regular file inside the
 * trace), `TRACE_FILE_TOO_LARGE` (over the size cap), `TRACE_TOO_DEEP` (JSON nested too deeply).
 */
export class TraceReadError extends LoopletError {
  /** Path of the file that could not be read. */
  readonly file: string;
  /** JSON path of the offending field (e.g. `results[0].name`), when one field is at fault. */
  readonly field: string | undefined;

  constructor({
    file,
    field,
    problem,
    hint,
    cause,
    code = 'TRACE_READ',
  }: {
    file: string;
    field?: string;
    problem: string;
    hint?: string;
    cause?: unknown;
    code?: TraceReadErrorCode;
  }) {
    // A trace is hostile input: a field name or a value quoted in `problem` may be megabytes long.
    const shownField = field === undefined ? undefined : oneLine(field, FIELD_LIMIT);
    super({
      message: `${file}${shownField ? ` (field ${shownField})` : ''}: ${oneLine(problem, PROBLEM_LIMIT)}${hint ? `; ${hint}` : ''}`,
      code,
      cause,
    });
    this.file = file;
    this.field = shownField;
  }
}

/** The kinds of {@link TraceReadError}. */
export type TraceReadErrorCode =
  | 'TRACE_READ'
  | 'TRACE_UNSAFE_FILE'
  | 'TRACE_FILE_TOO_LARGE'
  | 'TRACE_TOO_DEEP';

const FIELD_LIMIT = 120;
const PROBLEM_LIMIT = 400;

/** The trace was written by a newer looplet (or an older one with no migration to this format). */
export class TraceVersionError extends LoopletError {
  readonly file: string;
  /** The version found in the trace. */
  readonly found: number;
  /** The newest version this package reads. */
  readonly supported: number;

  constructor({ file, found, supported }: { file: string; found: number; supported: number }) {
    super({
      message:
        found > supported
          ? `${file}: trace schemaVersion ${found} was written by a newer looplet (this one reads up to ${supported}); upgrade looplet to read it`
          : `${file}: trace schemaVersion ${found} is older than ${supported} and no migration from it is registered; re-record the trace`,
      code: 'TRACE_VERSION',
    });
    this.file = file;
    this.found = found;
    this.supported = supported;
  }
}

/** `ProvenanceSink.flush()` could not write the trace (nothing to write, or a file-system error). */
export class TraceWriteError extends LoopletError {
  readonly dir: string;

  constructor({ dir, problem, cause }: { dir: string; problem: string; cause?: unknown }) {
    super({ message: `cannot write trace ${dir}: ${problem}`, code: 'TRACE_WRITE', cause });
    this.dir = dir;
  }
}

/**
 * Strict replay met a request that differs from the recorded one. The run ends with `llm_error`
 * and this error in `RunResult.error`; `diff` is a unified diff of the recorded request (`-`)
 * and the new one (`+`), rendered as readable transcripts.
 */
export class ReplayDivergenceError extends LoopletError {
  /** 1-based number of the model call that diverged (the `calls/NNNN.json` file). */
  readonly callIndex: number;
  /** Unified diff, recorded (`-`) against new (`+`). */
  readonly diff: string;

  constructor({
    callIndex,
    diff,
    message,
    code = 'REPLAY_DIVERGENCE',
  }: { callIndex: number; diff: string; message?: string; code?: string }) {
    super({
      message:
        message ??
        `replay diverged at model call #${callIndex}: the request differs from the recorded one (a changed prompt, tool, tool result or hook?). Re-record the trace, or replay with mode 'auto' to record from here on.\n${diff}`,
      code,
    });
    this.callIndex = callIndex;
    this.diff = diff;
  }
}

/**
 * The run asked for more model calls than the trace holds. The loop ends with end reason
 * `replay_exhausted`.
 */
export class ReplayExhaustedError extends ReplayDivergenceError {
  readonly endReason = 'replay_exhausted' as const;
  /** How many calls the trace holds. */
  readonly recordedCalls: number;

  constructor({
    callIndex,
    recordedCalls,
    diff,
  }: { callIndex: number; recordedCalls: number; diff: string }) {
    super({
      callIndex,
      diff,
      code: 'REPLAY_EXHAUSTED',
      message: `replay exhausted: the trace holds ${recordedCalls} model call(s) but the run asked for call #${callIndex}. The run went further than the recorded one: re-record the trace, or replay with mode 'auto' and a fallback backend.\n${diff}`,
    });
    this.recordedCalls = recordedCalls;
  }
}

/**
 * A recorded model call that failed, thrown again on replay so the replayed run ends as the
 * recorded one did. `name` is the original error's class name; re-recording a replay stores the
 * original error unchanged.
 */
export class RecordedLLMError extends LoopletError {
  /** The original error's `endReason` (e.g. `replay_exhausted`), if it had one. */
  readonly endReason: string | undefined;
  readonly callIndex: number;
  /** The error as the trace stores it. */
  readonly recorded: { name: string; message: string; code?: string; endReason?: string };

  constructor({
    callIndex,
    recorded,
  }: {
    callIndex: number;
    recorded: { name: string; message: string; code?: string; endReason?: string };
  }) {
    super({ message: recorded.message, code: recorded.code ?? 'RECORDED_LLM_ERROR' });
    this.name = recorded.name;
    this.endReason = recorded.endReason;
    this.callIndex = callIndex;
    this.recorded = recorded;
  }
}
