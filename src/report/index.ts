// Reports of an eval run: summary, baseline compare, verdict, JSON / Markdown / JUnit / terminal table.
// Free of vitest: the runner (src/vitest) and the CLI call these. Re-exported by `looplet/evals`.

export {
  type Baseline,
  BaselineError,
  type BaselineEval,
  BaselineNotFoundError,
  type BaselineResult,
  BaselineVersionError,
  baselineFromSummary,
  checkBaseline,
  readBaseline,
  saveBaseline,
} from './baseline.js';
export {
  type BaselineComparison,
  compareToBaseline,
  DEFAULT_TOLERANCE,
  type MetricDelta,
  type ResultChange,
  type ScoreChange,
} from './compare.js';
export { writeFileAtomic } from './files.js';
export {
  describeOutcome,
  formatDelta,
  formatOutcome,
  formatRate,
  formatScore,
  STATUS_SYMBOLS,
} from './format.js';
export { renderJUnit } from './junit.js';
export { renderMarkdown } from './markdown.js';
export type { ReplayInfo, ReplayStrictness, RunError, RunRecord, RunUpdate } from './run-record.js';
export {
  type EvalSummary,
  type InfrastructureError,
  type MetricSummary,
  mergeSummaries,
  REPORT_SCHEMA_VERSION,
  type RunSummary,
  type RunTotals,
  summarizeRun,
} from './summary.js';
export { renderTable } from './table.js';
export {
  decideVerdict,
  EXIT_CODES,
  exitCodeForError,
  FAIL_ON_VALUES,
  type FailOn,
  type Verdict,
} from './verdict.js';
export { buildJsonReport, type JsonReport, REPORT_FILES, writeReports } from './write.js';
