import type { EvalStatus } from '../evals/types.js';
import type { Baseline } from './baseline.js';
import { compareText, mean, type RunSummary } from './summary.js';

/** How far an eval's mean score may fall before it counts as a regression (default 0.05). */
export const DEFAULT_TOLERANCE = 0.05;

/** One eval × context whose verdict changed. `before` is absent for a context or eval the baseline lacks. */
export interface ResultChange {
  eval: string;
  context: string;
  before?: EvalStatus;
  after: EvalStatus;
  beforeScore?: number;
  afterScore?: number;
}

/** An eval's mean score over the contexts both runs scored. */
export interface ScoreChange {
  eval: string;
  before: number;
  after: number;
  /** `after - before`. */
  delta: number;
  /** How many shared contexts the means are over. */
  contexts: number;
}

/** An eval's metric mean over shared contexts, before and after. */
export interface MetricDelta {
  eval: string;
  metric: string;
  before: number;
  after: number;
  delta: number;
}

/** What changed since the baseline. Regressions are `newFailures` and `scoreDrops`. */
export interface BaselineComparison {
  tolerance: number;
  /**
   * Failing (or diverged) now and neither failing nor diverged in the baseline (passing, reported,
   * skipped, or not there).
   */
  newFailures: ResultChange[];
  /** Failing, erroring or diverged in the baseline, passing now. */
  fixed: ResultChange[];
  /**
   * Evals whose mean score over shared contexts fell by more than `tolerance` (evals that already
   * have a new failure are not listed again).
   */
  scoreDrops: ScoreChange[];
  /** Every eval with a comparable mean score (for the Δ column), drops included. */
  scores: ScoreChange[];
  /** Metric means that moved, per eval. Reported only: metrics never pass or fail. */
  metricDeltas: MetricDelta[];
  evalsAdded: string[];
  /** Evals the baseline has and a run of the whole suite no longer has (empty for a partial run: see `notRun`). */
  evalsRemoved: string[];
  contextsAdded: string[];
  /** Runs (traces, cases) the baseline has and a run of the whole suite no longer has (empty for a partial run: see `notRun`). */
  contextsRemoved: string[];
  /**
   * The run scored part of the suite (`--shard`, `-t`, `--include`…): what the baseline has
   * beyond it was not run — not removed — and is listed here instead.
   */
  notRun?: { selection: string; evals: string[]; contexts: string[] };
  /** `newFailures.length + scoreDrops.length`. */
  regressions: number;
}

/**
 * Compares a run with a baseline. Score drops are measured over the contexts both runs scored,
 * so adding or removing traces does not look like a regression; new or removed evals and
 * traces are listed apart.
 *
 * @example
 * const comparison = compareToBaseline({ current: summary, baseline: await readBaseline({ file }) });
 */
export function compareToBaseline({
  current,
  baseline,
  tolerance = DEFAULT_TOLERANCE,
  partial,
}: {
  current: RunSummary;
  baseline: Baseline;
  tolerance?: number;
  /**
   * What the run selected when it scored part of the suite, in words (`shard 1/2`, `-t greet`):
   * evals and runs of the baseline outside it are then reported as not run, not as removed.
   */
  partial?: string;
}): BaselineComparison {
  if (!Number.isFinite(tolerance) || tolerance < 0)
    throw new RangeError(`tolerance must be a number ≥ 0, got ${String(tolerance)}`);
  const newFailures: ResultChange[] = [];
  const fixed: ResultChange[] = [];
  for (const outcome of current.outcomes) {
    const before = baseline.results[outcome.name]?.[outcome.context];
    const change: ResultChange = { eval: outcome.name, context: outcome.context, after: outcome.status };
    if (before) {
      change.before = before.status;
      if (before.score !== undefined) change.beforeScore = before.score;
    }
    if (outcome.score !== undefined) change.afterScore = outcome.score;
    if (isFailure(outcome.status) && !(before && isFailure(before.status))) newFailures.push(change);
    else if (outcome.status === 'passed' && before && (isFailure(before.status) || before.status === 'error'))
      fixed.push(change);
  }

  const scores: ScoreChange[] = [];
  const metricDeltas: MetricDelta[] = [];
  const byEval = new Map<string, RunSummary['outcomes']>();
  for (const outcome of current.outcomes) {
    const list = byEval.get(outcome.name);
    if (list) list.push(outcome);
    else byEval.set(outcome.name, [outcome]);
  }
  for (const [name, outcomes] of byEval) {
    const previous = baseline.results[name];
    if (!previous) continue;
    const before: number[] = [];
    const after: number[] = [];
    const metricsBefore = new Map<string, number[]>();
    const metricsAfter = new Map<string, number[]>();
    for (const outcome of outcomes) {
      const old = previous[outcome.context];
      if (!old || old.status === 'error' || outcome.status === 'error') continue;
      if (old.score !== undefined && outcome.score !== undefined) {
        before.push(old.score);
        after.push(outcome.score);
      }
      for (const [metric, value] of Object.entries(outcome.metrics)) {
        const oldValue = old.metrics?.[metric];
        if (oldValue === undefined) continue;
        push(metricsBefore, metric, oldValue);
        push(metricsAfter, metric, value);
      }
    }
    if (before.length > 0) {
      const b = mean(before);
      const a = mean(after);
      scores.push({ eval: name, before: b, after: a, delta: a - b, contexts: before.length });
    }
    for (const [metric, values] of metricsBefore) {
      const b = mean(values);
      const a = mean(metricsAfter.get(metric)!);
      if (a !== b) metricDeltas.push({ eval: name, metric, before: b, after: a, delta: a - b });
    }
  }
  // An eval with a new failure is already a regression: its (inevitable) mean drop is not listed
  // again. A float epsilon keeps "exactly the tolerance" from counting as a drop through rounding.
  const failedEvals = new Set(newFailures.map((change) => change.eval));
  const scoreDrops = scores.filter(
    (change) => change.delta < -tolerance - 1e-9 && !failedEvals.has(change.eval),
  );

  const currentEvals = new Set(current.evals.map((item) => item.name));
  const baselineEvals = new Set([...Object.keys(baseline.evals), ...Object.keys(baseline.results)]);
  const currentContexts = new Set(current.contexts);
  const baselineContexts = new Set(
    Object.values(baseline.results).flatMap((contexts) => Object.keys(contexts)),
  );
  const byEvalContext = (a: ResultChange, b: ResultChange) =>
    compareText(a.eval, b.eval) || compareText(a.context, b.context);
  const evalsMissing = difference(baselineEvals, currentEvals);
  const contextsMissing = difference(baselineContexts, currentContexts);
  return {
    tolerance,
    newFailures: newFailures.sort(byEvalContext),
    fixed: fixed.sort(byEvalContext),
    scoreDrops: scoreDrops.sort((a, b) => a.delta - b.delta || compareText(a.eval, b.eval)),
    scores: scores.sort((a, b) => compareText(a.eval, b.eval)),
    metricDeltas: metricDeltas.sort((a, b) => compareText(a.eval, b.eval) || compareText(a.metric, b.metric)),
    evalsAdded: difference(currentEvals, baselineEvals),
    evalsRemoved: partial === undefined ? evalsMissing : [],
    contextsAdded: difference(currentContexts, baselineContexts),
    contextsRemoved: partial === undefined ? contextsMissing : [],
    ...(partial !== undefined
      ? { notRun: { selection: partial, evals: evalsMissing, contexts: contextsMissing } }
      : {}),
    regressions: newFailures.length + scoreDrops.length,
  };
}

/** A verdict against the run: failed, or not scored because its replay diverged. */
function isFailure(status: EvalStatus): boolean {
  return status === 'failed' || status === 'diverged';
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function difference(a: ReadonlySet<string>, b: ReadonlySet<string>): string[] {
  return [...a].filter((item) => !b.has(item)).sort(compareText);
}
