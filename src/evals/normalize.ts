import type { EvalStatus, EvalVerdict } from './types.js';

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

/** The verdict part of an outcome, before names, marks and timing are added. */
export type Normalized = EvalVerdict;

const RESULT_FIELDS = new Set(['score', 'passed', 'label', 'metrics', 'details', 'reason']);

/**
 * The one rule that turns whatever an eval returned into a verdict (see the table in
 * `docs/evals.md`):
 * - `true`/`false` → score 1/0, passed/failed;
 * - a number → a score; passes when `score >= threshold`; outside 0..1, NaN or infinite → error;
 * - a string → a label; pass/fail labels decide, any other label is only reported;
 * - an object with `score`, `passed` or `label` → an `EvalResult` (unknown fields → error);
 * - any other plain object → metrics (its numbers) and details (everything else), only reported;
 * - `undefined`, `null`, arrays, class instances, an empty object → error (a forgotten `return`
 *   must never pass).
 */
export function normalizeReturn({ value, threshold }: { value: unknown; threshold: number }): Normalized {
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
    return labelled({ status: 'reported', label: value, metrics: {}, details: {} });
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

function fromEvalResult(value: Record<string, unknown>, threshold: number): Normalized {
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
  const base: Normalized = {
    status: 'reported',
    metrics: { ...checkedMetrics },
    details: details ? { ...(details as Record<string, unknown>) } : {},
  };
  if (typeof label === 'string') base.label = label;
  if (typeof reason === 'string') base.reason = reason;
  if (typeof score === 'number') base.score = score;
  if (typeof passed === 'boolean') return { ...base, status: passed ? 'passed' : 'failed', passed };
  if (typeof score === 'number') return { ...base, ...verdict(score >= threshold) };
  if (typeof label === 'string') return labelled(base);
  return base;
}

function fromMetricRecord(value: Record<string, unknown>): Normalized {
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

function labelled(base: Normalized): Normalized {
  const label = base.label ?? '';
  const key = label.trim().toLowerCase();
  if (PASS_LABELS.has(key)) return { ...base, ...verdict(true) };
  if (FAIL_LABELS.has(key)) return { ...base, ...verdict(false) };
  return { ...base, status: 'reported' };
}

function scored(score: number, threshold: number): Normalized {
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

function invalid(message: string): Normalized {
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
