// `looplet show --html` and `looplet diff --html` through the built CLI, the pages opened in
// headless Chromium from file:// with every other request aborted and recorded.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLLM, type ScriptedTurn } from '../../src/index.js';
import { launchChromium, type PageWatch, screenshot, watchPage } from '../helpers/browser.js';
import { GREETER_SCRIPT, recordRun, tempDir } from '../provenance/helpers.js';

const BIN = path.resolve('bin/looplet.js');
const GOLDEN = path.resolve('traces/greeter/alice');
const SHOTS = 'html-pages';

function looplet(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [BIN, ...args], { cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(path.resolve('dist/report/html/page-client.js')))
    throw new Error('the CLI is not built: run `npm run build` first (npm test does)');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function open(file: string): Promise<{ page: Page; watch: PageWatch }> {
  const url = pathToFileURL(file).href;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const watch = await watchPage(page, (requested) => requested.split('#')[0] === url);
  await page.goto(url);
  await page.locator('main').waitFor();
  return { page, watch };
}

describe('looplet show --html', () => {
  it('writes the trace as one page: task, steps with tool calls and results, final output', async () => {
    const cwd = tempDir();
    const result = await looplet(['show', '--html', GOLDEN, '--out', 'alice.html'], cwd);
    expect(result).toMatchObject({ code: 0, stdout: 'wrote alice.html: open it in a browser\n' });
    const { page, watch } = await open(path.join(cwd, 'alice.html'));
    await page.locator('.run-overview').getByText('Greet Alice').waitFor();
    await expect(page.locator('#step-1 .model-text').textContent()).resolves.toContain('I will greet Alice.');
    await expect(page.locator('#step-1 .call-name').textContent()).resolves.toBe('greet');
    await expect(page.locator('#step-1 .call-ok').textContent()).resolves.toContain('Hello, Alice!');
    await expect(page.locator('#step-2 .call-name').textContent()).resolves.toBe('done');
    await expect(page.locator('.step').count()).resolves.toBe(2);
    await page.getByRole('heading', { name: 'Final output' }).waitFor();
    await screenshot(page, SHOTS, 'show', true);
    expect(watch).toEqual({ requests: [], errors: [] });
    await page.close();
  });

  it('shows markup in a trace as text: nothing in a trace runs or loads', async () => {
    const hostile =
      '<img src=x onerror="document.title=\'pwned\'"></script><script>document.title="pwned"</script>';
    const dir = path.join(tempDir(), 'hostile');
    await recordRun({
      dir,
      task: { goal: hostile },
      llm: new ScriptedLLM([
        { text: hostile, toolCalls: [{ name: 'greet', args: { name: hostile } }] },
        { text: 'done' },
      ]),
    });
    const cwd = tempDir();
    expect((await looplet(['show', '--html', dir, '--out', 'hostile.html'], cwd)).code).toBe(0);
    const { page, watch } = await open(path.join(cwd, 'hostile.html'));
    await expect(page.locator('#step-1 .model-text').textContent()).resolves.toContain(hostile);
    await expect(page.locator('#step-1 .call-ok').textContent()).resolves.toContain(`Hello, ${hostile}!`);
    await expect(page.title()).resolves.not.toContain('pwned');
    await expect(page.locator('img').count()).resolves.toBe(0);
    expect(watch).toEqual({ requests: [], errors: [] });
    await page.close();
  });

  it('fails with the reader’s message on a directory that is no trace, writing nothing', async () => {
    const cwd = tempDir();
    const bad = await looplet(['show', '--html', cwd], cwd);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('this is not a trace directory');
    expect(existsSync(path.join(cwd, 'looplet-trace.html'))).toBe(false);
  });

  it('keeps a long run responsive: steps render a page at a time, and any step can be reached', async () => {
    const dir = path.join(tempDir(), 'long');
    const turns: ScriptedTurn[] = Array.from({ length: 239 }, (_, index) => ({
      text: `Turn ${index + 1}`,
      toolCalls: [{ name: 'greet', args: { name: `Person ${index + 1}` } }],
    }));
    turns.push({ toolCalls: [{ name: 'done', args: { summary: 'all greeted' } }] });
    await recordRun({ dir, llm: new ScriptedLLM(turns), maxSteps: 300 });
    const cwd = tempDir();
    expect((await looplet(['show', '--html', dir, '--out', 'long.html'], cwd)).code).toBe(0);
    const { page, watch } = await open(path.join(cwd, 'long.html'));
    await page.locator('#step-1').waitFor();
    const rendered = await page.locator('.step').count();
    expect(rendered).toBeLessThan(240);
    await expect(page.getByRole('button', { name: /^Show 50 more steps/ }).count()).resolves.toBe(1);
    // Scrolling to the end of the list renders the next page.
    await page.mouse.wheel(0, 1_000_000);
    await expect.poll(() => page.locator('.step').count()).toBeGreaterThan(rendered);
    await page.getByLabel('go to step').fill('200');
    await page.getByLabel('go to step').press('Enter');
    await page.locator('#step-200.highlight').waitFor();
    await expect(page.locator('#step-200 .call-ok').textContent()).resolves.toContain('Hello, Person 200!');
    // A jump renders a page around the step, not every step before it.
    await expect(page.locator('#step-1').count()).resolves.toBe(0);
    await page.getByRole('button', { name: /^Show 50 earlier steps/ }).waitFor();
    expect(watch).toEqual({ requests: [], errors: [] });
    await page.close();
  }, 60_000);
});

describe('looplet diff --html', () => {
  it('puts both traces side by side by step and shows what differs under the step; exit 1 when they differ', async () => {
    const cwd = tempDir();
    const changed = path.join(cwd, 'changed');
    await recordRun({
      dir: changed,
      llm: new ScriptedLLM([
        {
          text: 'Greeting both.',
          toolCalls: [
            { name: 'greet', args: { name: 'Alice' } },
            { name: 'greet', args: { name: 'Carol' } },
          ],
        },
        { toolCalls: [{ name: 'done', args: { summary: 'greeted Alice and Carol' } }] },
      ]),
    });
    const same = path.join(cwd, 'same');
    await recordRun({ dir: same, llm: new ScriptedLLM(GREETER_SCRIPT) });
    const original = path.join(cwd, 'original');
    await recordRun({ dir: original, llm: new ScriptedLLM(GREETER_SCRIPT) });

    const result = await looplet(['diff', '--html', original, changed, '--out', 'diff.html'], cwd);
    expect(result.code).toBe(1);
    const { page, watch } = await open(path.join(cwd, 'diff.html'));
    const row = page.locator('#diff-step-1');
    await expect(row.getAttribute('class')).resolves.toContain('differs');
    const [left, right] = [row.locator('.diff-pair > div').nth(0), row.locator('.diff-pair > div').nth(1)];
    await expect(left.textContent()).resolves.toContain('Hello, Bob!');
    await expect(right.textContent()).resolves.toContain('Hello, Carol!');
    await row.getByText('step 1: tool calls differ').waitFor();
    await expect(row.locator('td.line-del').allTextContents()).resolves.toContainEqual(
      expect.stringContaining('Bob'),
    );
    await expect(row.locator('td.line-add').allTextContents()).resolves.toContainEqual(
      expect.stringContaining('Carol'),
    );
    await screenshot(page, SHOTS, 'diff', true);
    expect(watch).toEqual({ requests: [], errors: [] });
    await page.close();

    const equal = await looplet(['diff', '--html', original, same, '--out', 'same.html'], cwd);
    expect(equal.code).toBe(0);
    const opened = await open(path.join(cwd, 'same.html'));
    await opened.page.getByText('No differences: the traces record the same run.').waitFor();
    await opened.page.close();
  });
});
