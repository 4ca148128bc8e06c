// vitest globalSetup: the E2E tests run the built CLI (bin/looplet.js → dist/), so a `dist/` older
// than the sources would test yesterday's code. Before any test file runs, this rebuilds when a
// source is newer than the build (or there is no build); `npm test` builds first, so there it
// finds the build fresh and does nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the build reads: a change to any of these makes `dist/` stale. */
const INPUTS = [
  'src',
  'scripts/build.mjs',
  'scripts/bundle.mjs',
  'scripts/build-html-client.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.client.json',
];

/** Written by every build (into a dist/ emptied first; esbuild writes the page script last). */
export const OUTPUTS = ['dist/index.js', 'dist/cli/bin.js', 'dist/report/html/page-client.js'];

function newestMtime(file: string): number {
  const info = statSync(file);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(file)) newest = Math.max(newest, newestMtime(path.join(file, entry)));
  return newest;
}

/**
 * Why `dist/` under `root` must be rebuilt — an output missing, or the input changed after the
 * oldest output — or `undefined` when it is fresh.
 */
export function staleBuild({ root }: { root: string }): string | undefined {
  const outputs = OUTPUTS.map((file) => path.join(root, file));
  const missing = outputs.find((file) => !existsSync(file));
  if (missing) return `${path.relative(root, missing)} does not exist`;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  for (const input of INPUTS) {
    const file = path.join(root, input);
    if (existsSync(file) && newestMtime(file) > built) return `${input} changed after the last build`;
  }
  return undefined;
}

export default function setup(): void {
  const reason = staleBuild({ root: REPO });
  if (reason === undefined) return;
  console.error(`[looplet tests] building first: ${reason}`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
  if (build.status !== 0)
    throw new Error(
      `npm run build failed, so the E2E tests would run a stale dist/:\n${build.stdout}${build.stderr}`,
    );
}
