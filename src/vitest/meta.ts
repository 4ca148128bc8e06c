import type { EvalOutcome } from '../evals/types.js';

/** What looplet stores in each vitest test's `meta` (and so in blob reports and the UI). */
export interface LoopletTaskMeta {
  /** The eval's normalised outcome for this trace or case (`outcome.context` is its id). */
  outcome: EvalOutcome;
}

/** Reads looplet's entry from a test's meta (vitest types meta as an open record). */
export function loopletMeta(meta: object): LoopletTaskMeta | undefined {
  return (meta as { looplet?: LoopletTaskMeta }).looplet;
}

/** Writes looplet's entry into a test's meta. */
export function setLoopletMeta(meta: object, value: LoopletTaskMeta): void {
  (meta as { looplet?: LoopletTaskMeta }).looplet = value;
}

/** The test name of one eval on one trace or case: `eval_name › trace_id`. */
export function testName({ evalName, contextId }: { evalName: string; contextId: string }): string {
  return `${evalName} › ${contextId}`;
}
