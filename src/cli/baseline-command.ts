import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { saveBaseline } from '../report/baseline.js';
import type { RunSummary } from '../report/summary.js';
import { plural } from '../util/text.js';
import { LoopletReporter } from '../vitest/reporter.js';
import { runLoopletEval } from '../vitest/run-evals.js';
import { DEFAULT_BASELINE, type EvalFlags } from './eval-flags.js';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';
import { checkBeforeRun, evalRunOptions } from './run-evals-command.js';

/**
 * `looplet-eval baseline update`: runs the evals (or reads a finished report) and saves the
 * summary as the baseline later runs are compared with. Refuses to save a run that had
 * infrastructure errors or diverged replays: a baseline must describe quality, not a broken run
 * or stale traces.
 */
export async function baselineUpdateCommand({
  action,
  paths,
  flags,
  from,
}: {
  action: string;
  paths: string[];
  flags: EvalFlags;
  /** `--from`: a finished looplet-report.json to take the results from. */
  from?: string;
}): Promise<ExitCode> {
  if (action !== 'update')
    throw new UsageError(`unknown baseline action "${action}"; the only action is "update"`);
  const cwd = process.cwd();
  const file = path.resolve(cwd, flags.baseline ?? DEFAULT_BASELINE);
  let summary: RunSummary;
  if (from !== undefined) {
    summary = await summaryFromReport(path.resolve(cwd, from));
  } else {
    const { run, reporter: reporterOptions } = evalRunOptions({
      paths,
      flags: { ...flags, failOn: 'never' },
      cwd,
      compare: false,
    });
    await checkBeforeRun({ run, cwd });
    const reporter = new LoopletReporter(reporterOptions);
    await runLoopletEval({ ...run, loopletReporters: [reporter] });
    if (!reporter.finished) return EXIT.infrastructure;
    summary = reporter.finished.summary;
  }
  if (summary.totals.infrastructureErrors > 0 || summary.totals.errors > 0) {
    console.error(
      `not saved: the run had ${plural(summary.totals.errors, 'eval error')} and ${plural(summary.totals.infrastructureErrors, 'infrastructure error')}; fix them first`,
    );
    return EXIT.infrastructure;
  }
  const diverged = summary.totals.diverged ?? 0;
  if (diverged > 0) {
    console.error(
      `not saved: ${plural(diverged, 'replay')} diverged from their recording, so their evals were not scored; re-record them (looplet-eval -u) or fix the change first`,
    );
    return EXIT.failed;
  }
  await saveBaseline({ summary, file });
  console.log(
    `baseline saved to ${path.relative(cwd, file)}: ${plural(summary.totals.evals, 'eval')} × ${plural(summary.totals.contexts, 'run')}`,
  );
  return EXIT.ok;
}

async function summaryFromReport(file: string): Promise<RunSummary> {
  let report: unknown;
  try {
    report = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--from ${file}: not a readable looplet-report.json (${(error as Error).message})`);
  }
  if (
    typeof report !== 'object' ||
    report === null ||
    (report as { kind?: unknown }).kind !== 'looplet-report'
  ) {
    throw new UsageError(
      `--from ${file}: not a looplet-report.json (written by looplet-eval into .looplet/report/)`,
    );
  }
  return report as RunSummary;
}
