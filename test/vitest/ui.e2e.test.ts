// `looplet-eval --ui` end to end: the built CLI serves @vitest/ui on 127.0.0.1 and headless
// Chromium opens it. The UI is organised by what users wrote (eval files, then evals, then one
// test per trace), its Code tab shows the eval file with each run's score beside the eval, and
// each test links to its run's page, step by step. Requests leaving 127.0.0.1 (the UI links a web
// font) are aborted, so the test never reaches the internet. Screenshots go to test-results/vitest-ui/.
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { goldenGreeterProject, greeterProject, REPORT_JSON, type ReportJson } from './support.js';

const SHOTS = 'vitest-ui';

/** A port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('looplet-eval --ui', () => {
  it('lists eval files, evals and runs; shows scores beside the eval source; links each test to its run', async () => {
    // Bob's greeting fails in the recording: eval_greet_success scores 0.5 on that trace.
    const project = await greeterProject({ broken: ['Bob'] });
    const port = await freePort();
    const ui = project.start(['--ui', '--no-open', '--port', String(port)]);
    let browser: Browser | undefined;
    try {
      const [, url] = await ui.waitFor(/looplet-eval UI: (\S+)/, { timeoutMs: 30_000 });
      expect(url).toBe(`http://127.0.0.1:${port}/__vitest__/`);
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.route('**/*', (route) =>
        new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
      );
      await page.goto(url ?? '');

      // The tree: eval file › eval › `eval_name › trace id`; no generated chunk file anywhere.
      const item = (name: string) => page.locator(`[data-testid="explorer-item"][aria-label="${name}"]`);
      const test = item('eval_greet_success › greet/alice-bob');
      await test.waitFor({ timeout: 30_000 });
      for (const name of [
        'evals/eval_greeter.ts',
        'evals/eval_finish.mjs',
        'eval_greet_success',
        'eval_finished',
      ])
        await expect(item(name).count()).resolves.toBe(1);
      const names = await page
        .getByTestId('explorer-item')
        .evaluateAll((items) => items.map((element) => element.getAttribute('aria-label')));
      expect(names.filter((name) => name?.includes('.looplet'))).toEqual([]);
      // Each eval's tests sit in its file, in the order the file defines the evals.
      const greeter = names.indexOf('evals/eval_greeter.ts');
      expect(names.slice(greeter + 1, greeter + 5)).toEqual([
        'eval_greeted_everyone',
        'eval_greeted_everyone › greet/alice-bob',
        'eval_greeted_everyone › greet/carol',
        'eval_greeted_everyone › greet/dave-erin',
      ]);
      await screenshot(page, SHOTS, 'tree');

      // A test's report: its score, and its run's page.
      await test.click();
      const annotations = page.locator('[role="note"]');
      await annotations.getByText('greet/alice-bob: passed: score 0.50', { exact: true }).waitFor();
      const runNote = annotations.filter({ hasText: 'run greet/alice-bob: 2 steps, done' });
      const pageUrl = await runNote.getByRole('link', { name: 'Download' }).getAttribute('href');
      await screenshot(page, SHOTS, 'eval-score');

      // The Code tab: the eval file itself, each run's score beside the eval it scored.
      await page.getByTestId('btn-code').click();
      // CodeMirror splits lines into tokens: its text is read whole.
      const code = async () => (await page.locator('.CodeMirror').textContent()) ?? '';
      await expect.poll(code, { timeout: 15_000 }).toContain('export function eval_greet_success(');
      // The scores are widgets CodeMirror adds once the file is shown: wait for them too.
      await expect.poll(code, { timeout: 15_000 }).toContain('greet/alice-bob: passed: score 0.50');
      const text = await code();
      expect(text).toContain('greet/alice-bob: passed: score 0.50');
      expect(text).toContain('greet/alice-bob: failed (required): score 0.00 < 0.50');
      // The score sits under the eval it belongs to, before the next eval's source.
      const scoreAt = text.indexOf('greet/alice-bob: passed: score 0.50');
      expect(text.lastIndexOf('export function', scoreAt)).toBe(
        text.indexOf('export function eval_greet_success('),
      );
      await screenshot(page, SHOTS, 'code');

      // The run's page, served by the UI: its steps, and every eval's verdict on the run.
      expect(pageUrl).toMatch(/^\/__vitest_attachment__\?/);
      const run = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await run.goto(new URL(pageUrl ?? '', url).href);
      await run.locator('h1', { hasText: 'greet/alice-bob' }).waitFor();
      await expect(run.locator('#step-1 .call-error').textContent()).resolves.toContain(
        'greet is broken for Bob',
      );
      const verdicts = await run.locator('table.outcomes tbody tr').allTextContents();
      expect(verdicts.find((row) => row.startsWith('eval_no_tool_errors'))).toContain('failed');
      await screenshot(run, SHOTS, 'run-page');
      // The UI session keeps running until it is stopped.
      expect(ui.child.exitCode).toBeNull();
    } finally {
      await browser?.close();
      await ui.stop();
    }
  }, 120_000);

  it("puts each replay in the file that exports the agent; every eval file's runs are reported once", async () => {
    const project = await goldenGreeterProject();
    // A second eval file scores the same traces: under --ui it replays them too.
    project.write(
      'evals/eval_more.ts',
      "import type { EvalContext } from 'looplet/evals';\nexport const eval_two_steps = (ctx: EvalContext) => ctx.stepCount === 2;\n",
    );
    const port = await freePort();
    const ui = project.start(['--ui', '--no-open', '--port', String(port)]);
    let browser: Browser | undefined;
    try {
      const [, url] = await ui.waitFor(/looplet-eval UI: (\S+)/, { timeoutMs: 30_000 });
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.route('**/*', (route) =>
        new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
      );
      await page.goto(url ?? '');
      await page
        .locator('[data-testid="explorer-item"][aria-label="eval_two_steps › greet/carol"]')
        .waitFor();
      const names = await page
        .getByTestId('explorer-item')
        .evaluateAll((items) => items.map((element) => element.getAttribute('aria-label')));
      const more = names.indexOf('evals/eval_more.ts');
      const greeter = names.indexOf('evals/eval_greeter.ts');
      expect(more).toBeGreaterThanOrEqual(0);
      // The replays lead the agent's file; the other file has none.
      expect(names.slice(greeter + 1, greeter + 3)).toEqual(['replay', 'replay › greet/alice-bob']);
      const section = (from: number) => names.slice(from + 1).findIndex((name) => name?.startsWith('evals/'));
      const moreNames = names.slice(more + 1, section(more) < 0 ? undefined : more + 1 + section(more));
      expect(moreNames.filter((name) => name?.startsWith('replay'))).toEqual([]);
      // The report is written once every file has run.
      const runIds = () =>
        existsSync(path.join(project.dir, REPORT_JSON))
          ? project
              .json<ReportJson>(REPORT_JSON)
              .runs.map((run) => run.id)
              .sort()
          : [];
      await expect
        .poll(runIds, { timeout: 60_000 })
        .toEqual(['greet/alice-bob', 'greet/carol', 'greet/dave-erin']);
      const report = project.json<ReportJson>(REPORT_JSON);
      expect(report.runs.every((run) => run.origin === 'replayed')).toBe(true);
    } finally {
      await browser?.close();
      await ui.stop();
    }
  }, 120_000);
});
