import type { EndReason } from '../core/types.js';
import type { ReplayCheck, ReplayDivergence, RunOrigin } from '../evals/types.js';

export type { ReplayCheck, ReplayDivergence, RunOrigin };

/** How strictly a replay held the run to its recording (`--replay`). */
export type ReplayStrictness = 'strict' | 'lenient';

/** A replay of a recorded run through the agent as it is now. */
export interface ReplayInfo {
  mode: ReplayStrictness;
  /** What was compared with the recording. */
  check: ReplayCheck;
  /** Set when the run parted from its recording (strict mode, or no recorded answer left in lenient mode). */
  diverged?: ReplayDivergence;
  /** Lenient mode: where the run parted from the recording and went on with the recorded answers. */
  warnings: ReplayDivergence[];
}

/** `-u`: the trace was recorded again against a live model. */
export interface RunUpdate {
  stepsBefore: number;
  stepsAfter: number;
  endReasonBefore: EndReason;
  endReasonAfter: EndReason;
  /** Evals whose verdict on the new recording differs from their verdict on the old one. */
  changedEvals: string[];
  /** The divergence that made `-u` re-record the trace (absent with `--update all` when the replay matched). */
  divergence?: ReplayDivergence;
}

/** A run that could not be completed as asked: the agent crashed, or `-u` could not re-record. */
export interface RunError {
  kind: 'agent' | 'update';
  message: string;
}

/**
 * One run the evals scored (a trace or a case): how it was obtained and, for a replay, whether it
 * parted from its recording. Reports list divergences once per run from these, never once per eval.
 */
export interface RunRecord {
  /** Context id (trace id or case id). */
  id: string;
  origin: RunOrigin;
  /** Trace directory the run came from or was replayed from (relative to the project root). */
  trace?: string;
  /** Eval file whose `agent` ran it (relative to the project root), when an agent ran. */
  agentFile?: string;
  replay?: ReplayInfo;
  /** Where the replayed run was written as a trace, when it diverged or had warnings (for `looplet diff`). */
  replayedTrace?: string;
  /** How the run ended; for a diverged replay, how the replay ended. */
  endReason: EndReason;
  steps: number;
  updated?: RunUpdate;
  error?: RunError;
}

/** The runs whose replay diverged. */
export function divergedRuns(runs: readonly RunRecord[]): RunRecord[] {
  return runs.filter((run) => run.replay?.diverged !== undefined);
}

/** How the runs were obtained, in a few words: `3 replayed (strict) · 1 recorded`; `''` for none. */
export function describeOrigins(runs: readonly RunRecord[]): string {
  const counts = new Map<string, number>();
  for (const run of runs) {
    const key = run.replay
      ? `${run.origin} (${run.replay.mode}${run.replay.check === 'tool-calls' ? ', tool-calls check' : ''})`
      : run.origin;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const order = ['replayed', 'recorded', 'scripted', 'live'];
  const rank = (key: string) => order.indexOf(key.split(' ')[0]!);
  return [...counts.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, count]) => `${count} ${key}`)
    .join(' · ');
}

/** Which run diverged where, e.g. `greet/carol at call 2 (replayed through evals/eval_greeter.ts)`. */
export function divergenceWhere(run: RunRecord): string {
  const at = run.replay?.diverged ? ` at ${divergencePlace(run, run.replay.diverged)}` : '';
  const check = run.replay?.check === 'tool-calls' ? ', tool-calls check' : '';
  const through = run.agentFile ? ` (replayed through ${run.agentFile}${check})` : '';
  return `${run.id}${at}${through}`;
}

/** Where in the run a divergence is: `call 2`, or `step 1` for the tool-calls check, which compares steps. */
export function divergencePlace(run: RunRecord, divergence: ReplayDivergence): string {
  return `${run.replay?.check === 'tool-calls' ? 'step' : 'call'} ${divergence.callIndex}`;
}

/** The command that shows a replayed run against its recording, or undefined when none was written. */
export function diffCommand(run: RunRecord): string | undefined {
  return run.trace && run.replayedTrace ? `looplet diff ${run.trace} ${run.replayedTrace}` : undefined;
}
