// The HTML report's writer, without a browser: what the page embeds, how it stays safe and
// bounded. (html-report.e2e.test.ts opens the pages in Chromium.)
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvalOutcome } from '../../src/evals/types.js';
import { defineTool, ScriptedLLM } from '../../src/index.js';
import { readTrace } from '../../src/provenance/read-trace.js';
import { baselineFromSummary } from '../../src/report/baseline.js';
import { compareToBaseline } from '../../src/report/compare.js';
import { PAGE_DATA_ID, type PageData, type RunData, runDataId } from '../../src/report/html/page-data.js';
import { prepareReportRun, renderHtmlReport } from '../../src/report/html/report-page.js';
import { cutStrings, embedRun } from '../../src/report/html/run-data.js';
import { renderRunHtml } from '../../src/report/html/run-page.js';
import { renderTraceHtml } from '../../src/report/html/trace-page.js';
import { decideVerdict, summarizeRun } from '../../src/report/index.js';
import type { RunRecord } from '../../src/report/run-record.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { recordRun } from '../provenance/helpers.js';

const temp = useTempDir('looplet-html-');

/** The JSON of one `<script type="application/json">` element of a page. */
function embedded<T>(html: string, id: string): T {
  const match = new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's').exec(html);
  if (!match) throw new Error(`no #${id} in the page`);
  return JSON.parse(match[1]!) as T;
}

function outcome(context: string, score: number): EvalOutcome {
  return {
    name: 'eval_score',
    context,
    status: score >= 0.5 ? 'passed' : 'failed',
    passed: score >= 0.5,
    score,
    required: false,
    tags: [],
    threshold: 0.5,
    durationMs: 1,
    metrics: {},
    details: {},
  };
}

/** A one-step trace whose tool returns `data`. */
async function recordTrace(dir: string, data: unknown): Promise<void> {
  const echo = defineTool({
    name: 'echo',
    description: 'Returns the payload',
    parameters: { type: 'object', properties: {} },
    run: () => data,
  });
  await recordRun({
    dir,
    tools: [echo],
    llm: new ScriptedLLM([{ toolCalls: [{ name: 'echo', args: {} }] }, { text: 'finished' }]),
  });
}

describe('the HTML page', () => {
  it('carries hostile strings as data: no value can close its script element, and they read back whole', async () => {
    const hostile = '</script><script>window.pwned = 1</script><!-- <SCRIPT>';
    const dir = path.join(temp.path, 'trace');
    await recordTrace(dir, { text: hostile });
    const html = renderTraceHtml({ dir });
    expect(html).not.toContain('<script>window.pwned');
    expect(html.toLowerCase().split('<script').length - 1).toBe(3); // page data, one run, the page script
    const run = embedded<RunData>(html, runDataId(0));
    expect(run.steps[0]!.calls[0]!.data).toEqual({ text: hostile });
  });

  it('allows no network request: a Content-Security-Policy of default-src none, the script and style by hash', async () => {
    const dir = path.join(temp.path, 'trace');
    await recordTrace(dir, 'ok');
    const html = renderTraceHtml({ dir });
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(policy).toMatch(
      /^default-src 'none'; script-src 'sha256-[\w+/=]+'; style-src 'sha256-[\w+/=]+'; img-src data:$/,
    );
    expect(html).not.toMatch(/<(link|img|iframe)\b/i);
    expect(html).not.toMatch(/\bsrc="/);
  });
});

describe('renderHtmlReport', () => {
  it('reads each run from its trace; without run records, a trace id is found under traces/', async () => {
    await recordTrace(path.join(temp.path, 'traces', 'a'), 'alpha');
    await recordTrace(path.join(temp.path, 'outside'), 'not under traces/');
    const summary = summarizeRun({
      outcomes: [outcome('a', 1), outcome('case-without-trace', 0), outcome('../outside', 1)],
    });
    const html = renderHtmlReport({ summary, verdict: decideVerdict({ summary }), root: temp.path });
    const page = embedded<PageData>(html, PAGE_DATA_ID);
    expect(page.runs.map((run) => [run.id, run.blob, run.missing])).toEqual([
      ['../outside', undefined, 'no trace: this run was not recorded'], // a case id never leads out of traces/
      ['a', 0, undefined],
      ['case-without-trace', undefined, 'no trace: this run was not recorded'],
    ]);
    expect(page.runs[1]).toMatchObject({ trace: path.join('traces', 'a'), endReason: 'done', stepCount: 2 });
    expect(embedded<RunData>(html, runDataId(0)).steps[0]!.calls[0]!.data).toBe('alpha');
    expect(page.report?.outcomes.map((item) => [item.run, item.status, item.score])).toEqual([
      [0, 'passed', 1],
      [1, 'passed', 1],
      [2, 'failed', 0],
    ]);
  });

  it("gives each cell the baseline's verdict and score on that run, when the baseline has it", () => {
    const before = summarizeRun({ outcomes: [outcome('a', 1), outcome('b', 0.75)] });
    const summary = summarizeRun({ outcomes: [outcome('a', 0.5), outcome('b', 0.75), outcome('c', 1)] });
    const baseline = baselineFromSummary({ summary: before });
    const comparison = compareToBaseline({ current: summary, baseline });
    const html = renderHtmlReport({
      summary,
      verdict: decideVerdict({ summary, comparison }),
      comparison,
      baseline,
      root: temp.path,
    });
    const page = embedded<PageData>(html, PAGE_DATA_ID);
    // A drop that still passes is no new failure: its cell still knows the score it had.
    expect(page.report?.outcomes.map((item) => [page.runs[item.run]!.id, item.before])).toEqual([
      ['a', { status: 'passed', score: 1 }],
      ['b', { status: 'passed', score: 0.75 }],
      ['c', undefined],
    ]);
  });

  it('writes one run as a page of its own: its record, the evals on it, its steps', async () => {
    await recordTrace(path.join(temp.path, 'traces', 'a'), 'alpha');
    const record: RunRecord = { id: 'a', origin: 'recorded', trace: 'traces/a', endReason: 'done', steps: 2 };
    const html = renderRunHtml({ record, outcomes: [outcome('a', 0.25)], root: temp.path });
    const page = embedded<PageData>(html, PAGE_DATA_ID);
    expect(page).toMatchObject({ kind: 'run', title: 'looplet run: a' });
    expect(page.runs).toEqual([expect.objectContaining({ id: 'a', origin: 'recorded', blob: 0 })]);
    expect(page.report?.outcomes).toEqual([expect.objectContaining({ status: 'failed', score: 0.25 })]);
    expect(embedded<RunData>(html, runDataId(0)).steps[0]!.calls[0]!.data).toBe('alpha');
  });

  it('says why a run has no steps when its trace cannot be read, and still writes the page', async () => {
    await mkdir(path.join(temp.path, 'traces', 'broken'), { recursive: true });
    await writeFile(path.join(temp.path, 'traces', 'broken', 'trace.json'), '{"schemaVersion": 1, "task":');
    const summary = summarizeRun({ outcomes: [outcome('broken', 1)] });
    const page = embedded<PageData>(
      renderHtmlReport({ summary, verdict: decideVerdict({ summary }), root: temp.path }),
      PAGE_DATA_ID,
    );
    expect(page.runs[0]!.blob).toBeUndefined();
    expect(page.runs[0]!.missing).toMatch(/^the trace could not be read: .*broken[/\\]trace\.json/);
  });

  it('stays within its step budget however many runs there are: later runs keep their place, with fewer steps', async () => {
    const big = 'x'.repeat(4_000); // under the string limit: nothing is cut, the budget does the bounding
    const ids = Array.from({ length: 12 }, (_, index) => `run-${String(index).padStart(2, '0')}`);
    for (const id of ids) await recordTrace(path.join(temp.path, 'traces', id), { big });
    const summary = summarizeRun({ outcomes: ids.map((id) => outcome(id, 1)) });
    const budget = 40_000;
    const html = renderHtmlReport({
      summary,
      verdict: decideVerdict({ summary }),
      root: temp.path,
      stepBudget: budget,
    });
    const page = embedded<PageData>(html, PAGE_DATA_ID);
    expect(page.runs.map((run) => run.id)).toEqual(ids);
    const blobs = page.runs.flatMap((run) =>
      run.blob === undefined ? [] : [embedded<RunData>(html, runDataId(run.blob))],
    );
    const bytes = blobs.reduce((total, blob) => total + Buffer.byteLength(JSON.stringify(blob)), 0);
    expect(bytes).toBeLessThanOrEqual(budget + 2_000 * blobs.length); // each run's metadata, beyond its steps
    const leftOut = page.runs.filter(
      (run) =>
        run.missing !== undefined || (run.blob !== undefined && blobs[run.blob]!.stepsLeftOut !== undefined),
    );
    expect(leftOut.length).toBeGreaterThan(0);
    expect(leftOut.length).toBeLessThan(ids.length);
  });
});

describe('runs embedded ahead (by the threads that scored them)', () => {
  it('give the page byte for byte what reading the traces gives, and are used instead of reading', async () => {
    const ids = ['a', 'b', 'c'];
    for (const id of ids) await recordTrace(path.join(temp.path, 'traces', id), { id });
    const summary = summarizeRun({ outcomes: ids.map((id) => outcome(id, 1)) });
    const options = { summary, verdict: decideVerdict({ summary }), root: temp.path, now: new Date(0) };
    const dirOf = (id: string) => path.join(temp.path, 'traces', id);
    const prepared = new Map(ids.map((id) => [dirOf(id), prepareReportRun(readTrace(dirOf(id)))]));
    expect(renderHtmlReport({ ...options, prepared })).toBe(renderHtmlReport(options));
    // Proof they are used: a prepared run stands in for its trace (which is not read again).
    const b = prepared.get(dirOf('b'))!;
    prepared.set(dirOf('b'), { ...b, json: b.json.replace('"id":"b"', '"id":"prepared"') });
    const html = renderHtmlReport({ ...options, prepared });
    expect(embedded<RunData>(html, runDataId(1)).steps[0]!.calls[0]!.data).toEqual({ id: 'prepared' });
  });

  it('are not used when they left steps out or exceed the share the page gives the run: the trace is read', async () => {
    const big = 'x'.repeat(4_000);
    const ids = Array.from({ length: 6 }, (_, index) => `run-${index}`);
    for (const id of ids) await recordTrace(path.join(temp.path, 'traces', id), { big });
    const summary = summarizeRun({ outcomes: ids.map((id) => outcome(id, 1)) });
    const options = {
      summary,
      verdict: decideVerdict({ summary }),
      root: temp.path,
      now: new Date(0),
      stepBudget: 20_000,
    };
    const marked = new Map(
      ids.map((id) => {
        const run = prepareReportRun(readTrace(path.join(temp.path, 'traces', id)));
        return [path.join(temp.path, 'traces', id), { ...run, json: run.json.replace(big, 'prepared') }];
      }),
    );
    const read = renderHtmlReport(options);
    const withPrepared = renderHtmlReport({ ...options, prepared: marked });
    // Whole runs fit the first shares; once the budget runs low, a run's share is smaller than
    // its prepared run: the trace is read (and cut) as without prepared runs.
    const blobs = (html: string) =>
      embedded<PageData>(html, PAGE_DATA_ID).runs.map((run) =>
        run.blob === undefined ? undefined : JSON.stringify(embedded<RunData>(html, runDataId(run.blob))),
      );
    const readBlobs = blobs(read);
    const used = blobs(withPrepared).map((blob, index) => blob !== readBlobs[index]);
    expect(used).toContain(true);
    expect(used).toContain(false);
    expect(used.indexOf(false)).toBeGreaterThan(used.lastIndexOf(true));
    const incomplete = new Map([...marked].map(([dir, run]) => [dir, { ...run, complete: false }]));
    expect(renderHtmlReport({ ...options, prepared: incomplete })).toBe(renderHtmlReport(options));
  });
});

describe('cutStrings', () => {
  it('cuts long strings anywhere in a value, saying how much is missing, and leaves the rest as it was', () => {
    const small = { keep: [1, 'short'] };
    const state = { cut: false };
    const value = { small, deep: [{ text: 'abcdefghij' }] };
    const cut = cutStrings(value, 6, state);
    expect(cut.deep[0]!.text).toBe('abcdef… [cut: 4 more characters]');
    expect(cut.small).toBe(small);
    expect(value.deep[0]!.text).toBe('abcdefghij');
    expect(state.cut).toBe(true);
    const untouched = { cut: false };
    expect(cutStrings(small, 10, untouched)).toBe(small);
    expect(untouched.cut).toBe(false);
  });
});

describe('embedRun', () => {
  it('cuts a string past the limit in a step or in the run, and only such a string, wherever the step is long', async () => {
    const dir = path.join(temp.path, 'trace');
    // Step 1's result: a string one past the limit and one exactly at it, in a step far longer than the limit.
    await recordTrace(dir, { over: 'o'.repeat(101), at: 'a'.repeat(100), many: Array(60).fill('short') });
    const trace = readTrace(dir);
    const run = JSON.parse(embedRun({ trace, limits: { maxString: 100, maxBytes: 1e6 } }).json) as RunData;
    const data = run.steps[0]!.calls[0]!.data as { over: string; at: string; many: string[] };
    expect(data.over).toBe(`${'o'.repeat(100)}… [cut: 1 more characters]`);
    expect(data.at).toBe('a'.repeat(100));
    expect(data.many).toEqual(Array(60).fill('short'));
    expect(run.cut).toBe(true);
    // Nothing past the limit: the run is embedded as it is, and not marked cut.
    const whole = JSON.parse(embedRun({ trace, limits: { maxString: 101, maxBytes: 1e6 } }).json) as RunData;
    expect((whole.steps[0]!.calls[0]!.data as { over: string }).over).toBe('o'.repeat(101));
    expect(whole.cut).toBeUndefined();
  });

  it('is the JSON of the run data: steps left out past its bytes and the cut mark follow the run, the steps come last', async () => {
    const dir = path.join(temp.path, 'trace');
    await recordTrace(dir, { long: 'l'.repeat(300) });
    const trace = readTrace(dir);
    // Room for the first step only, and a string limit that cuts the task as well as the result.
    const first = `${JSON.stringify(JSON.parse(embedRun({ trace, limits: { maxString: 50, maxBytes: 1e6 } }).json).steps[0])}`;
    const embedded = embedRun({ trace, limits: { maxString: 50, maxBytes: Buffer.byteLength(first) + 1 } });
    const run = JSON.parse(embedded.json) as RunData;
    expect(embedded.json).toBe(JSON.stringify(run));
    expect(Object.keys(run).slice(-3)).toEqual(['stepsLeftOut', 'cut', 'steps']);
    expect(run).toMatchObject({ stepsLeftOut: 1, cut: true });
    expect(run.steps).toHaveLength(1);
    expect(embedded).toMatchObject({
      complete: false,
      stepCount: 2,
      bytes: Buffer.byteLength(embedded.json),
    });
  });
});
