// Words and numbers as the page shows them; scores, rates and deltas as every other report does.
import type { OutcomeStatus } from '../html/page-data.js';

export { plural } from '../../util/text.js';
export { formatDelta, formatNumber, formatRate, formatScore } from '../format.js';

import { STATUS_SYMBOLS } from '../format.js';

export const STATUS_GLYPHS: Readonly<Record<OutcomeStatus, string>> = { ...STATUS_SYMBOLS, diverged: '⇄' };

export const STATUS_ORDER: readonly OutcomeStatus[] = [
  'failed',
  'error',
  'diverged',
  'passed',
  'reported',
  'skipped',
];

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A tool call's arguments on one line, cut: `name='Alice', n=2`. */
export function shortArgs(args: Record<string, unknown>, limit = 80): string {
  const text = Object.entries(args)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? `'${value}'` : JSON.stringify(value)}`)
    .join(', ');
  return oneLine(text, limit);
}

export function oneLine(text: string, limit = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= limit ? line : `${line.slice(0, limit - 1)}…`;
}

/** Score colours as the terminal table has them: red below 0.5, yellow below 0.75, green above. */
export function scoreClass(score: number | null | undefined): string {
  if (score === null || score === undefined) return '';
  return score < 0.5 ? 'score-low' : score < 0.75 ? 'score-mid' : 'score-high';
}
