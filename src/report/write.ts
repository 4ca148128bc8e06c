import { join } from 'node:path';
import type { Baseline } from './baseline.js';
import type { BaselineComparison } from './compare.js';
import { writeFileAtomic } from './files.js';
import type { PreparedRuns } from './html/embed.js';
import { renderHtmlReport, renderHtmlReportBuffers } from './html/report-page.js';
import { JSON_SLOT, jsonObjectText, jsonText } from './json-text.js';
import { renderJUnit, renderJUnitBuffers } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { cached, type RenderCache, type Rendered, toBuffers } from './render-cache.js';
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
export function jsonReportText({ cache, ...options }: JsonReportOptions): string {
  // Without kept texts, one native pass over the whole is the fastest.
  if (!cache) return `${JSON.stringify(buildJsonReport(options), null, 2)}\n`;
  const item = (value: object) => cache.get('json', value, () => jsonText(value, 'indented', 2)!);
  return jsonReportPieces(options, (values) => itemPieces(values, 0, values.length, item)).join('');
}

/**
 * {@link jsonReportText} as the file's bytes (UTF-8), in pieces to write one after another.
 * Through `cache`, each outcome and run is encoded once, and blocks of them are written as they
 * are on every later watch run.
 */
export function jsonReportBuffers({ cache, ...options }: JsonReportOptions): Buffer[] {
  const item = (value: object) =>
    cached(cache, 'json-bytes', value, () => Buffer.from(jsonText(value, 'indented', 2)!));
  return toBuffers(
    jsonReportPieces(options, (values, name) =>
      cache
        ? cache.blocks(`json-${name}`, values, (start, end) => itemPieces(values, start, end, item))
        : itemPieces(values, 0, values.length, item),
    ),
  );
}

type JsonReportOptions = Parameters<typeof buildJsonReport>[0] & { cache?: RenderCache };

/**
 * The report's text in pieces, the outcomes and runs (items of top-level arrays) from `items`:
 * what an array holds between its brackets, given by {@link itemPieces}.
 */
function jsonReportPieces(
  options: Parameters<typeof buildJsonReport>[0],
  items: (values: readonly object[], name: 'outcomes' | 'runs') => readonly Rendered[],
): Rendered[] {
  const report = buildJsonReport(options);
  // A summary read from a report older than run records has none.
  const arrays = [
    ['outcomes', report.outcomes],
    ...(report.runs ? [['runs', report.runs] as const] : []),
  ] as const;
  const text = jsonObjectText(report, 'indented', 0, {
    outcomes: JSON_SLOT,
    ...(report.runs ? { runs: JSON_SLOT } : {}),
  });
  // The slots come in the object's key order: outcomes, then runs.
  const between = text.split(JSON_SLOT);
  const pieces: Rendered[] = [between[0]!];
  arrays.forEach(([name, values], index) => {
    if (values.length === 0) pieces.push('[]');
    else {
      // Not spread into push(): a call takes fewer arguments than a big run has pieces.
      for (const piece of items(values, name)) pieces.push(piece);
      pieces.push('\n  ]');
    }
    pieces.push(between[index + 1]!);
  });
  pieces.push('\n');
  return pieces;
}

/** Items `start…end` of a top-level array, each with what comes before it (the array's `[` for the first). */
function itemPieces(
  values: readonly object[],
  start: number,
  end: number,
  item: (value: object) => Rendered,
): Rendered[] {
  const pieces: Rendered[] = [];
  for (let at = start; at < end; at++) pieces.push(at === 0 ? '[\n    ' : ',\n    ', item(values[at]!));
  return pieces;
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
  rendered = {},
}: WriteReportsOptions & {
  cache?: RenderCache;
  /** Files rendered already (the reporter's `--json` prints the JSON report it writes). */
  rendered?: Partial<Record<keyof typeof REPORT_FILES, string>>;
}): Promise<Partial<Record<keyof typeof REPORT_FILES, string>>> {
  const written: Partial<Record<keyof typeof REPORT_FILES, string>> = {};
  const render: Record<keyof typeof REPORT_FILES, () => string | Uint8Array | Uint8Array[]> = {
    // Pieces kept between runs are written as bytes; a single run renders each file in one go.
    json: () =>
      (cache ? jsonReportBuffers : jsonReportText)({
        summary,
        verdict,
        ...(comparison ? { comparison } : {}),
        cache,
      }),
    markdown: () => renderMarkdown({ summary, verdict, comparison }),
    junit: () => (cache ? renderJUnitBuffers : renderJUnit)({ summary, cache }),
    html: () =>
      (cache ? renderHtmlReportBuffers : renderHtmlReport)({
        summary,
        verdict,
        comparison,
        root,
        ...(baseline ? { baseline } : {}),
        ...(preparedRuns ? { prepared: preparedRuns } : {}),
        ...(cache ? { cache } : {}),
      }),
  };
  // Each file is written while the next is rendered: writing megabytes (and renaming them over
  // the last run's files) is the file system's work, not this thread's. The biggest goes first.
  const order = [...formats].sort((a, b) => WRITE_ORDER.indexOf(a) - WRITE_ORDER.indexOf(b));
  // Each write's failure is caught as it happens (a write may fail while the next file renders,
  // and an uncaught rejection would end the run as "unhandled"), then the first one is thrown.
  const failures: Promise<{ error: unknown } | undefined>[] = [];
  for (const format of order) {
    const content = rendered[format] ?? render[format]();
    failures.push(
      writeFileAtomic({ file: join(dir, REPORT_FILES[format]), content }).then(
        () => undefined,
        (error: unknown) => ({ error }),
      ),
    );
    // Lets the file system answer (the file opened, its write sent) before the next render takes the thread.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const failed = (await Promise.all(failures)).find((failure) => failure !== undefined);
  if (failed) throw failed.error;
  for (const format of formats) written[format] = join(dir, REPORT_FILES[format]);
  return written;
}

/** The order the files are rendered and set writing in: the biggest first, so its write overlaps the others' rendering. */
const WRITE_ORDER: readonly (keyof typeof REPORT_FILES)[] = ['html', 'json', 'junit', 'markdown'];
