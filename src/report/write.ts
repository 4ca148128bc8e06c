import { join } from 'node:path';
import type { Baseline } from './baseline.js';
import type { BaselineComparison } from './compare.js';
import { writeFileAtomic } from './files.js';
import type { PreparedRuns } from './html/embed.js';
import { renderHtmlReport } from './html/report-page.js';
import { renderJUnit } from './junit.js';
import { renderMarkdown } from './markdown.js';
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
 * Writes `looplet-report.json`, `looplet-report.md`, `looplet-junit.xml` and `looplet-report.html`
 * into `dir` (created when missing). Each file is written whole (temporary name, then rename), so
 * a reader never sees half a report. Returns the paths written.
 */
export async function writeReports({
  dir,
  summary,
  verdict,
  comparison,
  baseline,
  formats = ['json', 'markdown', 'junit', 'html'],
  root,
  preparedRuns,
}: {
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
}): Promise<Partial<Record<keyof typeof REPORT_FILES, string>>> {
  const written: Partial<Record<keyof typeof REPORT_FILES, string>> = {};
  const render: Record<keyof typeof REPORT_FILES, () => string> = {
    json: () => `${JSON.stringify(buildJsonReport({ summary, verdict, comparison }), null, 2)}\n`,
    markdown: () => renderMarkdown({ summary, verdict, comparison }),
    junit: () => renderJUnit({ summary }),
    html: () =>
      renderHtmlReport({
        summary,
        verdict,
        comparison,
        root,
        ...(baseline ? { baseline } : {}),
        ...(preparedRuns ? { prepared: preparedRuns } : {}),
      }),
  };
  for (const format of formats) {
    const file = join(dir, REPORT_FILES[format]);
    await writeFileAtomic({ file, content: render[format]() });
    written[format] = file;
  }
  return written;
}
