import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, SerializedError, TestModule, TestSpecification, Vitest } from 'vitest/node';
import type { EvalOutcome } from '../evals/types.js';
import { type Baseline, type BaselineRead, readBaselineAgain } from '../report/baseline.js';
import { type BaselineComparison, compareToBaseline } from '../report/compare.js';
import { formatOutcome } from '../report/format.js';
import { RenderCache } from '../report/render-cache.js';
import { renderRunNotes } from '../report/runs-text.js';
import { type InfrastructureError, type RunSummary, summarizeRun } from '../report/summary.js';
import { renderTable } from '../report/table.js';
import { thrownAt } from '../report/thrown-at.js';
import { decideVerdict, type FailOn, type Verdict } from '../report/verdict.js';
import { jsonReportText, writeReportFiles } from '../report/write.js';
import { oneLine } from '../util/text.js';
import { CollectedModules, collectOutcomes } from './collect-outcomes.js';
import { ReportRunCollector } from './report-runs.js';
import {
  closeSnapshot,
  KeptTraceChecks,
  snapshotTraces,
  type TraceSnapshot,
  traceChanges,
  tracesOfChunks,
} from './trace-changes.js';
import { changeCount, changesSince } from './watch-changes.js';

/** Runs shorter than this show no progress line: it would only flicker. */
const PROGRESS_AFTER_MS = 1000;

/** The options of {@link LoopletReporter}. */
export interface LoopletReporterOptions {
  /** Project root: relative paths resolve against it (default: vitest's root). */
  cwd?: string;
  /** Baseline file to compare with; a missing file means "no baseline yet" (reported, not an error). */
  baseline?: string;
  /** Score drop that counts as a regression (default 0.05). */
  tolerance?: number;
  failOn?: FailOn;
  /** Where the report files go (default `.looplet/report`). */
  outDir?: string;
  /** Print the JSON report to stdout instead of the table (for scripts). */
  json?: boolean;
  /**
   * The run scores part of the suite, in words (`shard 1/2`, `-t greet`, `--include smoke`): what
   * the baseline has beyond it is reported as not run, not as removed. Default: vitest's own
   * `--shard` and `-t`, when set.
   */
  partial?: string;
  /** Where text goes (default: stdout). */
  write?: (text: string) => void;
  /** Called with the finished run, e.g. by `baseline update`. */
  onFinished?: (run: FinishedRun) => void | Promise<void>;
}

/** What a run ended with. */
export interface FinishedRun {
  summary: RunSummary;
  comparison: BaselineComparison | undefined;
  verdict: Verdict;
}

/**
 * The vitest reporter that turns looplet's test results into the eval report: summary, baseline
 * comparison, verdict, report files and the terminal table. Works the same on a live run and on
 * `--merge-reports` input (it reads only what tests carry in their meta). Sets `process.exitCode`
 * to the verdict's exit code, so plain `vitest` users get looplet's exit codes too.
 */
export class LoopletReporter implements Reporter {
  readonly #options: LoopletReporterOptions;
  #root = process.cwd();
  #partial: string | undefined;
  #baselineNote: string | undefined;
  #baseline: Baseline | undefined;
  /** The baseline file as the last run read it: while its text is the same, so is the baseline object. */
  #baselineRead: BaselineRead | undefined;
  #progress: { files: number; done: number; tests: number; started: number; shown?: boolean } | undefined;
  /** The files of the traces this run scores, as they were before it: evals must not change them. */
  #traces: TraceSnapshot | undefined;
  /** Runs the scoring threads embedded for the HTML report, so it need not read their traces again (kept across watch runs). */
  #reportRuns: ReportRunCollector | undefined;
  /** What each test module held when last read (watch mode): a re-run reads only the modules it ran. */
  readonly #collected = new CollectedModules();
  /** How many watcher changes the kept runs have caught up with. */
  #changesSeen = 0;
  /** What the reports rendered per outcome and run (watch mode): a re-run renders only what it scored. */
  readonly #rendered = new RenderCache();
  /** The kernel watches of traces no change touched (watch mode), for the next run. */
  #keptTraceChecks: KeptTraceChecks | undefined;
  #vitest: Vitest | undefined;
  /** The last finished run (watch mode runs many). */
  finished: FinishedRun | undefined;

  constructor(options: LoopletReporterOptions = {}) {
    this.#options = options;
  }

  onInit(vitest: Vitest): void {
    this.#root = this.#options.cwd ?? vitest.config.root;
    this.#vitest = vitest;
    const { shard, testNamePattern } = vitest.config;
    const selected = [
      ...(shard ? [`shard ${shard.index}/${shard.count}`] : []),
      // A RegExp's source escapes `/`: show the pattern as it was typed.
      ...(testNamePattern ? [`-t ${testNamePattern.source.replaceAll('\\/', '/')}`] : []),
    ];
    this.#partial = this.#options.partial ?? (selected.length > 0 ? selected.join(', ') : undefined);
  }

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    if (this.#traces) closeSnapshot(this.#traces); // A watch-mode run cancelled before its end.
    const moduleIds = specifications.map((specification) => specification.moduleId);
    this.#collected.forget(moduleIds);
    const traces = tracesOfChunks(moduleIds);
    this.#reportRuns ??= new ReportRunCollector();
    // A changed trace's run is embedded again by the thread that scores it (or read again, should
    // that thread not send it); the others' are kept.
    this.#reportRuns.forgetChanged(changesSince(this.#changesSeen));
    this.#changesSeen = changeCount();
    // A watch session keeps the watches of untouched traces from run to run.
    if (this.#vitest?.config.watch) this.#keptTraceChecks ??= new KeptTraceChecks();
    this.#traces = snapshotTraces({
      root: this.#root,
      traces,
      ...(this.#keptTraceChecks ? { kept: this.#keptTraceChecks } : {}),
    });
    this.#progress = this.#showProgress()
      ? { files: specifications.length, done: 0, tests: 0, started: performance.now() }
      : undefined;
  }

  /** One line, rewritten in place as chunks finish: only on a terminal, and only once a run takes a while. */
  onTestModuleEnd(module: TestModule): void {
    const progress = this.#progress;
    if (!progress) return;
    progress.done++;
    for (const _test of module.children.allTests()) progress.tests++;
    if (performance.now() - progress.started < PROGRESS_AFTER_MS) return;
    process.stdout.write(
      `\r\x1b[2Kscoring: ${progress.done}/${progress.files} chunks · ${progress.tests} eval results`,
    );
    progress.shown = true;
  }

  #showProgress(): boolean {
    return process.stdout.isTTY === true && !this.#options.json && this.#options.write === undefined;
  }

  async onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): Promise<void> {
    if (this.#progress?.shown) process.stdout.write('\r\x1b[2K');
    this.#progress = undefined;
    // A watch re-run runs the chunks that hold what changed; the report is of every chunk, the
    // others as their last run left them.
    const modules = this.#vitest?.config.watch ? this.#vitest.state.getTestModules() : testModules;
    const collected = collectOutcomes({
      testModules: modules,
      unhandledErrors,
      ...(this.#vitest?.config.watch ? { kept: this.#collected } : {}),
    });
    const { outcomes, infrastructureErrors } = foldRunErrors({
      outcomes: collected.outcomes,
      errors: [
        ...collected.runErrors,
        ...collected.runs.flatMap((run) =>
          run.error ? [{ source: run.id, kind: run.error.kind, message: run.error.message }] : [],
        ),
      ],
    });
    // Every chunk imports every eval file: one broken file fails each chunk with the same message.
    for (const failure of collected.moduleFailures) {
      const kind = failure.name === 'AgentScopeError' ? 'agent-config' : 'import';
      if (!infrastructureErrors.some((error) => error.kind === kind && error.message === failure.message))
        infrastructureErrors.push({
          source: path.relative(this.#root, failure.module),
          message: failure.message,
          kind,
        });
    }
    for (const message of collected.unhandledErrors)
      infrastructureErrors.push({ source: 'vitest', message, kind: 'unhandled' });
    if (this.#traces)
      infrastructureErrors.push(
        ...(await traceChanges({
          snapshot: this.#traces,
          outcomes: collected.outcomes,
          runs: collected.runs,
        })),
      );
    this.#traces = undefined;
    const summary = summarizeRun({
      outcomes,
      infrastructureErrors,
      runs: collected.runs,
      obsolete: collected.obsolete,
    });
    const comparison = await this.#compare(summary);
    const verdict = decideVerdict({
      summary,
      ...(comparison ? { comparison } : {}),
      failOn: this.#options.failOn ?? 'failure',
    });
    this.finished = { summary, comparison, verdict };
    const write = this.#options.write ?? ((text: string) => process.stdout.write(text));
    const outDir = path.resolve(this.#root, this.#options.outDir ?? path.join('.looplet', 'report'));
    // Only a watch session renders the same outcomes again: a single run keeps nothing.
    const cache = this.#vitest?.config.watch ? this.#rendered : undefined;
    // `--json` prints the JSON report: rendered once, for the file and for stdout.
    const json = this.#options.json
      ? jsonReportText({ summary, verdict, ...(comparison ? { comparison } : {}), cache })
      : undefined;
    const writing = writeReportFiles({
      cache,
      ...(json !== undefined ? { rendered: { json } } : {}),
      dir: outDir,
      summary,
      verdict,
      ...(comparison ? { comparison } : {}),
      ...(this.#baseline ? { baseline: this.#baseline } : {}),
      ...(this.#reportRuns ? { preparedRuns: this.#reportRuns.runs } : {}),
    });
    // Rendered while the files are written; shown once they are.
    const shown =
      json ??
      `\n${problemLines(summary)}${renderRunNotes({ summary })}${renderTable({ summary, verdict, ...(comparison ? { comparison } : {}) })}\n`;
    const written = await writing;
    write(shown);
    if (!this.#options.json) {
      if (this.#baselineNote) write(`${this.#baselineNote}\n`);
      write(
        `reports: ${Object.values(written)
          .map((file) => path.relative(this.#root, file))
          .join(', ')}\n`,
      );
    }
    process.exitCode = verdict.exitCode;
    await this.#options.onFinished?.(this.finished);
  }

  async #compare(summary: RunSummary): Promise<BaselineComparison | undefined> {
    const file = this.#options.baseline;
    this.#baseline = undefined;
    if (!file) return undefined;
    const absolute = path.resolve(this.#root, file);
    if (!existsSync(absolute)) {
      this.#baselineNote = `no baseline at ${file} yet: \`looplet-eval baseline update\` saves one`;
      return undefined;
    }
    this.#baselineNote = undefined;
    this.#baselineRead = await readBaselineAgain({
      file: absolute,
      ...(this.#baselineRead ? { last: this.#baselineRead } : {}),
    });
    const { baseline } = this.#baselineRead;
    this.#baseline = baseline;
    return compareToBaseline({
      current: summary,
      baseline,
      ...(this.#options.tolerance !== undefined ? { tolerance: this.#options.tolerance } : {}),
      ...(this.#partial !== undefined ? { partial: this.#partial } : {}),
    });
  }
}

/** Failures and errors listed before the table (which only counts them), so a terminal shows what failed. */
const PROBLEM_LIMIT = 20;

function problemLines(summary: RunSummary): string {
  const lines = summary.infrastructureErrors
    .slice(0, PROBLEM_LIMIT)
    .map((error) => `! ${error.source} (${error.kind}): ${oneLine(error.message, 400)}`);
  let problems = summary.infrastructureErrors.length;
  // Outcomes of a diverged run are not listed: the divergence is shown once, for the run.
  for (const outcome of summary.outcomes) {
    if (outcome.status !== 'failed' && outcome.status !== 'error') continue;
    problems++;
    if (lines.length >= PROBLEM_LIMIT) continue; // Only counted: the lines past the limit are not shown.
    // The JSON report has the stack; the terminal names the line that threw.
    const at = outcome.error ? thrownAt(outcome.error) : undefined;
    lines.push(`${formatOutcome(outcome)}${at ? `  at ${at}` : ''}`);
  }
  if (problems > PROBLEM_LIMIT) lines.push(`…and ${problems - PROBLEM_LIMIT} more (see looplet-report.md)`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * An unreadable trace or a crashed agent fails every eval on its run: that is one infrastructure
 * error, not N eval errors. Folds such outcomes into the errors the chunks reported per run
 * (adding one for a run that reported none, e.g. from an older blob report).
 */
function foldRunErrors({
  outcomes: all,
  errors,
}: {
  outcomes: readonly EvalOutcome[];
  errors: readonly InfrastructureError[];
}): { outcomes: EvalOutcome[]; infrastructureErrors: InfrastructureError[] } {
  const outcomes: EvalOutcome[] = [];
  const byRun = new Map<string, InfrastructureError>();
  const key = (source: string, kind: string) => `${kind === 'trace-version' ? 'trace' : kind}\0${source}`;
  for (const error of errors) byRun.set(key(error.source, error.kind), error);
  for (const outcome of all) {
    const kind = outcome.status === 'error' ? outcome.error?.kind : undefined;
    if (kind === 'trace' || kind === 'agent') {
      const id = key(outcome.context, kind);
      if (!byRun.has(id)) byRun.set(id, { source: outcome.context, message: outcome.error!.message, kind });
    } else {
      outcomes.push(outcome);
    }
  }
  return { outcomes, infrastructureErrors: [...byRun.values()] };
}
