import { diffTraces } from '../../provenance/diff.js';
import { readTrace } from '../../provenance/read-trace.js';
import type { RecordedTrace } from '../../provenance/types.js';
import { renderPage } from './page.js';
import type { PageData, RunEntry, TraceDiffView } from './page-data.js';
import { embedRun } from './run-data.js';

/** One trace page embeds at most this much step data (a 10,000-step trace fits). */
const TRACE_STEP_BUDGET = 64 * 2 ** 20;
/** Longest string a trace page keeps whole. */
const TRACE_MAX_STRING = 200_000;

const limits = { maxString: TRACE_MAX_STRING, maxBytes: TRACE_STEP_BUDGET };

/**
 * `looplet show --html`: one trace as a page, step by step (task, model text, tool calls with
 * arguments and results, hook context, usage and timing, end reason, final output, artifacts).
 * Throws `TraceReadError` for a directory that is not a readable trace.
 */
export function renderTraceHtml({ dir, now = new Date() }: { dir: string; now?: Date }): string {
  const trace = readTrace(dir);
  const { json } = embedRun({ trace, limits });
  const page: PageData = {
    kind: 'trace',
    title: `looplet trace: ${dir}`,
    createdAt: now.toISOString(),
    runs: [entryOf(dir, trace, 0)],
  };
  return renderPage({ data: page, blobs: [json] });
}

/**
 * `looplet diff --html`: two traces side by side, aligned by step, with what differs (the same
 * differences `looplet diff` prints) under the step they belong to. Returns the page and how many
 * differences it shows.
 */
export async function renderTraceDiffHtml({
  a,
  b,
  includeVolatile = false,
  now = new Date(),
}: {
  a: string;
  b: string;
  includeVolatile?: boolean;
  now?: Date;
}): Promise<{ html: string; differences: number }> {
  const left = readTrace(a);
  const right = readTrace(b);
  const diff: TraceDiffView = { differences: [] };
  for await (const difference of diffTraces({ a: left, b: right, includeVolatile }))
    diff.differences.push(difference);
  const blobs = [left, right].map((trace) => embedRun({ trace, limits }).json);
  const page: PageData = {
    kind: 'diff',
    title: `looplet diff: ${a} ↔ ${b}`,
    createdAt: now.toISOString(),
    runs: [entryOf(a, left, 0), entryOf(b, right, 1)],
    diff,
  };
  return { html: renderPage({ data: page, blobs }), differences: diff.differences.length };
}

function entryOf(dir: string, trace: RecordedTrace, blob: number): RunEntry {
  return {
    id: dir,
    trace: dir,
    endReason: trace.meta.endReason,
    stepCount: trace.meta.stepCount,
    blob,
  };
}
