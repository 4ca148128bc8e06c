import { type Colors, picocolors } from '../util/colors.js';
import {
  describeOrigins,
  diffCommand,
  divergedRuns,
  divergencePlace,
  divergenceWhere,
  type RunRecord,
} from './run-record.js';
import type { RunSummary } from './summary.js';

/** Changed lines of a divergence's diff the terminal shows; the rest is one command (or file) away. */
export const DIFF_EXCERPT_LINES = 20;

/** Diverged runs shown in full in the terminal; the others are counted (every report holds them all). */
const RUN_LIMIT = 10;

/** Obsolete trace ids named in the terminal. */
const OBSOLETE_LIMIT = 10;

/**
 * What the terminal says about the runs, before the eval table: each diverged run once (what
 * changed in words, then the start of the diff and how to see the rest), lenient warnings,
 * re-recorded traces, obsolete goldens, and how the runs were obtained. Colours follow
 * picocolors (off for `NO_COLOR` and non-TTY output); `colors: false` forces plain text.
 */
export function renderRunNotes({ summary, colors }: { summary: RunSummary; colors?: boolean }): string {
  const pc = picocolors();
  const c: Colors = colors === undefined ? pc : pc.createColors(colors);
  const runs = summary.runs ?? [];
  const lines: string[] = [];
  const diverged = divergedRuns(runs);
  for (const run of diverged.slice(0, RUN_LIMIT)) lines.push(...divergedLines(run, c));
  if (diverged.length > RUN_LIMIT)
    lines.push(`…and ${diverged.length - RUN_LIMIT} more diverged runs (see looplet-report.md)`);
  for (const run of runs) {
    const warnings = run.replay?.warnings ?? [];
    if (warnings.length === 0) continue;
    lines.push(
      c.yellow(
        `! ${run.id} replayed with ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (lenient):`,
      ),
    );
    for (const warning of warnings)
      lines.push(`    ${divergencePlace(run, warning)}: ${warning.summary.join('; ')}`);
    const command = diffCommand(run);
    if (command) lines.push(c.dim(`    see: ${command}`));
  }
  for (const run of runs) if (run.updated) lines.push(updatedLine(run, c));
  const obsolete = summary.obsolete ?? [];
  if (obsolete.length > 0) {
    const named = obsolete.slice(0, OBSOLETE_LIMIT).join(', ');
    const more = obsolete.length > OBSOLETE_LIMIT ? `, …and ${obsolete.length - OBSOLETE_LIMIT} more` : '';
    lines.push(
      c.yellow(
        `obsolete: ${obsolete.length} trace${obsolete.length === 1 ? '' : 's'} no eval or agent covers: ${named}${more}`,
      ),
    );
  }
  const origins = describeOrigins(runs);
  if (origins) lines.push(`runs: ${origins}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function divergedLines(run: RunRecord, c: Colors): string[] {
  const divergence = run.replay?.diverged;
  if (!divergence) return [];
  const lines = [c.red(c.bold(`✗ diverged ${divergenceWhere(run)}`))];
  for (const line of divergence.summary) lines.push(`    ${line}`);
  const excerpt = diffExcerpt({ diff: divergence.diff, changedLines: DIFF_EXCERPT_LINES });
  for (const line of excerpt.shown) lines.push(`    ${paintDiffLine(line, c)}`);
  if (excerpt.hidden > 0) {
    const where = diffCommand(run) ?? 'the whole diff is in looplet-report.md';
    lines.push(c.dim(`    … ${excerpt.hidden} more line${excerpt.hidden === 1 ? '' : 's'}: ${where}`));
  } else if (diffCommand(run)) lines.push(c.dim(`    see: ${diffCommand(run)}`));
  return lines;
}

function updatedLine(run: RunRecord, c: Colors): string {
  const update = run.updated!;
  const changed =
    update.changedEvals.length === 0
      ? 'no verdict changed'
      : `verdict changed: ${update.changedEvals.join(', ')}`;
  return c.cyan(
    `↻ updated ${run.trace ?? run.id}: ${update.stepsBefore} → ${update.stepsAfter} steps, ${update.endReasonBefore} → ${update.endReasonAfter}; ${changed}`,
  );
}

/**
 * The start of a unified diff, up to `changedLines` lines that add or remove something (file
 * headers and context lines do not count), and how many lines are left out.
 */
export function diffExcerpt({ diff, changedLines }: { diff: string; changedLines: number }): {
  shown: string[];
  hidden: number;
} {
  const all = diff.replace(/\n$/, '').split('\n');
  let changed = 0;
  let end = all.length;
  for (const [index, line] of all.entries()) {
    if (isChange(line)) changed++;
    if (changed > changedLines) {
      end = index;
      break;
    }
  }
  return { shown: all.slice(0, end), hidden: all.length - end };
}

function isChange(line: string): boolean {
  return (
    (line.startsWith('+') && !line.startsWith('+++')) || (line.startsWith('-') && !line.startsWith('---'))
  );
}

function paintDiffLine(line: string, c: Colors): string {
  if (line.startsWith('@@')) return c.cyan(line);
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('===')) return c.bold(line);
  if (line.startsWith('+')) return c.green(line);
  if (line.startsWith('-')) return c.red(line);
  return c.dim(line);
}
