import type { EvalOutcome, EvalStatus } from '../evals/types.js';
import { oneLine } from '../util/text.js';

/** One symbol per status, shared by the terminal, Markdown and `formatOutcome`. */
export const STATUS_SYMBOLS: Readonly<Record<EvalStatus, string>> = {
  passed: '✓',
  failed: '✗',
  reported: '•',
  skipped: '-',
  error: '!',
  diverged: '≠',
};

/** A score as two decimals (`0.85`), or `–` when there is none. */
export function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined ? '–' : score.toFixed(2);
}

/** A rate as a whole percentage (`93%`), or `–`. */
export function formatRate(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '–' : `${Math.round(rate * 100)}%`;
}

/** A signed delta (`+0.04`, `−0.12`), or `–`; zero is `±0.00`. */
export function formatDelta(delta: number | null | undefined): string {
  if (delta === null || delta === undefined) return '–';
  if (Math.abs(delta) < 0.005) return '±0.00';
  return delta > 0 ? `+${delta.toFixed(2)}` : `−${Math.abs(delta).toFixed(2)}`;
}

/**
 * Every metric mean of an eval, e.g. `steps 3.5 · tokens 1200`, or `''` when it has none. With
 * `perLine`, a line break after every `perLine` metrics (for a table cell), so none is hidden.
 */
export function formatMetrics(
  metrics: Readonly<Record<string, { mean: number }>>,
  perLine = Number.POSITIVE_INFINITY,
): string {
  const shown = Object.entries(metrics).map(([key, value]) => `${key} ${formatNumber(value.mean)}`);
  const lines: string[] = [];
  for (let start = 0; start < shown.length; start += perLine)
    lines.push(shown.slice(start, start + perLine).join(' · '));
  return lines.join('\n');
}

/** A number as written in reports: integers as they are, others with up to 3 significant decimals. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

/** What an outcome says, in a few words: the score and threshold, the error, the skip reason. */
export function describeOutcome(outcome: EvalOutcome): string {
  const parts: string[] = [];
  if (outcome.score !== undefined) {
    const below = outcome.status === 'failed' && outcome.score < outcome.threshold;
    parts.push(`score ${formatScore(outcome.score)}${below ? ` < ${formatScore(outcome.threshold)}` : ''}`);
  }
  if (outcome.label !== undefined) parts.push(`"${outcome.label}"`);
  const metrics = Object.entries(outcome.metrics);
  if (metrics.length > 0)
    parts.push(metrics.map(([key, value]) => `${key}=${formatNumber(value)}`).join(' '));
  if (outcome.error) parts.push(`${outcome.error.kind}: ${outcome.error.message}`);
  if (outcome.reason !== undefined) parts.push(outcome.reason);
  return oneLine(parts.join(' · '));
}

/**
 * One line for an outcome, e.g. `✗ eval_profit › profit_math  score 0.00 < 0.50 · profit is 200`.
 * For printing the results of a live run (`evalHook`).
 */
export function formatOutcome(outcome: EvalOutcome): string {
  const required = outcome.required ? ' (required)' : '';
  return `${STATUS_SYMBOLS[outcome.status]} ${outcome.name} › ${outcome.context}${required}  ${describeOutcome(outcome)}`;
}
