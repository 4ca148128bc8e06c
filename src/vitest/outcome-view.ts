import type { EvalOutcome } from '../evals/types.js';

/** One line a person reads for an outcome: the verdict, the score, the label and the reason. */
export function describeOutcome(outcome: EvalOutcome): string {
  const parts: string[] = [outcome.status];
  if (outcome.score !== undefined)
    parts.push(`score ${formatScore(outcome.score)} (threshold ${formatScore(outcome.threshold)})`);
  if (outcome.label !== undefined) parts.push(`label "${outcome.label}"`);
  const metrics = Object.entries(outcome.metrics);
  if (metrics.length > 0) parts.push(metrics.map(([key, value]) => `${key}=${formatScore(value)}`).join(' '));
  if (outcome.reason) parts.push(`— ${outcome.reason}`);
  if (outcome.error) parts.push(`— ${outcome.error.kind}: ${outcome.error.message}`);
  return parts.join(' · ');
}

export function formatScore(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, '');
}
