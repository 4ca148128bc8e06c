// The registry this project's machines reach serves only the platform packages they can use, so
// npm leaves other platforms' optional packages (@rollup/rollup-darwin-arm64,
// @biomejs/cli-win32-x64…) out of package-lock.json — and then `npm ci` refuses that very lock
// ("Missing: … from lock file", npm/cli#4828 and #7961). After changing dependencies, run
// `node .ci/complete-lockfile.mjs`: it adds an entry for every pinned optional dependency the lock
// names but lacks. The entries are optional, so where a package cannot be fetched or does not fit
// the platform, npm skips it, as it always does for optional dependencies.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key] || packages[`${path}/${key}`]) continue;
    const version = /^\d+\.\d+\.\d+$/.test(range) ? range : undefined;
    if (!version) continue; // only exact pins (platform packages are pinned by their parent)
    // Fields in the order npm writes them, so a later `npm install` leaves the lock as it is.
    packages[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional platform entries to package-lock.json`);
