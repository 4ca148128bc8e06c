import { createRequire } from 'node:module';
import type Table from 'cli-table3';
import { type Colors, picocolors } from '../util/colors.js';
import type { BaselineComparison } from './compare.js';
import { formatDelta, formatMetrics, formatRate, formatScore } from './format.js';
import { describeSetChanges } from './set-changes.js';
import type { RunSummary } from './summary.js';
import type { Verdict } from './verdict.js';

/** Metrics per line of the table's metrics cell: more wrap onto further lines of the row. */
const METRICS_PER_LINE = 3;

/**
 * The terminal table printed at the end of a run: per eval, pass rate, mean score, delta against
 * the baseline and counts (`≠`: not scored because the run's replay diverged), then the verdict line. Colours follow picocolors (off for `NO_COLOR`
 * and non-TTY output); pass `colors: false` to force plain text.
 */
export function renderTable({
  summary,
  comparison,
  verdict,
  colors,
}: {
  summary: RunSummary;
  comparison?: BaselineComparison;
  verdict?: Verdict;
  colors?: boolean;
}): string {
  const pc = picocolors();
  const c: Colors = colors === undefined ? pc : pc.createColors(colors);
  const deltas = new Map(comparison?.scores.map((change) => [change.eval, change.delta]));
  const withMetrics = summary.evals.some((item) => Object.keys(item.metrics).length > 0);
  // Reports written before divergences existed lack the count.
  const withDiverged = summary.evals.some((item) => (item.diverged ?? 0) > 0);
  const head = [
    'eval',
    'pass rate',
    'mean',
    ...(comparison ? ['Δ base'] : []),
    '✓',
    '✗',
    '!',
    ...(withDiverged ? ['≠'] : []),
    'skip',
    ...(withMetrics ? ['metrics'] : []),
  ];
  // Loaded here, not by `import 'looplet/evals'`: it and its dependencies are 11 files.
  const CliTable = createRequire(import.meta.url)('cli-table3') as typeof Table;
  const table = new CliTable({
    head: head.map((title) => c.bold(title)),
    colAligns: [
      'left',
      'right',
      'right',
      ...(comparison ? (['right'] as const) : []),
      'right',
      'right',
      'right',
      ...(withDiverged ? (['right'] as const) : []),
      'right',
      ...(withMetrics ? (['left'] as const) : []),
    ],
    style: { head: [], border: [], compact: true },
  });
  for (const item of summary.evals) {
    const rate = formatRate(item.passRate);
    const rateCell = item.passRate === null ? c.dim(rate) : item.passRate === 1 ? c.green(rate) : c.red(rate);
    const score = formatScore(item.meanScore);
    const scoreCell =
      item.meanScore === null
        ? c.dim(score)
        : item.meanScore < 0.5
          ? c.red(score)
          : item.meanScore < 0.75
            ? c.yellow(score)
            : c.green(score);
    const row = [`${item.name}${item.required ? c.dim(' (required)') : ''}`, rateCell, scoreCell];
    if (comparison) {
      const delta = deltas.get(item.name);
      const text = formatDelta(delta);
      row.push(
        delta !== undefined && delta < -comparison.tolerance
          ? c.red(text)
          : delta !== undefined && delta > 0.005
            ? c.green(text)
            : c.dim(text),
      );
    }
    row.push(
      String(item.passed),
      item.failed > 0 ? c.red(String(item.failed)) : '0',
      item.errors > 0 ? c.yellow(String(item.errors)) : '0',
    );
    if (withDiverged) row.push(item.diverged > 0 ? c.red(String(item.diverged)) : '0');
    row.push(item.skipped > 0 ? c.dim(String(item.skipped)) : '0');
    if (withMetrics) row.push(formatMetrics(item.metrics, METRICS_PER_LINE));
    table.push(row);
  }
  const lines = [table.toString()];
  if (comparison) {
    const parts = [
      `${comparison.newFailures.length} new failures`,
      `${comparison.fixed.length} fixed`,
      `${comparison.scoreDrops.length} score drops (tolerance ${comparison.tolerance})`,
    ];
    parts.push(...describeSetChanges(comparison));
    lines.push(`baseline: ${parts.join(', ')}`);
  }
  if (verdict) {
    const paint = verdict.status === 'pass' ? c.green : verdict.status === 'fail' ? c.red : c.yellow;
    lines.push(paint(c.bold(verdict.headline)));
  }
  return lines.join('\n');
}
