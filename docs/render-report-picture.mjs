// Renders docs/report.png, the README's picture: this repository's own `looplet-eval` report as a
// terminal shows it. Run from the repository root after `npm run build`:
//   node docs/render-report-picture.mjs
// Needs Debian's Chromium (/usr/bin/chromium); playwright-core drives it headless.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const output = execFileSync(process.execPath, ['bin/looplet.js', '--baseline', '.looplet/baseline.json'], {
  encoding: 'utf8',
  env: { ...process.env, NO_COLOR: '1' },
});
const escapeHtml = (text) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const html = `<!doctype html><meta charset="utf-8"><style>
  body { margin: 0; background: #0d1117; }
  .window { margin: 16px; border-radius: 8px; background: #161b22; box-shadow: 0 4px 16px #0008; display: inline-block; }
  .bar { padding: 8px 12px; color: #8b949e; font: 13px system-ui, sans-serif; border-bottom: 1px solid #30363d; }
  pre { margin: 0; padding: 12px 16px; color: #e6edf3; font: 13px/1.35 "DejaVu Sans Mono", monospace; }
  .pass { color: #3fb950; font-weight: bold; }
</style><div class="window"><div class="bar">$ npx looplet-eval</div><pre>${escapeHtml(output.trim()).replace(/^(PASS:.*)$/m, '<span class="pass">$1</span>')}</pre></div>`;

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
const page = await browser.newPage({ deviceScaleFactor: 2 });
await page.setContent(html);
await page.locator('.window').screenshot({ path: 'docs/report.png' });
await browser.close();
console.log('wrote docs/report.png');
