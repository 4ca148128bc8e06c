// A watch session renders its reports through a RenderCache: the outcomes and runs of chunks that
// did not run again keep their text. Whatever the cache holds, the files must be byte for byte
// what rendering from scratch gives: JSON as `JSON.stringify(report, null, 2)`, the HTML page's
// data as `JSON.stringify(data)`, JUnit as without a cache — after outcomes change, are added and
// are removed.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EvalOutcome } from '../../src/evals/types.js';
import { defineTool, ScriptedLLM } from '../../src/index.js';
import { readTrace } from '../../src/provenance/read-trace.js';
import { type Baseline, baselineFromSummary } from '../../src/report/baseline.js';
import { compareToBaseline } from '../../src/report/compare.js';
import { writeFileAtomic } from '../../src/report/files.js';
import type { PreparedRuns } from '../../src/report/html/embed.js';
import { renderPage } from '../../src/report/html/page.js';
import {
  type HtmlReportOptions,
  prepareReportRun,
  renderHtmlReportBuffers,
  reportPageData,
} from '../../src/report/html/report-page.js';
import { decideVerdict, type InfrastructureError, summarizeRun } from '../../src/report/index.js';
import { jsonArrayText, jsonObjectText, jsonText } from '../../src/report/json-text.js';
import { renderJUnit, renderJUnitBuffers } from '../../src/report/junit.js';
import { joinBytes, RenderCache, toBuffers } from '../../src/report/render-cache.js';
import type { RunRecord } from '../../src/report/run-record.js';
import { buildJsonReport, jsonReportBuffers, jsonReportText } from '../../src/report/write.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { params, TIMEOUT } from '../property/settings.js';
import { recordRun } from '../provenance/helpers.js';
import { outcome } from './support.js';

const temp = useTempDir('looplet-render-cache-');
const now = new Date('2026-11-30T12:00:00.000Z');
const HOSTILE = '</script><!-- & "quoted" \'single\'\n\ttab \u0001 \ud800 é 😀 <b>';

/** Every kind of outcome the reports render differently, on run `context`. */
function outcomesOn(context: string, variant = 0): EvalOutcome[] {
  return [
    outcome({ name: 'eval_score', context, status: 'passed', score: 0.75 + variant / 100, tags: ['smoke'] }),
    outcome({
      name: 'eval_gate',
      context,
      status: 'failed',
      score: 0.25,
      required: true,
      reason: `${HOSTILE}${'x'.repeat(12_000)}`, // past the page's longest string: cut
      details: { expected: HOSTILE, nested: [1, { deep: null }] },
      file: 'evals/eval_gate.ts',
    }),
    outcome({
      name: 'eval_crash',
      context,
      status: 'error',
      error: {
        kind: 'threw',
        message: HOSTILE,
        name: 'TypeError',
        stack: `TypeError: ${HOSTILE}\n    at x.js:1:1`,
      },
    }),
    outcome({
      name: 'eval_metric',
      context,
      status: 'reported',
      metrics: { lookups: 3 + variant, 'a.b': 0.5 },
    }),
    outcome({ name: 'eval_label', context, status: 'reported', label: HOSTILE, details: { why: 'neutral' } }),
    outcome({ name: 'eval_skip', context, status: 'skipped', reason: 'marked skip' }),
    outcome({ name: 'eval_replayed', context, status: 'diverged', reason: 'the replay diverged' }),
  ];
}

function record(id: string, extra: Partial<RunRecord> = {}): RunRecord {
  return { id, origin: 'recorded', trace: `traces/${id}`, endReason: 'done', steps: 2, ...extra };
}

const divergence = { callIndex: 2, summary: [`the request differs: ${HOSTILE}`], diff: `- a\n+ ${HOSTILE}` };

/** One-step traces under `temp/traces/<id>` whose tool returns a hostile string. */
async function recordTraces(ids: readonly string[]): Promise<PreparedRuns> {
  const prepared = new Map<string, ReturnType<typeof prepareReportRun>>();
  for (const id of ids) {
    const dir = path.join(temp.path, 'traces', id);
    const echo = defineTool({
      name: 'echo',
      description: 'Returns the payload',
      parameters: { type: 'object', properties: {} },
      run: () => ({ text: `${HOSTILE} ${id}` }),
    });
    await recordRun({
      dir,
      tools: [echo],
      llm: new ScriptedLLM([{ toolCalls: [{ name: 'echo', args: {} }] }, { text: 'finished' }]),
    });
    // Runs b and c are embedded ahead (as the scoring threads do); the others are read by the page.
    if (id === 'b' || id === 'c') prepared.set(dir, prepareReportRun(readTrace(dir)));
  }
  return prepared;
}

interface Reports {
  json: string;
  junit: string;
  html: string;
  /** The files' bytes, as the reporter writes them. */
  bytes: { json: Buffer; junit: Buffer; html: Buffer };
}

/** The three files rendered through `cache`, or from scratch the way they were before there was one. */
function render(
  { outcomes, runs, infrastructureErrors, baseline, prepared }: RunInput,
  cache?: RenderCache,
): Reports {
  const summary = summarizeRun({ outcomes, runs, infrastructureErrors });
  const comparison = baseline ? compareToBaseline({ current: summary, baseline }) : undefined;
  const verdict = decideVerdict({ summary, ...(comparison ? { comparison } : {}) });
  const html: HtmlReportOptions = {
    summary,
    verdict,
    root: temp.path,
    now,
    prepared,
    ...(comparison ? { comparison } : {}),
    ...(baseline ? { baseline } : {}),
  };
  if (cache) {
    // JUnit and the page are cached as bytes only (what the reporter writes); JSON as text too (--json).
    const bytes = {
      json: Buffer.concat(jsonReportBuffers({ summary, verdict, comparison, now, cache })),
      junit: Buffer.concat(renderJUnitBuffers({ summary, cache })),
      html: Buffer.concat(renderHtmlReportBuffers({ ...html, cache })),
    };
    return {
      json: jsonReportText({ summary, verdict, comparison, now, cache }),
      junit: bytes.junit.toString('utf8'),
      html: bytes.html.toString('utf8'),
      bytes,
    };
  }
  const scratch = {
    json: `${JSON.stringify(buildJsonReport({ summary, verdict, comparison, now }), null, 2)}\n`,
    junit: renderJUnit({ summary }),
    html: renderPage(reportPageData(html)),
  };
  return {
    ...scratch,
    bytes: {
      json: Buffer.from(scratch.json),
      junit: Buffer.from(scratch.junit),
      html: Buffer.from(scratch.html),
    },
  };
}

interface RunInput {
  outcomes: EvalOutcome[];
  runs: RunRecord[];
  infrastructureErrors: InfrastructureError[];
  baseline?: Baseline;
  prepared: PreparedRuns;
}

describe('reports rendered through a RenderCache', () => {
  it('are byte for byte the reports rendered from scratch, as outcomes change, are added and are removed', async () => {
    const prepared = await recordTraces(['a', 'b', 'c', 'd']);
    const cache = new RenderCache();
    const first: RunInput = {
      outcomes: ['a', 'b', 'c'].flatMap((id) => outcomesOn(id)),
      runs: [
        record('a'),
        record('b', {
          origin: 'replayed',
          replay: { mode: 'strict', check: 'request', diverged: divergence, warnings: [] },
          replayedTrace: 'traces/c',
          agentFile: 'evals/eval_agent.ts',
        }),
        record('c', {
          origin: 'replayed',
          replay: { mode: 'lenient', check: 'tool-calls', warnings: [divergence] },
        }),
      ],
      infrastructureErrors: [{ source: 'traces/broken', message: HOSTILE, kind: 'trace' }],
      prepared,
    };
    const firstReports = render(first, cache);
    expectSameFiles(firstReports, render(first));
    expect(firstReports.html).toContain('"eval":'); // the page holds the outcomes…
    expect(firstReports.html).toContain('[cut: '); // …with the long reason cut
    // Rendered again, nothing changed: every text comes from the cache.
    expectSameFiles(render(first, cache), firstReports);

    // The next watch run: run a scored again (new objects, other results), b dropped, d added; c
    // and the runs' records stay the very objects of the last run. A baseline appears.
    const keptC = first.outcomes.filter((item) => item.context === 'c');
    const second: RunInput = {
      outcomes: [...outcomesOn('a', 7), ...keptC, ...outcomesOn('d', 3).slice(0, 4)],
      runs: [record('a', { steps: 3 }), first.runs[2]!, record('d')],
      infrastructureErrors: [],
      baseline: baselineFromSummary({ summary: summarizeRun({ outcomes: first.outcomes }) }),
      prepared,
    };
    expectSameFiles(render(second, cache), render(second));

    // And back: everything removed but one outcome.
    const third: RunInput = { ...second, outcomes: keptC.slice(0, 1), runs: [] };
    expectSameFiles(render(third, cache), render(third));
    // No outcome at all.
    const empty: RunInput = { outcomes: [], runs: [], infrastructureErrors: [], prepared };
    expectSameFiles(render(empty, cache), render(empty));
  });
});

/** The files' bytes equal (compared as bytes: toEqual on buffers goes byte by byte, slowly). */
function expectSameFiles(actual: Reports, expected: Reports): void {
  for (const format of ['json', 'junit', 'html'] as const)
    if (!actual.bytes[format].equals(expected.bytes[format]))
      expect(actual.bytes[format].toString('utf8'), format).toBe(expected.bytes[format].toString('utf8'));
  expect(actual.json).toBe(expected.json);
}

describe('reports of many outcomes through a RenderCache (blocks of them kept)', () => {
  /** What a watch run can do to the suite between two reports. */
  const change = fc.oneof(
    fc.record({ kind: fc.constant('rescore' as const), at: fc.nat(), variant: fc.nat({ max: 5 }) }),
    fc.record({ kind: fc.constant('add' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
    // The last run: the list ends inside a block it ended after.
    fc.record({ kind: fc.constant('remove-last' as const) }),
    fc.record({ kind: fc.constant('add-eval' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('baseline' as const), drop: fc.boolean() }),
  );

  it(
    'are byte for byte the reports rendered from scratch, run after run',
    async () => {
      const prepared = await recordTraces(['a']);
      const embedded =
        [...prepared.values()][0] ?? prepareReportRun(readTrace(path.join(temp.path, 'traces', 'a')));
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 20, max: 60 }),
          fc.array(change, { minLength: 1, maxLength: 6 }),
          async (count, changes) => {
            // Each run: a few outcomes, its record and its embedded page part, kept as the same
            // objects until the run is scored again (as a watch session keeps unchanged chunks).
            const runs = new Map<string, { outcomes: EvalOutcome[]; record: RunRecord }>();
            const runPages = new Map<string, ReturnType<typeof prepareReportRun>>();
            let next = 0;
            const score = (id: string, variant: number, extraEval = false) => {
              // The first three kinds of outcome (of short texts: the suite renders hundreds of them).
              const outcomes = outcomesOn(id, variant)
                .slice(0, 3)
                .map((item) => ({ ...item, ...(item.reason ? { reason: HOSTILE } : {}) }));
              if (extraEval)
                outcomes.push(
                  outcome({ name: `eval_new_${variant}`, context: id, status: 'passed', score: 1 }),
                );
              runs.set(id, { outcomes, record: record(id, { steps: variant }) });
              runPages.set(path.join(temp.path, 'traces', id), { ...embedded });
            };
            for (; next < count; next++) score(`r${String(next).padStart(4, '0')}`, next % 3);
            const cache = new RenderCache();
            let baseline: Baseline | undefined;
            const input = (): RunInput => {
              const ids = [...runs.keys()].sort();
              return {
                outcomes: ids.flatMap((id) => runs.get(id)!.outcomes),
                runs: ids.map((id) => runs.get(id)!.record),
                infrastructureErrors: [],
                ...(baseline ? { baseline } : {}),
                prepared: new Map(runPages),
              };
            };
            expectSameFiles(render(input(), cache), render(input()));
            for (const step of changes) {
              const ids = [...runs.keys()].sort();
              const id =
                ids['at' in step ? step.at % ids.length : step.kind === 'remove-last' ? ids.length - 1 : 0]!;
              if (step.kind === 'rescore') score(id, step.variant);
              else if (step.kind === 'add-eval') score(id, step.at % 6, true);
              else if (step.kind === 'add') score(`r${String(next++).padStart(4, '0')}`, step.at % 6);
              else if ((step.kind === 'remove' || step.kind === 'remove-last') && ids.length > 1) {
                runs.delete(id);
                runPages.delete(path.join(temp.path, 'traces', id));
              } else if (step.kind === 'baseline')
                baseline = step.drop
                  ? undefined
                  : baselineFromSummary({ summary: summarizeRun({ outcomes: input().outcomes }) });
              expectSameFiles(render(input(), cache), render(input()));
            }
          },
        ),
        { ...params('heavy'), endOnFailure: true },
      );
    },
    TIMEOUT,
  );
});

describe('JSON text from parts', () => {
  const value = {
    name: 'x',
    skipped: undefined,
    list: [{ a: 1, b: [HOSTILE, { c: {} }] }, [], {}, [[1, [2, { d: [] }]]], new Date(0), 'text', 0, null],
    empty: [],
    nested: { deep: { deeper: [1, 2] }, none: undefined },
  };

  it('gives what JSON.stringify gives for the whole, compact and indented', () => {
    for (const layout of ['compact', 'indented'] as const) {
      const items = value.list.map((item) => jsonText(item, layout, 2)!);
      const text = jsonObjectText(value, layout, 0, {
        list: jsonArrayText(items, layout, 1),
        nested: jsonObjectText(value.nested, layout, 1),
      });
      expect(text).toBe(layout === 'compact' ? JSON.stringify(value) : JSON.stringify(value, null, 2));
      expect(jsonObjectText({}, layout, 0)).toBe('{}');
      expect(jsonText(undefined, layout, 2)).toBeUndefined();
      expect(jsonArrayText([], layout, 3)).toBe('[]');
    }
    // Indented at any depth: each line moved right by two spaces a level.
    for (let depth = 0; depth <= 4; depth++)
      for (const item of [value, ...value.list, value.nested])
        expect(jsonText(item, 'indented', depth)).toBe(
          JSON.stringify(item, null, 2).replaceAll('\n', `\n${'  '.repeat(depth)}`),
        );
  });
});

describe('joinBytes', () => {
  it('gives the UTF-8 of the pieces joined, text and bytes mixed, short and long, any character', () => {
    const texts = [
      '',
      '{',
      ',',
      'é',
      '😀',
      '\ud800',
      'a'.repeat(63),
      `${'b'.repeat(64)}é`,
      HOSTILE,
      'x'.repeat(100),
    ];
    for (const separator of ['', '\n', ',\n    ']) {
      const mixed = texts.map((text, index) => (index % 2 === 0 ? text : Buffer.from(text)));
      expect(joinBytes(mixed, separator)).toEqual(Buffer.from(texts.join(separator)));
    }
    expect(joinBytes([])).toEqual(Buffer.alloc(0));
  });
});

describe('toBuffers and writing pieces', () => {
  it('gives the bytes joinBytes gives, keeping byte pieces as they are (not copied)', () => {
    const kept = Buffer.from(HOSTILE);
    const pieces = [
      '{',
      'é',
      kept,
      '',
      ',',
      Buffer.from('😀'),
      new Uint8Array([0x41, 0x42]),
      'x'.repeat(100),
    ];
    const buffers = toBuffers(pieces);
    expect(Buffer.concat(buffers)).toEqual(joinBytes(pieces));
    expect(buffers).toContain(kept);
    // Each run of text is one buffer: three runs, and the three byte pieces.
    expect(buffers).toHaveLength(6);
    expect(toBuffers([])).toEqual([]);
  });

  it('writes a file of thousands of pieces (more than one vectored write takes), empty ones among them', async () => {
    const pieces = Array.from({ length: 5000 }, (_, index) =>
      index % 7 === 0 ? new Uint8Array(0) : Buffer.from(`${index}:${HOSTILE}\n`),
    );
    const file = path.join(temp.path, 'pieces', 'out.txt');
    await writeFileAtomic({ file, content: pieces });
    expect(readFileSync(file)).toEqual(Buffer.concat(pieces));
    await writeFileAtomic({ file, content: [] });
    expect(readFileSync(file)).toEqual(Buffer.alloc(0));
  });
});
