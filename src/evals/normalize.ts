import type { EvalStatus, NormalizedResult } from './types.js';

/** The pass boundary for numeric scores when neither the eval nor the run sets one. */
export const DEFAULT_THRESHOLD = 0.5;

/** Labels that mean "passed" (compared case-insensitively). */
export const PASS_LABELS: ReadonlySet<string> = new Set(['pass', 'passed', 'correct', 'yes', 'true', 'ok']);
/** Labels that mean "failed" (compared case-insensitively). */
export const FAIL_LABELS: ReadonlySet<string> = new Set([
  'fail',
  'failed',
  'wrong',
  'incorrect',
  'no',
  'false',
  'error',
]);

/** Labels that mean "not scored" (compared case-insensitively): the outcome is `skipped`. */
export const SKIP_LABELS: ReadonlySet<string> = new Set(['skipped', 'skip']);

const RESULT_FIELDS = new Set(['score', 'passed', 'label', 'metrics', 'details', 'reason']);

/**
 * The one rule that turns whatever an eval returned into a scored result (see the table in
 * `docs/evals.md`):
 * - `true`/`false` → score 1/0, passed/failed;
 * - a number → a score; passes when `score >= threshold`; outside 0..1, NaN or infinite → error;
 * - a string → a label; pass/fail labels decide, skip labels skip, any other label is only reported;
 * - an object with `score`, `passed` or `label` → an `EvalResult` (unknown fields → error); the most
 *   negative signal wins: a skip label, then a fail label, then `passed`, then the score, then a
 *   pass label — so a result that says it failed, errored or was skipped never passes;
 * - any other plain object → metrics (its numbers) and details (everything else), only reported;
 * - `undefined`, `null`, arrays, class instances, an empty object → error (a forgotten `return`
 *   must never pass).
 */
export function normalizeReturn({
  value,
  threshold,
}: {
  value: unknown;
  threshold: number;
}): NormalizedResult {
  if (typeof value === 'boolean') {
    return {
      status: value ? 'passed' : 'failed',
      passed: value,
      score: value ? 1 : 0,
      metrics: {},
      details: {},
    };
  }
  if (typeof value === 'number') {
    const problem = scoreProblem(value);
    if (problem) return invalid(`returned ${problem}`);
    return scored(value, threshold);
  }
  if (typeof value === 'string')
    return byLabel({ status: 'reported', label: value, metrics: {}, details: {} }, meaningOf(value));
  if (value === undefined || value === null)
    return invalid(
      `returned ${String(value)}: return a boolean, a score from 0 to 1, a label, a record of metrics or an EvalResult (is a \`return\` missing?)`,
    );
  if (!isPlainObject(value))
    return invalid(
      `returned ${Array.isArray(value) ? 'an array' : `a ${describe(value)}`}: return a boolean, a score from 0 to 1, a label, a record of metrics or an EvalResult`,
    );
  if ('score' in value || 'passed' in value || 'label' in value) return fromEvalResult(value, threshold);
  return fromMetricRecord(value);
}

function fromEvalResult(value: Record<string, unknown>, threshold: number): NormalizedResult {
  const unknown = Object.keys(value).filter((key) => !RESULT_FIELDS.has(key));
  if (unknown.length > 0)
    return invalid(
      `returned an EvalResult with unknown field(s) ${unknown.map((key) => `"${key}"`).join(', ')}: its fields are score, passed, label, metrics, details, reason (put extra numbers under metrics)`,
    );
  const { score, passed, label, metrics, details, reason } = value;
  if (score !== undefined) {
    const problem = typeof score === 'number' ? scoreProblem(score) : `a ${typeof score}`;
    if (problem) return invalid(`returned score ${problem}`);
  }
  if (passed !== undefined && typeof passed !== 'boolean')
    return invalid(`returned passed = ${JSON.stringify(passed)}; it must be true or false`);
  if (label !== undefined && typeof label !== 'string')
    return invalid(`returned label = ${JSON.stringify(label)}; it must be a string`);
  if (reason !== undefined && typeof reason !== 'string')
    return invalid(`returned reason = ${JSON.stringify(reason)}; it must be a string`);
  if (details !== undefined && !isPlainObject(details))
    return invalid('returned details that are not an object; use { key: value } pairs');
  let checkedMetrics: Record<string, number> = {};
  if (metrics !== undefined) {
    if (!isPlainObject(metrics)) return invalid('returned metrics that are not an object of numbers');
    const problem = metricProblem(metrics);
    if (problem) return invalid(problem);
    checkedMetrics = metrics as Record<string, number>;
  }
  const base: NormalizedResult = {
    status: 'reported',
    metrics: { ...checkedMetrics },
    details: details ? { ...(details as Record<string, unknown>) } : {},
  };
  if (typeof label === 'string') base.label = label;
  if (typeof reason === 'string') base.reason = reason;
  if (typeof score === 'number') base.score = score;
  const meaning = typeof label === 'string' ? meaningOf(label) : undefined;
  // A result that says it was skipped or failed wins over any score or `passed` beside it.
  if (meaning === 'skip' || meaning === 'fail') {
    const overridden =
      passed === true
        ? 'passed: true'
        : typeof score === 'number' && (meaning === 'skip' || score >= threshold)
          ? `score ${score.toFixed(2)}`
          : undefined;
    return byLabel(base, meaning, overridden);
  }
  if (typeof passed === 'boolean') return { ...base, status: passed ? 'passed' : 'failed', passed };
  if (typeof score === 'number') return { ...base, ...verdict(score >= threshold) };
  if (meaning !== undefined) return byLabel(base, meaning);
  return base;
}

function fromMetricRecord(value: Record<string, unknown>): NormalizedResult {
  const entries = Object.entries(value);
  if (entries.length === 0)
    return invalid('returned an empty object: return metrics ({ steps: 3 }) or a verdict');
  const metrics: Record<string, number> = {};
  const details: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    if (typeof item === 'number') {
      if (!Number.isFinite(item))
        return invalid(`returned metric "${key}" = ${String(item)}; metrics must be finite`);
      metrics[key] = item;
    } else {
      details[key] = item;
    }
  }
  return { status: 'reported', metrics, details };
}

type LabelMeaning = 'pass' | 'fail' | 'skip' | 'neutral';

function meaningOf(label: string): LabelMeaning {
  const key = label.trim().toLowerCase();
  if (SKIP_LABELS.has(key)) return 'skip';
  if (FAIL_LABELS.has(key)) return 'fail';
  return PASS_LABELS.has(key) ? 'pass' : 'neutral';
}

/** The verdict a label gives; `overridden` names the score or `passed: true` it beat, for the reason. */
function byLabel(base: NormalizedResult, meaning: LabelMeaning, overridden?: string): NormalizedResult {
  const label = base.label ?? '';
  if (meaning === 'skip') {
    // Not scored: a score beside the label must not reach means or baselines.
    const { score: _notScored, ...rest } = base;
    const note = overridden ? ` (with ${overridden})` : '';
    return {
      ...rest,
      status: 'skipped',
      reason: base.reason ?? `returned label "${label}"${note}: not scored`,
    };
  }
  if (meaning === 'fail') {
    const failed: NormalizedResult = { ...base, ...verdict(false) };
    if (overridden && failed.reason === undefined) failed.reason = `label "${label}" overrides ${overridden}`;
    return failed;
  }
  return meaning === 'pass' ? { ...base, ...verdict(true) } : { ...base, status: 'reported' };
}

function scored(score: number, threshold: number): NormalizedResult {
  return { score, metrics: {}, details: {}, ...verdict(score >= threshold) };
}

function verdict(passed: boolean): { status: EvalStatus; passed: boolean } {
  return { status: passed ? 'passed' : 'failed', passed };
}

/** Why a number is not a score, or undefined when it is one. */
function scoreProblem(score: number): string | undefined {
  if (Number.isNaN(score)) return 'NaN; a score must be a number from 0 to 1';
  if (!Number.isFinite(score)) return `${String(score)}; a score must be a number from 0 to 1`;
  if (score < 0 || score > 1)
    return `${score}, outside 0..1; scale it, or return it as a metric ({ value: ${score} })`;
  return undefined;
}

function metricProblem(metrics: Record<string, unknown>): string | undefined {
  for (const [key, item] of Object.entries(metrics)) {
    if (typeof item !== 'number' || !Number.isFinite(item))
      return `returned metric "${key}" = ${typeof item === 'number' ? String(item) : JSON.stringify(item)}; metrics must be finite numbers`;
  }
  return undefined;
}

function invalid(message: string): NormalizedResult {
  return { status: 'error', metrics: {}, details: {}, error: { kind: 'invalid_result', message } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'object';
  return typeof value;
}
