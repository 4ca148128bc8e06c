import { LoopletError } from '../util/errors.js';
import { oneLine } from '../util/text.js';

/**
 * A trace directory (or one of its files) could not be read: missing, truncated, not JSON, a field
 * of the wrong type, or refused as unsafe. `file` is the path of the offending file, `field` the
 * JSON path inside it when one field is at fault. `code` tells the kinds apart: `TRACE_READ`
 * (missing or malformed), `TRACE_UNSAFE_FILE` (a symbolic link or a non-regular file inside the
 * trace), `TRACE_FILE_TOO_LARGE` (over the size cap), `TRACE_TOO_DEEP` (JSON nested too deeply),
 * `TRACE_NAME_NOT_UTF8` (a directory among the traces whose name is not valid UTF-8).
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
  | 'TRACE_TOO_DEEP'
  | 'TRACE_NAME_NOT_UTF8';

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
 * Where a replayed run parted from its recording, and how: what a report shows for a divergence.
 */
export interface ReplayDivergence {
  /**
   * The 1-based model call where the run parted from the recording (the `calls/NNNN.json`
   * number); for the tool-calls check and recorded tool results, the step whose tool calls differ.
   */
  callIndex: number;
  /** What changed, in words, most important first ("the result of `add` at step 1 changed"). */
  summary: string[];
  /** The whole unified diff, recorded (`-`) against new (`+`); never cut. */
  diff: string;
}

/**
 * Strict replay met a request (or, with the tool-calls check, a step's tool calls) that differs
 * from the recording. The run ends with `llm_error` and this error in `RunResult.error`. Its
 * message is a header, the summary lines and the whole diff.
 */
export class ReplayDivergenceError extends LoopletError implements ReplayDivergence {
  /** 1-based number of the model call that diverged (for tool-call checks: the step). */
  readonly callIndex: number;
  /** What changed, in words, most important first. */
  readonly summary: string[];
  /** Unified diff, recorded (`-`) against new (`+`). */
  readonly diff: string;

  constructor({
    callIndex,
    summary,
    diff,
    at = 'model call',
    code = 'REPLAY_DIVERGENCE',
  }: {
    callIndex: number;
    summary: string[];
    diff: string;
    /** How `callIndex` is named in the message. */
    at?: 'model call' | 'step';
    code?: string;
  }) {
    super({
      message: divergenceMessage({
        head: `replay diverged at ${at === 'step' ? 'step ' : 'model call #'}${callIndex}`,
        summary,
        diff,
      }),
      code,
    });
    this.callIndex = callIndex;
    this.summary = summary;
    this.diff = diff;
  }

  /** The plain-data form reports carry. */
  toDivergence(): ReplayDivergence {
    return { callIndex: this.callIndex, summary: [...this.summary], diff: this.diff };
  }
}

/** A divergence as text: the head, one `- ` line per summary sentence, then the whole diff. */
function divergenceMessage({
  head,
  summary,
  diff,
}: {
  head: string;
  summary: string[];
  diff: string;
}): string {
  return [`${head}:`, ...summary.map((line) => `- ${line}`), diff].join('\n');
}

/**
 * The run asked for more model calls than the trace holds. The loop ends with end reason
 * `replay_exhausted`. A divergence in both strict and lenient replay: there is no answer to give.
 */
export class ReplayExhaustedError extends ReplayDivergenceError {
  readonly endReason = 'replay_exhausted' as const;
  /** How many calls the trace holds. */
  readonly recordedCalls: number;

  constructor({
    callIndex,
    recordedCalls,
    summary,
    diff,
  }: { callIndex: number; recordedCalls: number; summary: string[]; diff: string }) {
    super({ callIndex, summary, diff, code: 'REPLAY_EXHAUSTED' });
    this.message = divergenceMessage({
      head: `replay exhausted: the trace holds ${recordedCalls} model call(s) but the run asked for call #${callIndex}`,
      summary,
      diff,
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

/**
 * `ReplayLLM` was set up in a way it cannot work: an unknown `mode`, or a mode that calls a live
 * backend (`record`, `auto`, `live`) without a `fallback`. The message says which option to fix.
 */
export class ReplayConfigError extends LoopletError {
  constructor({ message }: { message: string }) {
    super({ message, code: 'REPLAY_CONFIG' });
  }
}
