// `looplet-eval --ui` end to end: the built CLI serves @vitest/ui on 127.0.0.1, headless Chromium
// opens it, and an eval's score is on the page. Requests leaving 127.0.0.1 (the UI links a web
// font) are aborted, so the test never reaches the internet.
import net from 'node:net';
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { greeterProject } from './support.js';

/** A port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('looplet-eval --ui', () => {
  it("shows each eval's score in @vitest/ui", async () => {
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

      await page.getByText('eval_greet_success › greet/alice-bob', { exact: true }).click();
      await page
        .getByText('passed: score 0.50', { exact: true })
        .waitFor({ state: 'visible', timeout: 15_000 });
      await screenshot(page, 'vitest-ui', 'eval-score');

      // A failing required eval shows why it failed.
      await page.getByText('eval_no_tool_errors › greet/alice-bob', { exact: true }).click();
      await page
        .getByText('failed (required): score 0.00 < 0.50', { exact: true })
        .first()
        .waitFor({ state: 'visible', timeout: 15_000 });
      // The UI session keeps running until it is stopped.
      expect(ui.child.exitCode).toBeNull();
    } finally {
      await browser?.close();
      await ui.stop();
    }
  }, 90_000);
});
