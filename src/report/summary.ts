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
  const sorted = [...outcomes].sort(
    (a, b) => compareText(a.name, b.name) || compareText(a.context, b.context),
  );
  const byEval = new Map<string, EvalOutcome[]>();
  for (const outcome of sorted) {
    const list = byEval.get(outcome.name);
    if (list) list.push(outcome);
    else byEval.set(outcome.name, [outcome]);
  }
  const evals = [...byEval.entries()].map(([name, list]) => summarizeEval(name, list));
  const contextIds = [
    ...new Set([...contexts, ...runs.map((run) => run.id), ...sorted.map((outcome) => outcome.context)]),
  ].sort(compareText);
  const count = (status: EvalOutcome['status']) =>
    sorted.filter((outcome) => outcome.status === status).length;
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
      passed: count('passed'),
      failed: count('failed'),
      reported: count('reported'),
      skipped: count('skipped'),
      errors: count('error'),
      requiredFailed: sorted.filter((outcome) => outcome.required && outcome.status === 'failed').length,
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

function summarizeEval(name: string, outcomes: EvalOutcome[]): EvalSummary {
  const first = outcomes[0]!;
  const scores = outcomes.filter((outcome) => outcome.score !== undefined && outcome.status !== 'error');
  const count = (status: EvalOutcome['status']) =>
    outcomes.filter((outcome) => outcome.status === status).length;
  const passed = count('passed');
  const failed = count('failed');
  const summary: EvalSummary = {
    name,
    required: outcomes.some((outcome) => outcome.required),
    tags: [...new Set(outcomes.flatMap((outcome) => outcome.tags))].sort(compareText),
    total: outcomes.length,
    passed,
    failed,
    reported: count('reported'),
    skipped: count('skipped'),
    errors: count('error'),
    diverged: count('diverged'),
    passRate: passed + failed === 0 ? null : passed / (passed + failed),
    meanScore: scores.length === 0 ? null : mean(scores.map((outcome) => outcome.score!)),
    minScore:
      scores.length === 0
        ? null
        : extreme(
            scores.map((outcome) => outcome.score!),
            Math.min,
          ),
    maxScore:
      scores.length === 0
        ? null
        : extreme(
            scores.map((outcome) => outcome.score!),
            Math.max,
          ),
    metrics: summarizeMetrics(outcomes),
    durationMs: outcomes.reduce((total, outcome) => total + outcome.durationMs, 0),
  };
  if (first.file !== undefined) summary.file = first.file;
  return summary;
}

function summarizeMetrics(outcomes: readonly EvalOutcome[]): Record<string, MetricSummary> {
  const values = new Map<string, number[]>();
  for (const outcome of outcomes) {
    if (outcome.status === 'error') continue;
    for (const [key, value] of Object.entries(outcome.metrics)) {
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
