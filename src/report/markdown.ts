import type { EvalOutcome } from '../evals/types.js';
import { oneLine, plural } from '../util/text.js';
import type { BaselineComparison } from './compare.js';
import {
  describeOutcome,
  formatDelta,
  formatMetrics,
  formatNumber,
  formatRate,
  formatScore,
} from './format.js';
import {
  describeOrigins,
  diffCommand,
  divergedRuns,
  divergencePlace,
  divergenceWhere,
  type RunRecord,
} from './run-record.js';
import { describeSetChanges } from './set-changes.js';
import type { RunSummary } from './summary.js';
import type { Verdict } from './verdict.js';

/** Items shown per list before "…and N more": keeps the report well under GitHub's comment limit. */
const LIST_LIMIT = 20;

const ICONS: Readonly<Record<Verdict['status'], string>> = { pass: '✅', fail: '❌', error: '⚠️', empty: '⚠️' };

/**
 * `looplet-report.md`: short enough for a pull-request comment or a job summary. Verdict first,
 * then regressions, then errors, then one compact row per eval; details fold away.
 */
export function renderMarkdown({
  summary,
  verdict,
  comparison,
}: {
  summary: RunSummary;
  verdict: Verdict;
  comparison?: BaselineComparison;
}): string {
  const out: string[] = [];
  const { totals } = summary;
  out.push(`## ${ICONS[verdict.status]} looplet-eval: ${escapeText(verdict.headline)}`, '');
  const counts = [
    `**${totals.evals} eval${totals.evals === 1 ? '' : 's'} × ${totals.contexts} run${totals.contexts === 1 ? '' : 's'}**`,
    `${totals.passed} passed`,
    `${totals.failed} failed`,
    `${totals.errors} errors`,
    `${totals.skipped} skipped`,
  ];
  if (totals.reported > 0) counts.push(`${totals.reported} metric-only`);
  const diverged = divergedRuns(summary.runs ?? []);
  if (diverged.length > 0) counts.push(`**${diverged.length} diverged**`);
  out.push(counts.join(' · '));
  const origins = describeOrigins(summary.runs ?? []);
  if (origins) out.push('', `Runs: ${origins}`);
  if (comparison) {
    out.push(
      '',
      `Baseline: ${comparison.newFailures.length} new failures · ${comparison.fixed.length} fixed · ${comparison.scoreDrops.length} score drops (tolerance ${comparison.tolerance})` +
        changes(comparison),
    );
  }

  if (comparison && comparison.regressions > 0) {
    out.push('', '### Regressions', '');
    const lines = [
      ...comparison.newFailures.map(
        (change) =>
          `- ❌ ${code(change.eval)} › ${code(change.context)}: ${change.before ?? 'new'} → ${change.after}` +
          (change.beforeScore !== undefined || change.afterScore !== undefined
            ? ` (score ${formatScore(change.beforeScore)} → ${formatScore(change.afterScore)})`
            : ''),
      ),
      ...comparison.scoreDrops.map(
        (drop) =>
          `- 📉 ${code(drop.eval)} mean score ${formatScore(drop.before)} → ${formatScore(drop.after)} (${formatDelta(drop.delta)} over ${plural(drop.contexts, 'run')})`,
      ),
    ];
    out.push(...limit(lines));
  }

  if (diverged.length > 0) {
    out.push('', '### Replays that diverged', '');
    for (const run of diverged.slice(0, LIST_LIMIT)) out.push(...divergenceBlock(run), '');
    if (diverged.length > LIST_LIMIT)
      out.push(`…and ${diverged.length - LIST_LIMIT} more diverged runs (see looplet-report.json)`, '');
    out.pop();
  }

  const errored = summary.outcomes.filter((outcome) => outcome.status === 'error');
  if (errored.length > 0 || summary.infrastructureErrors.length > 0) {
    out.push('', '### Errors', '');
    out.push(
      ...limit([
        ...summary.infrastructureErrors.map(
          (error) => `- ⚠️ ${code(error.source)} (${error.kind}): ${escapeText(oneLine(error.message))}`,
        ),
        ...errored.map(outcomeLine),
      ]),
    );
  }

  if (summary.evals.length > 0) {
    const deltas = new Map(comparison?.scores.map((change) => [change.eval, change.delta]));
    out.push('', '### Evals', '');
    out.push(`| eval | pass rate | mean score |${comparison ? ' Δ |' : ''} ✓ | ✗ | ! | skipped | metrics |`);
    out.push(`|---|---:|---:|${comparison ? '---:|' : ''}---:|---:|---:|---:|---|`);
    for (const item of summary.evals) {
      const name = `${code(item.name)}${item.required ? ' (required)' : ''}`;
      const delta = comparison ? ` ${formatDelta(deltas.get(item.name))} |` : '';
      out.push(
        `| ${name} | ${formatRate(item.passRate)} | ${formatScore(item.meanScore)} |${delta} ${item.passed} | ${item.failed} | ${item.errors} | ${item.skipped} | ${escapeText(formatMetrics(item.metrics))} |`,
      );
    }
  }

  const failures = summary.outcomes.filter((outcome) => outcome.status === 'failed');
  if (failures.length > 0) {
    out.push('', `<details><summary>Failures (${failures.length})</summary>`, '');
    out.push(...limit(failures.map(outcomeLine)));
    out.push('', '</details>');
  }
  const warned = (summary.runs ?? []).filter((run) => (run.replay?.warnings.length ?? 0) > 0);
  if (warned.length > 0) {
    out.push(
      '',
      `<details><summary>Replay warnings (${warned.length} run${warned.length === 1 ? '' : 's'}, lenient)</summary>`,
      '',
    );
    for (const run of warned.slice(0, LIST_LIMIT)) {
      const command = diffCommand(run);
      out.push(`- ${code(run.id)}${command ? ` (${code(command)})` : ''}`);
      for (const warning of run.replay?.warnings ?? [])
        out.push(`  - ${divergencePlace(run, warning)}: ${escapeText(warning.summary.join('; '))}`);
    }
    if (warned.length > LIST_LIMIT)
      out.push(`- …and ${warned.length - LIST_LIMIT} more (see looplet-report.json)`);
    out.push('', '</details>');
  }
  const updated = (summary.runs ?? []).filter((run) => run.updated);
  if (updated.length > 0) {
    out.push('', `### Re-recorded traces (${updated.length})`, '');
    out.push(
      ...limit(
        updated.map((run) => {
          const update = run.updated!;
          const changed =
            update.changedEvals.length === 0
              ? 'no verdict changed'
              : `verdict changed: ${update.changedEvals.map(code).join(', ')}`;
          return `- ${code(run.trace ?? run.id)}: ${update.stepsBefore} → ${update.stepsAfter} steps, ${update.endReasonBefore} → ${update.endReasonAfter}; ${changed}`;
        }),
      ),
    );
  }
  const obsolete = summary.obsolete ?? [];
  if (obsolete.length > 0) {
    out.push(
      '',
      `<details><summary>Obsolete goldens: ${obsolete.length} trace${obsolete.length === 1 ? '' : 's'} no eval or agent covers</summary>`,
      '',
    );
    out.push(...limit(obsolete.map((id) => `- ${code(id)}`)));
    out.push('', '</details>');
  }
  if (comparison && comparison.fixed.length > 0) {
    out.push('', `<details><summary>Fixed since the baseline (${comparison.fixed.length})</summary>`, '');
    out.push(
      ...limit(comparison.fixed.map((change) => `- ✅ ${code(change.eval)} › ${code(change.context)}`)),
    );
    out.push('', '</details>');
  }
  if (comparison && comparison.metricDeltas.length > 0) {
    out.push('', `<details><summary>Metric changes (${comparison.metricDeltas.length})</summary>`, '');
    out.push(
      ...limit(
        comparison.metricDeltas.map(
          (delta) =>
            `- ${code(delta.eval)} ${code(delta.metric)}: ${formatNumber(delta.before)} → ${formatNumber(delta.after)} (${delta.delta > 0 ? '+' : '−'}${formatNumber(Math.abs(delta.delta))})`,
        ),
      ),
    );
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}

/** A diverged run, folded: what changed in words, the command that shows it, and the whole diff. */
function divergenceBlock(run: RunRecord): string[] {
  const divergence = run.replay!.diverged!;
  const lines = [`<details><summary>≠ diverged ${escapeText(divergenceWhere(run))}</summary>`, ''];
  for (const line of divergence.summary) lines.push(`- ${escapeText(line)}`);
  const command = diffCommand(run);
  if (command) lines.push('', `${code(command)}`);
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(divergence.diff) + 1));
  lines.push('', `${fence}diff`, divergence.diff.replace(/\n$/, ''), fence, '', '</details>');
  return lines;
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}

function changes(comparison: BaselineComparison): string {
  const parts = describeSetChanges(comparison);
  return parts.length > 0 ? ` · ${parts.join(' · ')}` : '';
}

function outcomeLine(outcome: EvalOutcome): string {
  const icon = outcome.status === 'error' ? '⚠️' : '❌';
  return `- ${icon} ${code(outcome.name)} › ${code(outcome.context)}: ${escapeText(describeOutcome(outcome))}`;
}

function limit(lines: string[]): string[] {
  if (lines.length <= LIST_LIMIT) return lines;
  return [
    ...lines.slice(0, LIST_LIMIT),
    `- …and ${lines.length - LIST_LIMIT} more (see looplet-report.json)`,
  ];
}

/** Inline code that survives backticks and table pipes in names. */
function code(text: string): string {
  const clean = text.replaceAll('|', '\\|').replace(/\s+/g, ' ');
  return clean.includes('`') ? `\`\` ${clean} \`\`` : `\`${clean}\``;
}

/** Text that cannot open HTML tags or break a table row. */
function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('|', '\\|');
}
