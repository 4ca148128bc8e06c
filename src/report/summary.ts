import type { EvalOutcome } from '../evals/types.js';
import type { RunRecord } from './run-record.js';

/** Version of `looplet-report.json` and of baseline files. Readers reject newer versions. */
export const REPORT_SCHEMA_VERSION = 1;

/** Aggregates of one metric over an eval's outcomes. */
export interface MetricSummary {
  mean: number;
  min: number;
  max: number;
  count: number;
}

/** One eval across every context it ran on. */
export interface EvalSummary {
  name: string;
  file?: string;
  required: boolean;
  tags: string[];
  /** Outcomes in total (one per context). */
  total: number;
  passed: number;
  failed: number;
  /** Metric-only or neutral-label outcomes: reported, neither passed nor failed. */
  reported: number;
  skipped: number;
  errors: number;
  /** Outcomes not scored because their run's replay diverged from its recording. */
  diverged: number;
  /** `passed / (passed + failed)`; null when no outcome had a verdict. Errors are counted apart. */
  passRate: number | null;
  /** Mean of the scores that were given (failures included, errors not); null when none. */
  meanScore: number | null;
  minScore: number | null;
  maxScore: number | null;
  metrics: Record<string, MetricSummary>;
  durationMs: number;
}

/** A failure that belongs to no eval: an unreadable trace, an eval file that failed to import… */
export interface InfrastructureError {
  /** What failed: a trace directory, a case file, an eval file. */
  source: string;
  message: string;
  /**
   * A short class: `trace`, `import`, `agent`, `update`… `agent-config` (agents whose scopes
   * overlap) and `trace-version` (a trace from a newer looplet) are configuration errors (exit 2).
   */
  kind: string;
}

/** Counts over the whole run. */
export interface RunTotals {
  evals: number;
  contexts: number;
  outcomes: number;
  passed: number;
  failed: number;
  reported: number;
  skipped: number;
  errors: number;
  /** Required evals that failed on at least one context (counted per outcome). */
  requiredFailed: number;
  infrastructureErrors: number;
  /** Runs whose replay diverged from their recording (each fails the run, whatever its evals). */
  diverged: number;
}

/** Everything a report or a baseline is made from: order-independent, so shards merge. */
export interface RunSummary {
  schemaVersion: number;
  totals: RunTotals;
  /** Sorted by name. */
  evals: EvalSummary[];
  /** Context ids, sorted. */
  contexts: string[];
  /** Every outcome, sorted by eval then context. */
  outcomes: EvalOutcome[];
  infrastructureErrors: InfrastructureError[];
  /** How each run was obtained (replayed, recorded, scripted, live), with its divergence; sorted by id. */
  runs: RunRecord[];
  /** Trace ids that no eval and no agent covers ("obsolete goldens"), sorted. */
  obsolete: string[];
}

/**
 * Builds the run summary from outcomes (in any order: shards merged by `--merge-reports` give
 * the same summary as one run).
 *
 * @example
 * const summary = summarizeRun({ outcomes: await runEvals({ evals, contexts }) });
 */
export function summarizeRun({
  outcomes,
  infrastructureErrors = [],
  contexts = [],
  runs = [],
  obsolete = [],
}: {
  outcomes: readonly EvalOutcome[];
  infrastructureErrors?: readonly InfrastructureError[];
  /** Ids of every context scored, including ones no eval ran on (so baselines notice them). */
  contexts?: readonly string[];
  /** How each run was obtained (one per id; a later record for the same id wins). */
  runs?: readonly RunRecord[];
  /** Trace ids no eval and no agent covers. */
  obsolete?: readonly string[];
}): RunSummary {
  const byEval = groupByEval(outcomes);
  // A loop, not flat(): flat() is several times slower on the thousands of outcomes a run has.
  const sorted: EvalOutcome[] = [];
  for (const list of byEval.values()) for (const outcome of list) sorted.push(outcome);
  const evals = [...byEval.entries()].map(([name, list]) => summarizeEval(name, list));
  const ids = new Set(contexts);
  for (const run of runs) ids.add(run.id);
  for (const outcome of sorted) ids.add(outcome.context);
  const contextIds = [...ids].sort(compareText);
  const statuses = countStatuses(sorted);
  const infra = [...infrastructureErrors].sort(
    (a, b) => compareText(a.source, b.source) || compareText(a.message, b.message),
  );
  const byId = new Map<string, RunRecord>();
  for (const run of runs) byId.set(run.id, run);
  const sortedRuns = [...byId.values()].sort((a, b) => compareText(a.id, b.id));
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    totals: {
      evals: evals.length,
      contexts: contextIds.length,
      outcomes: sorted.length,
      passed: statuses.passed,
      failed: statuses.failed,
      reported: statuses.reported,
      skipped: statuses.skipped,
      errors: statuses.error,
      requiredFailed: statuses.requiredFailed,
      infrastructureErrors: infra.length,
      diverged: sortedRuns.filter((run) => run.replay?.diverged !== undefined).length,
    },
    evals,
    contexts: contextIds,
    outcomes: sorted,
    infrastructureErrors: infra,
    runs: sortedRuns,
    obsolete: [...new Set(obsolete)].sort(compareText),
  };
}

/** Joins summaries of shards (or of separate runs over different traces) into one. */
export function mergeSummaries({ summaries }: { summaries: readonly RunSummary[] }): RunSummary {
  return summarizeRun({
    outcomes: summaries.flatMap((summary) => summary.outcomes),
    infrastructureErrors: summaries.flatMap((summary) => summary.infrastructureErrors),
    contexts: summaries.flatMap((summary) => summary.contexts),
    // Reports written before runs were recorded have none.
    runs: summaries.flatMap((summary) => summary.runs ?? []),
    obsolete: summaries.flatMap((summary) => summary.obsolete ?? []),
  });
}

/**
 * Outcomes by eval, evals in name order and each eval's outcomes in context order: the order
 * `(name, context)` gives, stable for equal pairs, without comparing names 5,000 times over.
 */
function groupByEval(outcomes: readonly EvalOutcome[]): Map<string, EvalOutcome[]> {
  const groups = new Map<string, EvalOutcome[]>();
  for (const outcome of outcomes) {
    const list = groups.get(outcome.name);
    if (list) list.push(outcome);
    else groups.set(outcome.name, [outcome]);
  }
  const sorted = new Map<string, EvalOutcome[]>();
  for (const name of [...groups.keys()].sort(compareText))
    sorted.set(
      name,
      groups.get(name)!.sort((a, b) => compareText(a.context, b.context)),
    );
  return sorted;
}

/** A count of zero for each outcome status. */
export function emptyStatusCounts(): StatusCounts {
  return { passed: 0, failed: 0, reported: 0, skipped: 0, error: 0, diverged: 0 };
}

/** How many outcomes have each status. */
export type StatusCounts = Record<EvalOutcome['status'], number>;

/**
 * Counts `status` in `counts`; false for a status that is none of the known ones (from a
 * hand-written summary), which is counted nowhere. A switch: a property looked up by a computed
 * name costs several times more, and reports count every outcome.
 */
export function countStatus(counts: StatusCounts, status: string): boolean {
  switch (status) {
    case 'passed':
      counts.passed++;
      return true;
    case 'failed':
      counts.failed++;
      return true;
    case 'reported':
      counts.reported++;
      return true;
    case 'skipped':
      counts.skipped++;
      return true;
    case 'error':
      counts.error++;
      return true;
    case 'diverged':
      counts.diverged++;
      return true;
    default:
      return false;
  }
}

/** How many outcomes have each status, and how many of them are required ones that failed. */
function countStatuses(outcomes: readonly EvalOutcome[]): StatusCounts & { requiredFailed: number } {
  const counts = { ...emptyStatusCounts(), requiredFailed: 0 };
  for (const outcome of outcomes) {
    countStatus(counts, outcome.status);
    if (outcome.required && outcome.status === 'failed') counts.requiredFailed++;
  }
  return counts;
}

function summarizeEval(name: string, outcomes: EvalOutcome[]): EvalSummary {
  const first = outcomes[0]!;
  const statuses = countStatuses(outcomes);
  const tags = new Set<string>();
  let required = false;
  let durationMs = 0;
  let scoreCount = 0;
  let scoreTotal = 0;
  let minScore = 0;
  let maxScore = 0;
  for (const outcome of outcomes) {
    if (outcome.required) required = true;
    for (const tag of outcome.tags) tags.add(tag);
    durationMs += outcome.durationMs;
    if (outcome.score === undefined || outcome.status === 'error') continue;
    const score = outcome.score;
    // Math.min/max as over the list, so a NaN score gives NaN as it always did.
    minScore = scoreCount === 0 ? score : Math.min(minScore, score);
    maxScore = scoreCount === 0 ? score : Math.max(maxScore, score);
    scoreTotal += score;
    scoreCount++;
  }
  const { passed, failed } = statuses;
  const summary: EvalSummary = {
    name,
    required,
    tags: [...tags].sort(compareText),
    total: outcomes.length,
    passed,
    failed,
    reported: statuses.reported,
    skipped: statuses.skipped,
    errors: statuses.error,
    diverged: statuses.diverged,
    passRate: passed + failed === 0 ? null : passed / (passed + failed),
    meanScore: scoreCount === 0 ? null : scoreTotal / scoreCount,
    minScore: scoreCount === 0 ? null : minScore,
    maxScore: scoreCount === 0 ? null : maxScore,
    metrics: summarizeMetrics(outcomes),
    durationMs,
  };
  if (first.file !== undefined) summary.file = first.file;
  return summary;
}

function summarizeMetrics(outcomes: readonly EvalOutcome[]): Record<string, MetricSummary> {
  const values = new Map<string, number[]>();
  for (const outcome of outcomes) {
    if (outcome.status === 'error') continue;
    const metrics = outcome.metrics;
    // for…in over own keys: Object.entries allocates an array of pairs per outcome.
    for (const key in metrics) {
      if (!Object.hasOwn(metrics, key)) continue;
      const value = metrics[key]!;
      const list = values.get(key);
      if (list) list.push(value);
      else values.set(key, [value]);
    }
  }
  const metrics: Record<string, MetricSummary> = {};
  for (const key of [...values.keys()].sort(compareText)) {
    const list = values.get(key)!;
    metrics[key] = {
      mean: mean(list),
      min: extreme(list, Math.min),
      max: extreme(list, Math.max),
      count: list.length,
    };
  }
  return metrics;
}

/** Arithmetic mean of a non-empty list. */
export function mean(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

/** Min or max of a non-empty list without spreading it (lists may hold many thousand values). */
function extreme(values: readonly number[], pick: (a: number, b: number) => number): number {
  let result = values[0]!;
  for (const value of values) result = pick(result, value);
  return result;
}

/** Locale-independent string order, so reports sort the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
