import type { EvalOutcome } from '../../evals/types.js';
import type { RunRecord } from '../run-record.js';
import { summarize } from '../summary.js';
import { decideVerdict } from '../verdict.js';
import { renderPage } from './page.js';
import { reportPageData } from './report-page.js';

/** Bytes of step data one run's page embeds at most (@vitest/ui copies the page once per test of the run). */
export const RUN_PAGE_STEP_BUDGET = 4 * 2 ** 20;

/**
 * One run of an eval report as a page of its own: how it was obtained (with a replay's
 * divergence), every eval's verdict on it, and its steps, read now from its trace directory. This
 * is what each test of the run links to in @vitest/ui. Self-contained like the report.
 */
export function renderRunHtml({
  record,
  outcomes,
  root = process.cwd(),
  now = new Date(),
}: {
  record: RunRecord;
  /** The evals' outcomes on this run. */
  outcomes: readonly EvalOutcome[];
  /** Project root the record's trace paths are relative to (default: the current directory). */
  root?: string;
  now?: Date;
}): string {
  const summary = summarize({ outcomes, runs: [record], contexts: [record.id] });
  const { data, blobs } = reportPageData({
    summary,
    verdict: decideVerdict({ summary }),
    root,
    now,
    stepBudget: RUN_PAGE_STEP_BUDGET,
  });
  return renderPage({ data: { ...data, kind: 'run', title: `looplet run: ${record.id}` }, blobs });
}
