// Renders the pictures of the HTML report the docs show, from this repository's own evals and
// traces. Run from the repository root after `npm run build`:
//   node docs/render-report-picture.mjs
// Writes docs/report.png (the README's picture: the report's overview), docs/report-run.png (a
// run step by step) and docs/report-diff.png (`looplet diff --html`). The diverged-replay view
// (docs/report-diverged.png) and the overview against a baseline (docs/report-baseline.png) are
// screenshots test/report/html-report.e2e.test.ts leaves in test-results/html-report/. Needs Debian's Chromium (/usr/bin/chromium).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const looplet = (args) =>
  execFileSync(process.execPath, ['bin/looplet.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
const temp = mkdtempSync(path.join(os.tmpdir(), 'looplet-pictures-'));
looplet(['--baseline', '.looplet/baseline.json', '--out', temp]);
// The greeter trace as a changed greet tool would record it: the same step, another result.
const changed = path.join(temp, 'alice-after-change');
cpSync('traces/greeter/alice', changed, { recursive: true });
for (const file of ['steps/0001.json', 'calls/0002.json']) {
  const target = path.join(changed, file);
  writeFileSync(target, readFileSync(target, 'utf8').replaceAll('Hello, Alice!', 'Hi Alice, welcome!'));
}
const diffPage = path.join(temp, 'diff.html');
try {
  looplet(['diff', '--html', 'traces/greeter/alice', changed, '--out', diffPage]);
} catch {
  // exit 1: the traces differ, as they should
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = await browser.newPage({ viewport: { width: 1200, height: 820 }, deviceScaleFactor: 2 });
const report = pathToFileURL(path.join(temp, 'looplet-report.html')).href;

await page.goto(report);
await page.locator('tr.matrix-row').first().waitFor();
await page.screenshot({ path: 'docs/report.png' });

await page.goto(`${report}#run/weather%2Funknown-city`);
await page.locator('#step-1').waitFor();
await page.getByRole('heading', { name: 'Steps' }).scrollIntoViewIfNeeded();
await page.screenshot({ path: 'docs/report-run.png' });

await page.goto(pathToFileURL(diffPage).href);
await page.locator('.diff-row').first().waitFor();
await page.screenshot({ path: 'docs/report-diff.png', fullPage: true });

await browser.close();
rmSync(temp, { recursive: true, force: true });
console.log('wrote docs/report.png, docs/report-run.png, docs/report-diff.png');
