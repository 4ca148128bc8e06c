import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EvalOutcome } from '../../evals/types.js';
import type { RecordedTrace } from '../../provenance/types.js';
import type { Baseline } from '../baseline.js';
import type { BaselineComparison } from '../compare.js';
import { JSON_SLOT, jsonObjectText } from '../json-text.js';
import { cached, type RenderCache, type Rendered } from '../render-cache.js';
import type { RunRecord } from '../run-record.js';
import { countStatus, emptyStatusCounts, type RunSummary, type StatusCounts } from '../summary.js';
import type { Verdict } from '../verdict.js';
import { type PreparedRuns, RunEmbedder } from './embed.js';
import { renderPage, renderPageBuffers, runPieces, scriptJson } from './page.js';
import type {
  ComparisonView,
  EvalView,
  OutcomeStatus,
  OutcomeView,
  PageData,
  RunEntry,
} from './page-data.js';
import { cutStrings, type EmbeddedRun, embedRun } from './run-data.js';

/** Bytes of step data a report embeds in all (the page stays under 20 MB with its index). */
export const REPORT_STEP_BUDGET = 16 * 2 ** 20;
/** Longest string of a step or an outcome's details a report keeps whole. */
const REPORT_MAX_STRING = 10_000;
/** Every run may take at least this much of the budget while budget is left. */
const MIN_RUN_SHARE = 128 * 2 ** 10;

/**
 * A run embedded ahead of the report (where its trace is open anyway, e.g. by the thread that
 * scored it), with the limits the report uses: {@link renderHtmlReport} takes it as it is where
 * reading the trace again would give the same.
 */
export function prepareReportRun(trace: RecordedTrace): EmbeddedRun {
  return embedRun({ trace, limits: { maxString: REPORT_MAX_STRING, maxBytes: MIN_RUN_SHARE } });
}

/** The options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  summary: RunSummary;
  verdict: Verdict;
  comparison?: BaselineComparison;
  /** The baseline compared with: each cell shows its score change against it. */
  baseline?: Baseline;
  /** Project root: run records' trace paths are relative to it (default: the current directory). */
  root?: string;
  now?: Date;
  /** Bytes of step data to embed at most (default 16 MiB). */
  stepBudget?: number;
  /** Runs embedded ahead ({@link prepareReportRun}), by absolute trace directory: not read again. */
  prepared?: PreparedRuns;
  /** Outcome and run texts rendered before (watch sessions; {@link renderHtmlReportBuffers} only). */
  cache?: RenderCache;
}

/**
 * Renders `looplet-report.html`: the verdict, counts, what changed against the baseline, the
 * eval × run matrix, and every run step by step (read now from its trace directory). One file,
 * with nothing to fetch: it opens from `file://` and as a CI artifact.
 *
 * @example
 * await writeFile('report.html', renderHtmlReport({ summary, verdict, comparison }));
 */
export function renderHtmlReport(options: HtmlReportOptions): string {
  return renderPage(reportPageData(options));
}

/**
 * {@link renderHtmlReport} as the file's bytes (UTF-8), in pieces to write one after another.
 * Through `cache`, each outcome's and each run's part is encoded once, and blocks of them are
 * written as they are on every later watch run.
 */
export function renderHtmlReportBuffers(options: HtmlReportOptions): Buffer[] {
  const { cache } = options;
  const page = reportPagePieces(options, (outcome) =>
    cached(cache, 'html-outcome-bytes', outcome, (key) => Buffer.from(safeOutcomeBody(key))),
  );
  const { outcomes, runs } = page;
  const safeBlob = (run: EmbeddedRun) =>
    cached(cache, 'html-run-bytes', run, (key) => Buffer.from(scriptJson(key.json)));
  const runPiecesOf = (start: number, end: number) => runPieces(runs, start, end, safeBlob);
  return renderPageBuffers({
    title: page.title,
    safeData: [
      page.before,
      ...(cache
        ? cache.blocks('html-outcomes', outcomes, page.outcomePieces, page.outcomeContext(cache))
        : page.outcomePieces(0, outcomes.length)),
      page.after,
    ],
    runSection: cache ? cache.blocks('html-runs', runs, runPiecesOf) : runPiecesOf(0, runs.length),
  });
}

/**
 * What an outcome's view holds of the outcome itself, as the members of its JSON object, safe in
 * the page's script element: the same whatever else the page holds. Never empty (a view always
 * has a status, a threshold and a duration).
 */
function safeOutcomeBody(outcome: EvalOutcome): string {
  return scriptJson(JSON.stringify(outcomeBody(outcome)).slice(1, -1));
}

/** The page data's JSON in pieces (safe in a script element), and the runs embedded. */
interface ReportPagePieces<T extends Rendered> {
  title: string;
  /** The data's JSON up to the outcomes' items, and after them. */
  before: string;
  after: string;
  outcomes: readonly EvalOutcome[];
  /** The items of outcomes `start…end`, with the commas between them. */
  outcomePieces: (start: number, end: number) => Array<string | T>;
  /**
   * What an outcome's item depends on beyond the outcome and its place: the evals' and runs'
   * order (their indexes) and the baseline (the change against it).
   */
  outcomeContext: (cache: RenderCache) => string;
  runs: readonly EmbeddedRun[];
}

/**
 * The page data's JSON in pieces. Each outcome's view is its place in the page, `body` (see
 * {@link safeOutcomeBody}), and its change against the baseline: exactly `JSON.stringify(data)`.
 */
function reportPagePieces<T extends Rendered>(
  options: HtmlReportOptions,
  body: (outcome: EvalOutcome) => T,
): ReportPagePieces<T> {
  const { data, outcomes, evalIndex, runIndex, changeOf, runs } = reportPageParts(options);
  const report = jsonObjectText(data.report!, 'compact', 1, { outcomes: JSON_SLOT });
  const [before, after] = scriptJson(jsonObjectText(data, 'compact', 0, { report })).split(JSON_SLOT);
  const outcomePieces = (start: number, end: number) => {
    const pieces: Array<string | T> = [];
    for (let index = start; index < end; index++) {
      const outcome = outcomes[index]!;
      const evalAt = evalIndex.get(outcome.name);
      const runAt = runIndex.get(outcome.context);
      const change = changeOf(outcome);
      let head = index === 0 ? '{' : ',{';
      if (evalAt !== undefined) head += `"eval":${evalAt},`;
      if (runAt !== undefined) head += `"run":${runAt},`;
      pieces.push(head, body(outcome), change ? scriptJson(`,${JSON.stringify(change).slice(1, -1)}}`) : '}');
    }
    return pieces;
  };
  const { comparison, baseline } = options;
  // A change is the outcome's status against the baseline's entry for it: the same while the
  // baseline is the same object. A comparison without its baseline is taken as new every time.
  const outcomeContext = (cache: RenderCache) =>
    [
      [...evalIndex.keys()].join('\u0000'),
      [...runIndex.keys()].join('\u0000'),
      baseline
        ? `baseline ${cache.idOf(baseline)}`
        : comparison
          ? `comparison ${cache.idOf(comparison)}`
          : '',
    ].join('\u0001');
  return {
    title: data.title,
    before: `${before}[`,
    after: `]${after}`,
    outcomes,
    outcomePieces,
    outcomeContext,
    runs,
  };
}

/** The data of a report page, and the runs it embeds. */
export function reportPageData(options: HtmlReportOptions): { data: PageData; blobs: string[] } {
  const { data, outcomes, evalIndex, runIndex, changeOf, runs } = reportPageParts(options);
  data.report!.outcomes = outcomes.map((outcome) => ({
    eval: evalIndex.get(outcome.name),
    run: runIndex.get(outcome.context),
    ...outcomeBody(outcome),
    ...changeOf(outcome),
  })) as OutcomeView[];
  return { data, blobs: runs.map((run) => run.json) };
}

/** The page data with `report.outcomes` left empty, and what each outcome's view is made of. */
interface ReportPageParts {
  data: PageData;
  outcomes: readonly EvalOutcome[];
  /** Each eval's index in the page, by name; each run's, by id. */
  evalIndex: ReadonlyMap<string, number>;
  runIndex: ReadonlyMap<string, number>;
  /** The outcome's change against the baseline, if it has one. */
  changeOf: (outcome: EvalOutcome) => Pick<OutcomeView, 'change' | 'before'> | undefined;
  /** The runs embedded, in blob order. */
  runs: readonly EmbeddedRun[];
}

/** What an outcome's view holds of the outcome itself: the same whatever else the page holds. */
function outcomeBody(outcome: EvalOutcome): Omit<OutcomeView, 'eval' | 'run' | 'change' | 'before'> {
  const cut = { cut: false };
  const view: Omit<OutcomeView, 'eval' | 'run' | 'change' | 'before'> = {
    status: outcome.status as OutcomeStatus,
    threshold: outcome.threshold,
    durationMs: outcome.durationMs,
  };
  if (outcome.score !== undefined) view.score = outcome.score;
  if (outcome.label !== undefined) view.label = outcome.label;
  if (outcome.reason !== undefined) view.reason = cutStrings(outcome.reason, REPORT_MAX_STRING, cut);
  if (Object.keys(outcome.metrics).length > 0) view.metrics = outcome.metrics;
  if (Object.keys(outcome.details).length > 0)
    view.details = cutStrings(outcome.details, REPORT_MAX_STRING, cut);
  if (outcome.error) view.error = cutStrings(outcome.error, REPORT_MAX_STRING, cut);
  return view;
}

function reportPageParts({
  summary,
  verdict,
  comparison,
  baseline,
  root = process.cwd(),
  now = new Date(),
  stepBudget = REPORT_STEP_BUDGET,
  prepared,
}: HtmlReportOptions): ReportPageParts {
  const records = new Map(summary.runs.map((record) => [record.id, record]));
  const ids = [...new Set([...summary.contexts, ...records.keys()])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const embedder = new RunEmbedder({
    budget: stepBudget,
    maxString: REPORT_MAX_STRING,
    minShare: MIN_RUN_SHARE,
    ...(prepared ? { prepared } : {}),
  });
  const runs = ids.map((id, position) =>
    runEntry({ id, record: records.get(id), root, embedder, runsLeft: ids.length - position }),
  );
  const runIndex = new Map(ids.map((id, index) => [id, index]));
  const evalIndex = new Map(summary.evals.map((item, index) => [item.name, index]));

  const before = new Map<string, { status: string; score?: number; change: 'new-failure' | 'fixed' }>();
  for (const [list, change] of [
    [comparison?.newFailures ?? [], 'new-failure'],
    [comparison?.fixed ?? [], 'fixed'],
  ] as const)
    for (const item of list)
      before.set(`${item.eval}\u0000${item.context}`, {
        status: item.before ?? 'absent',
        ...(item.beforeScore !== undefined ? { score: item.beforeScore } : {}),
        change,
      });

  const counts = summary.evals.map(() => emptyStatusCounts());
  const totals = emptyStatusCounts();
  // Outcomes come sorted by eval: the eval's counts are looked up once per eval, not per outcome.
  let countsOf: { name: string; counts: StatusCounts | undefined } | undefined;
  for (const outcome of summary.outcomes) {
    if (!countStatus(totals, outcome.status)) continue;
    if (countsOf?.name !== outcome.name) {
      const index = evalIndex.get(outcome.name);
      countsOf = { name: outcome.name, counts: index === undefined ? undefined : counts[index] };
    }
    if (countsOf.counts) countStatus(countsOf.counts, outcome.status);
  }
  const changeOf = (outcome: EvalOutcome): Pick<OutcomeView, 'change' | 'before'> | undefined => {
    const known = before.size > 0 ? before.get(`${outcome.name}\u0000${outcome.context}`) : undefined;
    if (known)
      return {
        change: known.change,
        before: { status: known.status, ...(known.score !== undefined ? { score: known.score } : {}) },
      };
    const accepted = baseline?.results[outcome.name]?.[outcome.context];
    if (accepted)
      return {
        before: {
          status: accepted.status,
          ...(accepted.score !== undefined ? { score: accepted.score } : {}),
        },
      };
    return undefined;
  };

  const deltas = new Map((comparison?.scores ?? []).map((change) => [change.eval, change.delta]));
  const drops = new Set((comparison?.scoreDrops ?? []).map((change) => change.eval));
  const evals: EvalView[] = summary.evals.map((item, index) => {
    const view: EvalView = {
      name: item.name,
      required: item.required,
      tags: item.tags,
      passRate: item.passRate,
      meanScore: item.meanScore,
      counts: counts[index]!,
    };
    if (item.file !== undefined) view.file = item.file;
    const delta = deltas.get(item.name);
    if (delta !== undefined) view.delta = delta;
    if (drops.has(item.name)) view.dropped = true;
    return view;
  });

  const cut = { cut: false };
  const data: PageData = {
    kind: 'report',
    title: `looplet-eval: ${verdict.headline}`,
    createdAt: now.toISOString(),
    runs,
    report: {
      verdict,
      totals: {
        evals: summary.totals.evals,
        runs: ids.length,
        outcomes: summary.outcomes.length,
        passed: totals.passed,
        failed: totals.failed,
        errors: totals.error,
        diverged: runs.filter((run) => run.replay?.diverged).length,
        skipped: totals.skipped,
        reported: totals.reported,
        infrastructureErrors: summary.infrastructureErrors.length,
      },
      evals,
      outcomes: [],
      infrastructureErrors: summary.infrastructureErrors.map((error) => ({
        ...error,
        message: cutStrings(error.message, REPORT_MAX_STRING, cut),
      })),
      ...(comparison ? { comparison: comparisonView(comparison) } : {}),
    },
  };
  return { data, outcomes: summary.outcomes, evalIndex, runIndex, changeOf, runs: embedder.runs };
}

/** A run's entry: what its record says, and its steps read from the trace (and the replayed run). */
function runEntry({
  id,
  record,
  root,
  embedder,
  runsLeft,
}: {
  id: string;
  record: RunRecord | undefined;
  root: string;
  embedder: RunEmbedder;
  runsLeft: number;
}): RunEntry {
  const entry: RunEntry = { id };
  if (record) {
    entry.origin = record.origin;
    entry.endReason = record.endReason;
    entry.stepCount = record.steps;
    if (record.trace !== undefined) entry.trace = record.trace;
    if (record.replayedTrace !== undefined) entry.replayedTrace = record.replayedTrace;
    if (record.agentFile !== undefined) entry.agentFile = record.agentFile;
    if (record.replay) entry.replay = record.replay;
    if (record.updated) entry.updated = record.updated;
  } else {
    // No run record (a summary from before the runner wrote them): a trace id is its path under
    // the default traces root. A case id is free text: it must not lead out of that root.
    const traces = path.resolve(root, 'traces');
    const guess = path.resolve(traces, id);
    if (guess.startsWith(`${traces}${path.sep}`) && existsSync(guess))
      entry.trace = path.relative(root, guess);
  }
  const scored = entry.replayedTrace ?? entry.trace;
  if (scored === undefined) {
    entry.missing = 'no trace: this run was not recorded';
    return entry;
  }
  const embedded = embedder.embed({ dir: path.resolve(root, scored), runsLeft });
  if ('blob' in embedded) {
    entry.blob = embedded.blob;
    entry.endReason ??= embedded.endReason;
    entry.stepCount ??= embedded.stepCount;
  } else entry.missing = embedded.missing;
  if (entry.replayedTrace !== undefined && entry.trace !== undefined) {
    const recorded = embedder.embed({ dir: path.resolve(root, entry.trace), runsLeft });
    if ('blob' in recorded) entry.recordedBlob = recorded.blob;
  }
  return entry;
}

function comparisonView(comparison: BaselineComparison): ComparisonView {
  const change = (item: BaselineComparison['newFailures'][number]) => {
    const { context, ...rest } = item;
    return { ...rest, run: context };
  };
  return {
    tolerance: comparison.tolerance,
    regressions: comparison.regressions,
    newFailures: comparison.newFailures.map(change),
    fixed: comparison.fixed.map(change),
    scoreDrops: comparison.scoreDrops.map((drop) => ({
      eval: drop.eval,
      before: drop.before,
      after: drop.after,
      delta: drop.delta,
      runs: drop.contexts,
    })),
    evalsAdded: comparison.evalsAdded,
    evalsRemoved: comparison.evalsRemoved,
    runsAdded: comparison.contextsAdded,
    runsRemoved: comparison.contextsRemoved,
  };
}
