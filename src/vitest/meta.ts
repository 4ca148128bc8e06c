import type { EvalOutcome } from '../evals/types.js';
import type { RunRecord } from '../report/run-record.js';
import type { InfrastructureError } from '../report/summary.js';

/**
 * What looplet stores in each vitest test's `meta` (and so in blob reports and the UI): an eval
 * test (`eval_name › id`) carries its outcome, a replay test (`replay › id`) the run it replayed.
 */
export interface LoopletTaskMeta {
  /** The eval's normalised outcome for this trace or case (`outcome.context` is its id). */
  outcome?: EvalOutcome;
  /** The replayed run: how it went, and where it parted from its recording. */
  run?: RunRecord;
}

/** What looplet stores in each chunk file's `meta`: every run the chunk scored, and its obsolete goldens. */
export interface LoopletFileMeta {
  runs: RunRecord[];
  /** Trace ids of the chunk that no eval and no agent covers. */
  obsolete: string[];
  /** Failures that belong to no eval (a trace that could not be read). */
  errors?: InfrastructureError[];
}

/** Reads looplet's entry from a test's meta (vitest types meta as an open record). */
export function loopletMeta(meta: object): LoopletTaskMeta | undefined {
  return (meta as { looplet?: LoopletTaskMeta }).looplet;
}

/** Writes looplet's entry into a test's meta. */
export function setLoopletMeta(meta: object, value: LoopletTaskMeta): void {
  (meta as { looplet?: LoopletTaskMeta }).looplet = value;
}

/** Reads looplet's entry from a chunk file's meta. */
export function loopletFileMeta(meta: object): LoopletFileMeta | undefined {
  return (meta as { loopletFile?: LoopletFileMeta }).loopletFile;
}

/** Writes looplet's entry into a chunk file's meta. */
export function setLoopletFileMeta(meta: object, value: LoopletFileMeta): void {
  (meta as { loopletFile?: LoopletFileMeta }).loopletFile = value;
}

/** The test name of one eval on one trace or case: `eval_name › trace_id`. */
export function testName({ evalName, contextId }: { evalName: string; contextId: string }): string {
  return `${evalName} › ${contextId}`;
}

/** The name of the test that stands for one replayed run: `replay › trace_id`. */
export function replayTestName(contextId: string): string {
  return testName({ evalName: 'replay', contextId });
}
