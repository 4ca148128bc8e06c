import { join } from 'node:path';
import type { Baseline } from './baseline.js';
import type { BaselineComparison } from './compare.js';
import { writeFileAtomic } from './files.js';
import type { PreparedRuns } from './html/embed.js';
import { renderHtmlReportBytes } from './html/report-page.js';
import { jsonArrayText, jsonObjectText, jsonText } from './json-text.js';
import { renderJUnit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { cached, type RenderCache } from './render-cache.js';
import { REPORT_SCHEMA_VERSION, type RunSummary } from './summary.js';
import type { Verdict } from './verdict.js';

/** File names {@link writeReports} uses. */
export const REPORT_FILES = {
  json: 'looplet-report.json',
  markdown: 'looplet-report.md',
  junit: 'looplet-junit.xml',
  html: 'looplet-report.html',
} as const;

/** The content of `looplet-report.json`. */
export interface JsonReport extends RunSummary {
  kind: 'looplet-report';
  /** When the report was written (ISO 8601). */
  createdAt: string;
  verdict: Verdict;
  comparison?: BaselineComparison;
}

/** Builds the `looplet-report.json` object. */
export function buildJsonReport({
  summary,
  verdict,
  comparison,
  now = new Date(),
}: {
  summary: RunSummary;
  verdict: Verdict;
  comparison?: BaselineComparison;
  now?: Date;
}): JsonReport {
  const report: JsonReport = {
    ...summary,
    schemaVersion: REPORT_SCHEMA_VERSION,
    kind: 'looplet-report',
    createdAt: now.toISOString(),
    verdict,
  };
  if (comparison) report.comparison = comparison;
  return report;
}

/**
 * The text of `looplet-report.json`: `JSON.stringify(buildJsonReport(…), null, 2)` and a newline,
 * with the text of each outcome and run taken from `cache` when it has it.
 */
export function jsonReportText({
  cache,
  ...options
}: Parameters<typeof buildJsonReport>[0] & { cache?: RenderCache }): string {
  const report = buildJsonReport(options);
  // Outcomes and runs are items of top-level arrays: two levels deep.
  const item = (value: object) => cached(cache, 'json', value, () => jsonText(value, 'indented', 2)!);
  const text = jsonObjectText(report, 'indented', 0, {
    outcomes: jsonArrayText(report.outcomes.map(item), 'indented', 1),
    // A summary read from a report older than run records has none.
    ...(report.runs ? { runs: jsonArrayText(report.runs.map(item), 'indented', 1) } : {}),
  });
  return `${text}\n`;
}

/** The options of {@link writeReports}. */
export interface WriteReportsOptions {
  dir: string;
  summary: RunSummary;
  verdict: Verdict;
  comparison?: BaselineComparison;
  /** The baseline compared with: the HTML report shows each score's change against it. */
  baseline?: Baseline;
  formats?: readonly (keyof typeof REPORT_FILES)[];
  /** Project root the runs' trace paths are relative to, for the HTML report (default: the current directory). */
  root?: string;
  /** Runs the HTML report need not read again (embedded where they were scored). */
  preparedRuns?: PreparedRuns;
}

/**
 * Writes `looplet-report.json`, `looplet-report.md`, `looplet-junit.xml` and `looplet-report.html`
 * into `dir` (created when missing). Each file is written whole (temporary name, then rename), so
 * a reader never sees half a report. Returns the paths written.
 */
export async function writeReports(
  options: WriteReportsOptions,
): Promise<Partial<Record<keyof typeof REPORT_FILES, string>>> {
  return writeReportFiles(options);
}

/**
 * {@link writeReports}, rendering through `cache`: what it holds for an outcome or a run is not
 * rendered again (the reporter's watch runs).
 */
export async function writeReportFiles({
  dir,
  summary,
  verdict,
  comparison,
  baseline,
  formats = ['json', 'markdown', 'junit', 'html'],
  root,
  preparedRuns,
  cache,
}: WriteReportsOptions & { cache?: RenderCache }): Promise<
  Partial<Record<keyof typeof REPORT_FILES, string>>
> {
  const written: Partial<Record<keyof typeof REPORT_FILES, string>> = {};
  const render: Record<keyof typeof REPORT_FILES, () => string | Uint8Array> = {
    json: () => jsonReportText({ summary, verdict, ...(comparison ? { comparison } : {}), cache }),
    markdown: () => renderMarkdown({ summary, verdict, comparison }),
    junit: () => renderJUnit({ summary, cache }),
    html: () =>
      renderHtmlReportBytes({
        summary,
        verdict,
        comparison,
        root,
        ...(baseline ? { baseline } : {}),
        ...(preparedRuns ? { prepared: preparedRuns } : {}),
        ...(cache ? { cache } : {}),
      }),
  };
  for (const format of formats) {
    const file = join(dir, REPORT_FILES[format]);
    await writeFileAtomic({ file, content: render[format]() });
    written[format] = file;
  }
  return written;
}
