// Headless Chromium for the browser tests (Debian's /usr/bin/chromium through playwright-core).
// A machine without it fails these tests rather than skipping them: `.ci/run` installs it.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Where browser tests leave their screenshots (gitignored). */
export const TEST_RESULTS = fileURLToPath(new URL('../../test-results', import.meta.url));

/** Starts headless Chromium; throws (failing the test) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: browser tests need Debian's chromium (apt-get install chromium; .ci/run does)`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** What a page did besides showing itself: requests other than its own file, console errors. */
export interface PageWatch {
  /** URLs requested other than `allowed` (aborted). */
  requests: string[];
  /** Console errors, uncaught exceptions and CSP violations. */
  errors: string[];
}

/**
 * Records (and aborts) every request the page makes other than to `allowed`, and every console
 * error or uncaught exception.
 */
export async function watchPage(page: Page, allowed: (url: string) => boolean): Promise<PageWatch> {
  const watch: PageWatch = { requests: [], errors: [] };
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    watch.requests.push(url);
    return route.abort();
  });
  page.on('request', (request) => {
    // Requests that bypass routing (e.g. data: URLs) are still seen here.
    const url = request.url();
    if (!allowed(url) && !watch.requests.includes(url)) watch.requests.push(url);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watch.errors.push(message.text());
  });
  page.on('pageerror', (error) => watch.errors.push(error.message));
  return watch;
}

/** Saves a screenshot under test-results/<dir>/<name>.png and returns its path. */
export async function screenshot(page: Page, dir: string, name: string, fullPage = false): Promise<string> {
  const file = path.join(TEST_RESULTS, dir, `${name}.png`);
  await mkdir(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage });
  return file;
}
