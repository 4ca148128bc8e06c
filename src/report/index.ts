// Reports of an eval run: summary, baseline compare, verdict, JSON / Markdown / JUnit / terminal table.
// Free of vitest: the runner (src/vitest) and the CLI call these. Re-exported by `looplet/evals`.

export {
  type Baseline,
  BaselineError,
  type BaselineEval,
  BaselineNotFoundError,
  type BaselineResult,
  BaselineVersionError,
  readBaseline,
  saveBaseline,
} from './baseline.js';
export {
  type BaselineComparison,
  compareToBaseline,
  type MetricDelta,
  type ResultChange,
  type ScoreChange,
} from './compare.js';
export { formatOutcome } from './format.js';
export type { ReplayInfo, ReplayStrictness, RunError, RunRecord, RunUpdate } from './run-record.js';
export {
  type EvalSummary,
  type InfrastructureError,
  type MetricSummary,
  mergeSummaries,
  type RunSummary,
  type RunTotals,
  summarizeRun,
} from './summary.js';
export { renderTable } from './table.js';
export { decideVerdict, type FailOn, type Verdict } from './verdict.js';
export { buildJsonReport, type JsonReport, writeReports } from './write.js';
