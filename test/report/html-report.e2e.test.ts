// looplet-report.html in headless Chromium: written by a real `looplet-eval` run of the built
// CLI, opened from file:// with every request other than the file itself aborted and recorded.
// Screenshots of each view go to test-results/html-report/.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDelta, formatScore } from '../../src/report/format.js';
import { launchChromium, type PageWatch, screenshot, watchPage } from '../helpers/browser.js';
import {
  goldenGreeterProject,
  greeterAgentModule,
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

  it('shows score changes against the baseline and sorts runs by them', async () => {
    // A healthy baseline, then Erin's greeting breaks: eval_greet_success drops 1.00 → 0.50 on the
    // last run by id.
    const changed = await greeterProject();
    expect((await changed.run(['baseline', 'update'])).code).toBe(0);
    await recordGreeterTrace({
      dir: path.join(changed.dir, 'traces', 'greet', 'dave-erin'),
      names: ['Dave', 'Erin'],
      broken: ['Erin'],
    });
    expect((await changed.run([])).code).toBe(1);
    const report = changed.json<ReportJson>(REPORT_JSON);
    expect(report.comparison?.scoreDrops.map((drop) => drop.eval)).toContain('eval_greet_success');

    const { page, watch } = await open(path.join(changed.dir, REPORT_HTML));
    // What changed: the score drop and the new failure, named.
    const changes = page.locator('section', { hasText: 'Against the baseline' }).first();
    await changes.getByText('Score drops', { exact: false }).first().waitFor();
    await changes.getByText('eval_greet_success', { exact: false }).first().waitFor();
    const cell = page.locator('tr[data-run="greet/dave-erin"] td[data-eval="eval_greet_success"]');
    await expect(cell.locator('.delta').textContent()).resolves.toBe(formatDelta(-0.5));
    await expect(
      page.locator('tr[data-run="greet/carol"] td[data-eval="eval_greet_success"] .delta').textContent(),
    ).resolves.toBe(formatDelta(0));
    const order = () =>
      page.locator('tr.matrix-row').evaluateAll((rows) => rows.map((row) => row.dataset.run));
    // Sorted by score change, worst first: the run that dropped leads even when it is not first by id.
    await page.locator('select', { has: page.locator('option[value="delta"]') }).selectOption('delta');
    await expect(order()).resolves.toEqual(['greet/dave-erin', 'greet/alice-bob', 'greet/carol']);
    await screenshot(page, SHOTS, 'overview-baseline', true);
    await page.locator('select', { has: page.locator('option[value="delta"]') }).selectOption('id');
    await expect(order()).resolves.toEqual(['greet/alice-bob', 'greet/carol', 'greet/dave-erin']);
    expectQuiet(watch);
    await page.close();
  }, 120_000);

  it('shows a diverged replay: where it parted, why, and the recorded and current requests side by side', async () => {
    // Traces recorded through the project's agent, then its greet tool changed: the replay of
    // each trace parts from its recording at the model call that reads the new tool result.
    const golden = await goldenGreeterProject();
    golden.write('agent.mjs', greeterAgentModule({ greeting: 'Hi' }));
    expect((await golden.run([])).code).toBe(1);
    const report = golden.json<ReportJson>(REPORT_JSON);
    const carol = report.runs.find((run) => run.id === 'greet/carol');
    expect(carol?.replay?.diverged?.callIndex).toBe(2);

    const { page, watch } = await open(path.join(golden.dir, REPORT_HTML));
    await page.locator('.count.status-diverged .count-n', { hasText: '3' }).waitFor();
    await expect(
      page.locator('tr[data-run="greet/carol"] td[data-eval="eval_finished"]').textContent(),
    ).resolves.toContain('diverged');
    await page.getByRole('link', { name: 'greet/carol', exact: true }).first().click();
    const divergence = page.locator('section.divergence');
    await divergence.getByText('Diverged at model call 2').waitFor();
    for (const line of carol?.replay?.diverged?.summary ?? [])
      await divergence.getByText(line).first().waitFor();
    // Side by side: the recorded tool result (left) and the current one (right) on the same row.
    const row = divergence.locator('tr', { has: page.locator('td.line-del') }).filter({ hasText: 'Carol' });
    await expect(row.locator('td.line-del').first().textContent()).resolves.toContain('Hello, Carol!');
    await expect(row.locator('td.line-add').first().textContent()).resolves.toContain('Hi, Carol!');
    await screenshot(page, SHOTS, 'diverged');
    await divergence.getByRole('button', { name: 'Unified' }).click();
    await expect(
      divergence.locator('tr.line-del').filter({ hasText: 'Carol' }).first().textContent(),
    ).resolves.toContain('Hello, Carol!');
    await expect(
      divergence.locator('tr.line-add').filter({ hasText: 'Carol' }).first().textContent(),
    ).resolves.toContain('Hi, Carol!');
    // The steps are the replayed run's; the recorded trace is one click away.
    await expect(page.locator('#step-1 .call-ok').textContent()).resolves.toContain('Hi, Carol!');
    await page.getByRole('button', { name: 'Recorded trace' }).click();
    await expect(page.locator('#step-1').textContent()).resolves.toContain('Hello, Carol!');
    expectQuiet(watch);
    await page.close();
  }, 120_000);
});
