import type { LLMBackend } from '../core/llm.js';
import { readTrace } from './read-trace.js';
import type { RedactSetting } from './redaction.js';
import { ReplayLLM } from './replay.js';
import type { RecordedTrace } from './types.js';

/** The options of {@link resumeFromTrace}. */
export interface ResumeOptions {
  /** The trace of the interrupted run (a directory or an opened trace). */
  dir: string | RecordedTrace;
  /** The backend that continues the run once the recorded calls are used up. */
  llm: LLMBackend;
  /** Where the resumed run is recorded (default: `dir`, which it replaces on `flush()`). */
  recordTo?: string;
  /** The redaction the trace was recorded with (default: the built-in rules). */
  redact?: RedactSetting;
}

/**
 * Continues a run from its trace: the recorded model calls are replayed (strictly: a request that
 * differs throws `ReplayDivergenceError`, since the resumed run must be the same run), a recorded
 * failure (the call that interrupted the run) is retried, and every later call goes to `llm`.
 * Record the resumed run with the returned backend's `hook()` and `flush()`: its trace equals the
 * trace of a run that was never interrupted.
 *
 * @example
 * const llm = resumeFromTrace({ dir: 'traces/long-task', llm: OpenAIBackend.fromEnv() });
 * const run = agentLoop({ llm, tools, task, hooks: [llm.hook()], maxSteps: 50 });
 * await run.result;
 * await llm.flush();
 */
export function resumeFromTrace({ dir, llm, recordTo, redact }: ResumeOptions): ReplayLLM {
  // Opened here so a missing trace is an error, not a run that silently starts from scratch.
  const trace = typeof dir === 'string' ? readTrace(dir) : dir;
  const options = { mode: 'auto' as const, fallback: llm, onDivergence: 'throw' as const, redact };
  return ReplayLLM.fromTrace(trace, recordTo === undefined ? options : { ...options, recordTo });
}
