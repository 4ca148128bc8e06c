// The data an HTML report page carries, shared by the writer (Node) and the page script (browser).
// Plain types only: the page script is type-checked with DOM libraries and no Node types.
//
// A page holds one `<script type="application/json" id="looplet-page">` with a PageData, and one
// `<script type="application/json" id="looplet-run-N">` per embedded run (a RunData), parsed only
// when that run is opened: a report of a thousand runs parses one small index at load.

/** The id of the element holding the page's {@link PageData}. */
export const PAGE_DATA_ID = 'looplet-page';

/** The id of the element holding embedded run `blob` (a {@link RunData}). */
export function runDataId(blob: number): string {
  return `looplet-run-${blob}`;
}

/**
 * What the page shows: an eval report, one run of a report (what @vitest/ui links each test to),
 * one trace (`looplet show --html`), or two (`looplet diff --html`).
 */
export type PageKind = 'report' | 'run' | 'trace' | 'diff';

/** Outcome statuses, `diverged` included (a strict replay that parted from its recording). */
export type OutcomeStatus = 'passed' | 'failed' | 'reported' | 'skipped' | 'error' | 'diverged';

export interface PageData {
  kind: PageKind;
  /** The page title. */
  title: string;
  /** When the page was written (ISO 8601). */
  createdAt: string;
  /** The eval results (kind `report`; for kind `run`, those of its one run). */
  report?: ReportView;
  /** Every run: the report's contexts in id order, the one trace, or the two traces compared. */
  runs: RunEntry[];
  /** The comparison of `runs[0]` (a) and `runs[1]` (b) (kind `diff`). */
  diff?: TraceDiffView;
}

export interface ReportView {
  verdict: {
    status: 'pass' | 'fail' | 'error' | 'empty';
    exitCode: number;
    headline: string;
    reasons: string[];
  };
  totals: {
    evals: number;
    runs: number;
    outcomes: number;
    passed: number;
    failed: number;
    errors: number;
    diverged: number;
    skipped: number;
    reported: number;
    infrastructureErrors: number;
  };
  evals: EvalView[];
  /** Every eval × run outcome. */
  outcomes: OutcomeView[];
  infrastructureErrors: Array<{ source: string; kind: string; message: string }>;
  /** Against the baseline, when there was one. */
  comparison?: ComparisonView;
}

export interface EvalView {
  name: string;
  file?: string;
  required: boolean;
  tags: string[];
  passRate: number | null;
  meanScore: number | null;
  /** Mean score change against the baseline over the runs both scored. */
  delta?: number;
  /** The mean fell by more than the tolerance. */
  dropped?: boolean;
  counts: Record<OutcomeStatus, number>;
}

export interface OutcomeView {
  /** Index into `report.evals`. */
  eval: number;
  /** Index into `runs`. */
  run: number;
  status: OutcomeStatus;
  score?: number;
  /** The score in the baseline, when the comparison gives it. */
  before?: { status: string; score?: number };
  /** `new-failure` or `fixed` against the baseline. */
  change?: 'new-failure' | 'fixed';
  threshold: number;
  label?: string;
  reason?: string;
  metrics?: Record<string, number>;
  details?: Record<string, unknown>;
  error?: { kind: string; message: string; name?: string; stack?: string };
  durationMs: number;
}

export interface ComparisonView {
  tolerance: number;
  regressions: number;
  newFailures: Array<{
    eval: string;
    run: string;
    before?: string;
    after: string;
    beforeScore?: number;
    afterScore?: number;
  }>;
  fixed: Array<{
    eval: string;
    run: string;
    before?: string;
    after: string;
    beforeScore?: number;
    afterScore?: number;
  }>;
  scoreDrops: Array<{ eval: string; before: number; after: number; delta: number; runs: number }>;
  evalsAdded: string[];
  evalsRemoved: string[];
  runsAdded: string[];
  runsRemoved: string[];
}

/** A run's place in the page: how it was obtained and where its steps are. */
export interface RunEntry {
  id: string;
  /** `replayed`, `recorded`, `scripted` or `live`, when the runner said. */
  origin?: string;
  /** The trace directory (as given, or relative to the project root). */
  trace?: string;
  /** Where a replay that diverged (or warned) was written as a trace. */
  replayedTrace?: string;
  agentFile?: string;
  endReason?: string;
  stepCount?: number;
  /** The embedded run the evals scored (the replayed run when there is one). */
  blob?: number;
  /** The embedded recorded trace of a replayed run, when it differs from `blob`. */
  recordedBlob?: number;
  /** Why no steps are embedded (no trace, an unreadable trace, the size budget). */
  missing?: string;
  replay?: {
    mode: string;
    check: string;
    diverged?: DivergenceView;
    warnings: DivergenceView[];
  };
  updated?: {
    stepsBefore: number;
    stepsAfter: number;
    endReasonBefore: string;
    endReasonAfter: string;
    changedEvals: string[];
  };
}

export interface DivergenceView {
  callIndex: number;
  summary: string[];
  /** Unified diff, recorded (`-`) against current (`+`). */
  diff: string;
}

/** One run read from a trace directory: what the step view shows. */
export interface RunData {
  /** Absolute trace directory it was read from. */
  dir: string;
  /** `looplet` (format v1) or `python-looplet`. */
  format: string;
  task: unknown;
  model?: string;
  endReason: string;
  stopReason?: string;
  finalOutput?: unknown;
  usage: UsageView;
  stepCount: number;
  callCount: number;
  /** Wall-clock start and end of the recording (ISO 8601), when known. */
  startedAt?: string;
  endedAt?: string;
  tools: Array<{ name: string; description: string }>;
  artifacts: Record<string, unknown>;
  expected: Record<string, unknown>;
  steps: StepView[];
  /** Steps that were not embedded (size budget), counted from the end. */
  stepsLeftOut?: number;
  /** Strings longer than the page's limit were cut (the page says so where it happened). */
  cut?: boolean;
}

export interface UsageView {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface StepView {
  index: number;
  text?: string;
  calls: CallView[];
  usage?: UsageView;
  context?: string[];
  metadata?: Record<string, unknown>;
  doneRejected?: string;
  /** Start time (ms since the epoch), 0 when unknown. */
  startedAt: number;
  durationMs: number;
}

export interface CallView {
  id: string;
  name: string;
  /** The arguments as the model gave them. */
  args: Record<string, unknown>;
  /** The arguments the tool ran with, when a hook rewrote them. */
  ranWith?: Record<string, unknown>;
  argsError?: string;
  data?: unknown;
  error?: { kind: string; message: string };
  /** False for a call that got no result (the run ended first). */
  hasResult: boolean;
  durationMs: number;
}

/** `looplet diff --html A B`: what differs, aligned by step. */
export interface TraceDiffView {
  /** Differences in the order `looplet diff` gives them. */
  differences: Array<{ kind: string; index?: number; step?: number; summary: string; diff: string }>;
}

/** Marks the end of a string the page cut (the full value is in the trace). */
export const CUT_MARK = '\u2026 [cut: ';
