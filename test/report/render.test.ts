import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  compareToBaseline,
  decideVerdict,
  renderTable,
  summarizeRun,
  writeReports,
} from '../../src/evals/index.js';
import { baselineFromSummary } from '../../src/report/baseline.js';
import { renderJUnit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { REPORT_FILES } from '../../src/report/write.js';
import { outcome, outcomes } from './support.js';

const baseline = baselineFromSummary({
  summary: summarizeRun({
    outcomes: outcomes({
      eval_quality: { t1: 0.9, t2: 0.8 },
      eval_done: { t1: 1, t2: 1 },
      eval_judge: { t1: 0.9, t2: 0.9 },
    }),
  }),
});
const current = summarizeRun({
  outcomes: [
    ...outcomes({
      eval_quality: { t1: 0.9, t2: 0.2 },
      eval_done: { t1: 1, t2: 1 },
      eval_judge: { t1: 0.6, t2: 0.7 },
    }),
    outcome({ name: 'eval_gate', context: 't1', status: 'passed', score: 1, required: true }),
    outcome({
      name: 'eval_crash',
      context: 't2',
      status: 'error',
      error: { kind: 'threw', message: 'TypeError: x is undefined' },
    }),
  ],
  infrastructureErrors: [{ source: 'traces/broken', message: 'trace.json is truncated', kind: 'trace' }],
});
const comparison = compareToBaseline({ current, baseline });
const verdict = decideVerdict({ summary: current, comparison });

/**
 * A small XML well-formedness check (no XML parser is a dependency): balanced tags, quoted
 * attributes without raw `<`, `&` or `"`, text without raw `<` or stray `&`.
 */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  const entity = '&(?:amp|lt|gt|quot|apos|#\\d+);';
  const attrValue = `"(?:[^"<&]|${entity})*"`;
  const tag = new RegExp(`^<(/?)([A-Za-z][\\w.-]*)((?:\\s+[\\w.-]+=${attrValue})*)\\s*(/?)>`);
  const text = new RegExp(`^(?:[^<&]|${entity})+`);
  const stack: string[] = [];
  let rest = body;
  while (rest.length > 0) {
    const open = tag.exec(rest);
    if (open) {
      const [whole, closing, name, , selfClosing] = open;
      if (closing) expect(stack.pop(), `closing </${name}>`).toBe(name);
      else if (!selfClosing) stack.push(name!);
      rest = rest.slice(whole.length);
      continue;
    }
    const chunk = text.exec(rest);
    expect(chunk, `malformed XML at: ${rest.slice(0, 60)}`).not.toBeNull();
    rest = rest.slice(chunk![0].length);
  }
  expect(stack).toEqual([]);
}

describe('Markdown report', () => {
  it('puts the verdict first, then regressions, then errors, then the compact table', () => {
    const markdown = renderMarkdown({ summary: current, verdict, comparison });
    const lines = markdown.split('\n');
    expect(lines[0]).toBe(`## ⚠️ looplet-eval: ${verdict.headline}`);
    expect(verdict.exitCode).toBe(3);
    const order = ['### Regressions', '### Errors', '### Evals'].map((heading) => markdown.indexOf(heading));
    expect(order.every((index) => index > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(markdown).toContain('- ❌ `eval_quality` › `t2`: passed → failed (score 0.80 → 0.20)');
    expect(markdown).toContain('- 📉 `eval_judge` mean score 0.90 → 0.65 (−0.25 over 2 runs)');
    expect(markdown).not.toContain('📉 `eval_quality`');
    expect(markdown).toContain('- ⚠️ `traces/broken` (trace): trace.json is truncated');
    expect(markdown).toContain('- ⚠️ `eval_crash` › `t2`: threw: TypeError: x is undefined');
    expect(markdown).toContain('| `eval_gate` (required) | 100% | 1.00 | – | 1 | 0 | 0 | 0 |');
    expect(markdown).toContain('| `eval_quality` | 50% | 0.55 | −0.30 | 1 | 1 | 0 | 0 |');
  });

  it('stays short enough for a PR comment with thousands of failures', () => {
    const many = summarizeRun({
      outcomes: Array.from({ length: 3000 }, (_, index) =>
        outcome({ name: `eval_${index % 5}`, context: `trace_${index}`, status: 'failed', score: 0.1 }),
      ),
    });
    const markdown = renderMarkdown({ summary: many, verdict: decideVerdict({ summary: many }) });
    expect(markdown.length).toBeLessThan(10_000);
    expect(markdown).toContain('- …and 2980 more (see looplet-report.json)');
  });

  it('escapes names that would break the table or open HTML', () => {
    const odd = summarizeRun({
      outcomes: [
        outcome({
          name: 'eval_a|b',
          context: 'run`1',
          status: 'failed',
          score: 0,
          reason: '<script>alert(1)</script> | x',
        }),
      ],
    });
    const markdown = renderMarkdown({ summary: odd, verdict: decideVerdict({ summary: odd }) });
    expect(markdown).toContain('| `eval_a\\|b` |');
    expect(markdown).toContain('`` run`1 ``');
    expect(markdown).toContain('&lt;script>alert(1)&lt;/script> \\| x');
    expect(markdown).not.toContain('<script>');
  });
});

describe('JUnit XML', () => {
  it('has one suite per eval and one case per run, with failures, errors, skips and scores', () => {
    const xml = renderJUnit({ summary: current });
    assertWellFormedXml(xml);
    expect(xml).toContain('<testsuites name="looplet-eval" tests="9" failures="1" errors="2" skipped="0"');
    expect(xml).toContain('<testsuite name="eval_quality" tests="2" failures="1" errors="0" skipped="0"');
    expect(xml).toContain('<testcase name="t2" classname="eval_quality"');
    expect(xml).toContain('<failure message="score 0.20 &lt; 0.50" type="failed">');
    expect(xml).toContain('<property name="score" value="0.2"/>');
    expect(xml).toContain('<error message="threw: TypeError: x is undefined" type="threw">');
    expect(xml).toContain('<testcase name="traces/broken" classname="looplet.trace"');
    expect(xml).toContain('<property name="required" value="true"/>');
  });

  it('escapes markup, quotes and newlines, and replaces characters XML cannot hold', () => {
    const nasty = summarizeRun({
      outcomes: [
        outcome({
          name: 'eval_<&>"\'',
          context: 'line1\nline2\u0000\u001b[31m',
          status: 'failed',
          score: 0,
          reason: 'a < b && "c" \ud800 lone',
          details: { output: '</failure><injected/>' },
        }),
        outcome({ name: 'eval_skip', context: 't', status: 'skipped', reason: 'needs a "judge" & more' }),
      ],
    });
    const xml = renderJUnit({ summary: nasty });
    assertWellFormedXml(xml);
    expect(xml).toContain('name="eval_&lt;&amp;&gt;&quot;&apos;"');
    expect(xml).toContain('name="line1&#10;line2\uFFFD\uFFFD[31m"');
    expect(xml).toContain('&lt;/failure&gt;&lt;injected/&gt;');
    expect(xml).toContain('<skipped message="needs a &quot;judge&quot; &amp; more"/>');
    const control = [...xml].filter((char) => char.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(char));
    expect(control).toEqual([]);
    expect(xml).not.toContain('\ud800');
  });
});

describe('terminal table', () => {
  it('shows per eval the pass rate, mean score, delta vs baseline and counts, then the verdict', () => {
    const table = renderTable({ summary: current, comparison, verdict, colors: false });
    const rows = table.split('\n');
    expect(rows.find((row) => row.includes('eval_quality'))).toMatch(
      /eval_quality\s+│\s+50%\s+│\s+0\.55\s+│\s+−0\.30\s+│\s+1\s+│\s+1\s+│\s+0\s+│\s+0/,
    );
    expect(rows.find((row) => row.includes('eval_gate'))).toMatch(
      /eval_gate \(required\)\s+│\s+100%\s+│\s+1\.00\s+│\s+–/,
    );
    expect(rows.find((row) => row.includes('eval_crash'))).toMatch(
      /eval_crash\s+│\s+–\s+│\s+–\s+│\s+–\s+│\s+0\s+│\s+0\s+│\s+1/,
    );
    expect(table).toContain(
      'baseline: 1 new failures, 0 fixed, 1 score drops (tolerance 0.05), 2 evals added',
    );
    expect(rows.at(-1)).toBe(verdict.headline);
    expect(table).not.toContain('\u001b[');
  });

  it('colours scores and the verdict when asked', () => {
    const table = renderTable({ summary: current, comparison, verdict, colors: true });
    expect(table).toContain('\u001b[33m0.55');
    expect(table).toContain('\u001b[31m−0.30');
    expect(table).toContain('\u001b[31m−0.25');
  });
});

describe('metric-only evals', () => {
  it('show their metric means in the Markdown and terminal tables', () => {
    const summary = summarizeRun({
      outcomes: [
        outcome({ name: 'eval_cost', context: 'a', status: 'reported', metrics: { steps: 4, tokens: 1000 } }),
        outcome({
          name: 'eval_cost',
          context: 'b',
          status: 'reported',
          metrics: { steps: 5, tokens: 1250.5 },
        }),
      ],
    });
    const verdictOf = decideVerdict({ summary });
    expect(renderMarkdown({ summary, verdict: verdictOf })).toContain(
      '| `eval_cost` | – | – | 0 | 0 | 0 | 0 | steps 4.5 · tokens 1125.25 |',
    );
    expect(renderTable({ summary, colors: false })).toMatch(
      /eval_cost\s+│\s+–\s+│\s+–\s+│\s+0\s+│\s+0\s+│\s+0\s+│\s+0\s+│ steps 4\.5 · tokens 1125\.25/,
    );
    expect(verdictOf).toMatchObject({ exitCode: 0, headline: 'PASS: 0 passed · 0 failed (1 eval × 2 runs)' });
  });
});

describe('writeReports', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'looplet-reports-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes looplet-report.json (with schemaVersion), looplet-report.md and JUnit XML, and nothing else', async () => {
    const out = join(dir, 'nested', 'report');
    const written = await writeReports({ dir: out, summary: current, verdict, comparison });
    expect(Object.values(written).sort()).toEqual(
      Object.values(REPORT_FILES)
        .map((file) => join(out, file))
        .sort(),
    );
    expect((await readdir(out)).sort()).toEqual(Object.values(REPORT_FILES).sort());
    const json = JSON.parse(await readFile(join(out, 'looplet-report.json'), 'utf8'));
    expect(json).toMatchObject({
      schemaVersion: 1,
      kind: 'looplet-report',
      verdict: { exitCode: 3 },
      totals: current.totals,
    });
    expect(json.outcomes).toHaveLength(current.outcomes.length);
    expect(json.outcomes[0]).toHaveProperty('durationMs');
    expect(json.comparison.newFailures).toHaveLength(1);
    expect(Number.isNaN(Date.parse(json.createdAt))).toBe(false);
    expect(await readFile(join(out, 'looplet-report.md'), 'utf8')).toBe(
      renderMarkdown({ summary: current, verdict, comparison }),
    );
  });
});
