// The golden-replay vocabulary the HTML report reads (notes: golden-design.md). Branch `golden`
// defines these in src/report/run-record.ts and adds `runs` to `RunSummary`; until it merges they
// are declared here, as the report reads them. On merge: import them from '../run-record.js'
// instead and delete this file.
import type { EndReason } from '../../core/types.js';
import type { RunSummary } from '../summary.js';

/** How the run that evals scored was obtained. */
export type RunOrigin = 'replayed' | 'recorded' | 'scripted' | 'live';

/** What a replay compared: full requests or tool calls in order. */
export type ReplayCheck = 'request' | 'tool-calls';

/** Where a replay parted from its recording. */
export interface ReplayDivergence {
  /** 1-based model call where the run parted from the recording. */
  callIndex: number;
  /** What changed, in words, most important first. */
  summary: string[];
  /** The whole unified diff, recorded (`-`) against current (`+`). */
  diff: string;
}

/** One run the evals scored: where it came from and how its replay went. */
export interface RunRecord {
  /** Context id (trace id or case id). */
  id: string;
  origin: RunOrigin;
  /** Trace directory the run came from or was replayed from, relative to the project root. */
  trace?: string;
  /** Eval file whose `agent` ran it (relative). */
  agentFile?: string;
  replay?: {
    mode: 'strict' | 'lenient';
    check: ReplayCheck;
    diverged?: ReplayDivergence;
    warnings: ReplayDivergence[];
  };
  /** Where the replayed run was written as a trace when it diverged or had warnings. */
  replayedTrace?: string;
  endReason: EndReason;
  steps: number;
  /** `-u`: the trace was re-recorded. */
  updated?: {
    stepsBefore: number;
    stepsAfter: number;
    endReasonBefore: EndReason;
    endReasonAfter: EndReason;
    changedEvals: string[];
  };
}

/** A summary that may carry run records (it does once the runner fills them). */
export type SummaryWithRuns = RunSummary & { runs?: readonly RunRecord[] };
