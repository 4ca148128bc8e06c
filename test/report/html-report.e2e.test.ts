// looplet-report.html in headless Chromium: written by a real `looplet-eval` run of the built
// CLI, opened from file:// with every request other than the file itself aborted and recorded.
// Screenshots of each view go to test-results/html-report/.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalOutcome } from '../../src/evals/types.js';
import { diffTraces } from '../../src/provenance/diff.js';
import { readTrace } from '../../src/provenance/read-trace.js';
import { formatScore } from '../../src/report/format.js';
import { renderHtmlReport } from '../../src/report/html/report-page.js';
import type { RunRecord } from '../../src/report/html/run-record.js';
import { decideVerdict, summarizeRun } from '../../src/report/index.js';
import { launchChromium, type PageWatch, screenshot, watchPage } from '../helpers/browser.js';
import {
  createProject,
  greeterProject,
  type Project,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTrace,
} from '../vitest/support.js';

const REPORT_HTML = '.looplet/report/looplet-report.html';
const SHOTS = 'html-report';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Opens a page file with its requests and errors watched; only the file itself may load. */
async function open(
  file: string,
  { dark = false, hash = '' }: { dark?: boolean; hash?: string } = {},
): Promise<{ page: Page; watch: PageWatch }> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({
    viewport: { width: 1280, height: 900 },
    colorScheme: dark ? 'dark' : 'light',
  });
  const watch = await watchPage(page, (requested) => requested.split('#')[0] === url);
  await page.goto(`${url}${hash}`);
  await page.locator('main').first().waitFor();
  return { page, watch };
}

function expectQuiet(watch: PageWatch): void {
  expect(watch.requests).toEqual([]);
  expect(watch.errors).toEqual([]);
}

/** The text a matrix cell shows for an outcome: its glyph and score, else its metrics or status. */
function expectedCell(outcome: ReportJson['outcomes'][number]): string {
  if (outcome.score !== undefined) return formatScore(outcome.score);
  const metrics = Object.entries(outcome.metrics);
  if (metrics.length > 0) return `${metrics[0]![0]}=${metrics[0]![1]}`;
  return outcome.status;
}

describe('looplet-report.html', () => {
  // Bob's greeting fails in the recording: eval_no_tool_errors (required) fails on that trace.
  let project: Project;
  beforeAll(async () => {
    project = await greeterProject({ broken: ['Bob'] });
    const run = await project.run([]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(REPORT_HTML);
  }, 60_000);

  it('lists every eval and run with its score; a run opens step by step; keyboard and filters work', async () => {
    const report = project.json<ReportJson>(REPORT_JSON);
    const { page, watch } = await open(path.join(project.dir, REPORT_HTML));

    await expect(page.locator('.verdict h1').textContent()).resolves.toBe(report.verdict.headline);
    const evalNames = [...new Set(report.outcomes.map((outcome) => outcome.name))];
    for (const name of evalNames)
      await page.locator('table.evals').getByText(name, { exact: true }).waitFor();
    const runIds = [...new Set(report.outcomes.map((outcome) => outcome.context))];
    expect(runIds).toEqual(['greet/alice-bob', 'greet/carol', 'greet/dave-erin']);
    await expect(page.locator('tr.matrix-row').count()).resolves.toBe(runIds.length);
    for (const outcome of report.outcomes) {
      const cell = page.locator(`tr[data-run="${outcome.context}"] td[data-eval="${outcome.name}"]`);
      await expect(cell.textContent()).resolves.toContain(expectedCell(outcome));
    }
    await expect(
      page.locator('tr[data-run="greet/alice-bob"] td[data-eval="eval_greet_success"]').textContent(),
    ).resolves.toContain('0.50');
    await screenshot(page, SHOTS, 'overview');

    // `/` jumps to the filter; the matrix narrows to the runs that match.
    await page.keyboard.press('/');
    await page.keyboard.type('carol');
    await expect(page.locator('tr.matrix-row').count()).resolves.toBe(1);
    // Esc empties the filter and leaves it.
    await page.keyboard.press('Escape');
    await expect(page.locator('tr.matrix-row').count()).resolves.toBe(runIds.length);
    await expect(page.locator('#filter-text:focus').count()).resolves.toBe(0);
    await page.locator('select').first().selectOption('failed');
    await expect(
      page.locator('tr.matrix-row').evaluateAll((rows) => rows.map((row) => row.dataset.run)),
    ).resolves.toEqual(['greet/alice-bob']);
    await page.locator('select').first().selectOption('');

    // Keyboard: focus the run's link, Enter opens it.
    await page.getByRole('link', { name: 'greet/alice-bob', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'greet/alice-bob' }).waitFor();
    const first = page.locator('#step-1');
    await expect(first.locator('.call').count()).resolves.toBe(2);
    await expect(first.locator('.call-ok').textContent()).resolves.toContain('Hello, Alice!');
    await expect(first.locator('.call-error').textContent()).resolves.toContain('greet is broken for Bob');
    await expect(first.locator('.model-text').textContent()).resolves.toContain('Greeting everyone.');
    await expect(page.locator('#step-2 .call-name').textContent()).resolves.toBe('done');
    const verdicts = await page.locator('table.outcomes tbody tr').allTextContents();
    expect(verdicts).toHaveLength(
      report.outcomes.filter((outcome) => outcome.context === 'greet/alice-bob').length,
    );
    expect(verdicts.find((row) => row.startsWith('eval_no_tool_errors'))).toContain('failed');
    await screenshot(page, SHOTS, 'run', true);

    // Esc goes back to the overview, with focus on the run that was open.
    await page.keyboard.press('Escape');
    await page.locator('table.matrix').waitFor();
    await expect(page.locator(':focus').textContent()).resolves.toBe('greet/alice-bob');

    // Space opens a run too.
    await page.keyboard.press(' ');
    await page.locator('h1', { hasText: 'greet/alice-bob' }).waitFor();
    expectQuiet(watch);
    await page.close();
  }, 120_000);

  it('follows the system colour scheme and the switch', async () => {
    const { page, watch } = await open(path.join(project.dir, REPORT_HTML), { dark: true });
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    const dark = await background();
    await screenshot(page, SHOTS, 'overview-dark');
    await page.getByRole('button', { name: /system/ }).click(); // system → light
    const light = await background();
    expect(light).toBe('rgb(255, 255, 255)');
    expect(dark).not.toBe(light);
    await page.getByRole('button', { name: /light/ }).click(); // light → dark
    await expect(background()).resolves.toBe(dark);
    expectQuiet(watch);
    await page.close();
  }, 90_000);

  it('shows a diverged replay: where it parted, why, and the recorded and current requests side by side', async () => {
    const replay = createProject();
    const recorded = 'traces/greet/alice';
    const replayed = '.looplet/replayed/greet/alice';
    await recordGreeterTrace({ dir: path.join(replay.dir, recorded), names: ['Alice', 'Bob'] });
    await recordGreeterTrace({ dir: path.join(replay.dir, replayed), names: ['Alice', 'Carol'] });
    let diff = '';
    for await (const difference of diffTraces({
      a: readTrace(path.join(replay.dir, recorded)),
      b: readTrace(path.join(replay.dir, replayed)),
    }))
      if (difference.kind === 'request' && diff === '') diff = difference.diff;
    expect(diff).toContain('Carol');
    const record: RunRecord = {
      id: 'greet/alice',
      origin: 'replayed',
      trace: recorded,
      replayedTrace: replayed,
      agentFile: 'evals/eval_greeter.ts',
      replay: {
        mode: 'strict',
        check: 'request',
        diverged: { callIndex: 1, summary: ['the user/task message changed'], diff },
        warnings: [],
      },
      endReason: 'done',
      steps: 2,
    };
    // What the runner reports for every eval on a run that diverged (golden design: status `diverged`).
    const outcome = {
      name: 'eval_greeted_everyone',
      context: 'greet/alice',
      status: 'diverged',
      reason: 'the user/task message changed',
      required: false,
      tags: [],
      threshold: 0.5,
      durationMs: 0,
      metrics: {},
      details: {},
    } as unknown as EvalOutcome;
    const summary = { ...summarizeRun({ outcomes: [outcome] }), runs: [record] };
    const file = path.join(replay.dir, 'report.html');
    await writeFile(
      file,
      renderHtmlReport({ summary, verdict: decideVerdict({ summary }), root: replay.dir }),
    );

    const { page, watch } = await open(file);
    await page.locator('.count.status-diverged .count-n', { hasText: '1' }).waitFor();
    await expect(
      page.locator('tr[data-run="greet/alice"] td[data-eval="eval_greeted_everyone"]').textContent(),
    ).resolves.toContain('diverged');
    await page.getByRole('link', { name: 'greet/alice' }).first().click();
    const divergence = page.locator('section.divergence');
    await divergence.getByText('Diverged at model call 1').waitFor();
    await divergence.getByText('the user/task message changed').waitFor();
    // Side by side: the recorded line (left) and the current one (right) on the same row.
    const changed = divergence
      .locator('tr', { has: page.locator('td.line-del') })
      .filter({ hasText: 'Carol' });
    await expect(changed.locator('td.line-del').first().textContent()).resolves.toContain('Bob');
    await expect(changed.locator('td.line-add').first().textContent()).resolves.toContain('Carol');
    await screenshot(page, SHOTS, 'diverged');
    await divergence.getByRole('button', { name: 'Unified' }).click();
    await expect(divergence.locator('tr.line-del').first().textContent()).resolves.toContain('Bob');
    await expect(divergence.locator('tr.line-add').first().textContent()).resolves.toContain('Carol');
    // The steps are the replayed run's; the recorded trace is one click away.
    await expect(page.locator('#step-1 .call-ok').allTextContents()).resolves.toEqual([
      expect.stringContaining('Hello, Alice!'),
      expect.stringContaining('Hello, Carol!'),
    ]);
    await page.getByRole('button', { name: 'Recorded trace' }).click();
    await expect(page.locator('#step-1').textContent()).resolves.toContain('Hello, Bob!');
    expectQuiet(watch);
    await page.close();
  }, 90_000);
});
