// Completes package-lock.json's entries for other platforms' optional packages
// (@rollup/rollup-darwin-arm64, @biomejs/cli-win32-x64…) from the registry's own metadata.
//
// Why: a registry that serves a machine only the platform packages it can use makes npm leave the
// others out of the lock, and then `npm ci` refuses that very lock ("Missing: … from lock file",
// npm/cli#4828 and #7961). An entry with only a version is not enough either: without `os`/`cpu`
// npm cannot tell it is for another platform and installs every platform's binaries (issue 15:
// 975 MB of node_modules, 833 MB of it Biome binaries). So every entry this script writes carries
// what npm itself would write: integrity, os, cpu, libc, engines, license… as
// `npm view <name>@<version> --json` gives them (and `resolved` unless npm is configured with
// omit-lockfile-registry-resolved, as these machines are).
//
//   node .ci/complete-lockfile.mjs          add missing entries and complete bare ones (network)
//   node .ci/complete-lockfile.mjs --check  exit 1 if any is missing or bare (no network; CI)
//
// Run it after changing dependencies. It is idempotent: a complete lock is left byte for byte as
// it is, and the file is written in npm's own key order, so `npm install` leaves it unchanged.
// Exit codes: 0 done (or nothing to do) · 1 some entries could not be completed (listed) or, with
// --check, the lock is incomplete.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const check = process.argv.includes('--check');
const file = new URL('../package-lock.json', import.meta.url);
const original = readFileSync(file, 'utf8');
const lock = JSON.parse(original);
const packages = lock.packages;

// The lock path a dependency `name` of the package at `from` resolves to (node's lookup: its own
// node_modules, then each enclosing one), or undefined.
function lookup(from, name) {
  for (let dir = from; ; dir = parentDir(dir)) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (dir === '') return undefined;
  }
}
const parentDir = (path) => {
  const i = path.lastIndexOf('/node_modules/');
  return i < 0 ? '' : path.slice(0, i);
};

// Entries to write, by lock path: { name, version, parents: [parent entries] }.
const wanted = new Map();
const skipped = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const found = lookup(path, name);
    const pinned = /^\d+\.\d+\.\d+(-[\w.-]+)?$/.test(spec) ? spec : undefined;
    const fits = found && (!pinned || packages[found].version === pinned);
    if (fits && (packages[found].integrity || packages[found].link)) continue; // complete already
    if (!fits && !pinned) {
      skipped.push(
        `${name}@${spec} (wanted by ${path || 'the root'}: not in the lock, and not an exact version to add)`,
      );
      continue;
    }
    // A bare entry is completed where it is; a missing one goes to the top level, or under its
    // parent when the nearer one holds another version.
    const own = `${path ? `${path}/` : ''}node_modules/${name}`;
    const key = fits ? found : found ? own : `node_modules/${name}`;
    if (!fits && key === found) {
      skipped.push(`${name}@${spec} (wanted by ${path || 'the root'}: ${key} holds another version)`);
      continue;
    }
    const version = packages[key]?.version ?? pinned;
    const want = wanted.get(key) ?? { name, version, parents: [] };
    want.parents.push(entry);
    wanted.set(key, want);
  }
}

if (check) {
  for (const [key, { version }] of wanted)
    console.error(`${key}@${version}: ${packages[key] ? 'no integrity/os/cpu' : 'missing'}`);
  for (const s of skipped) console.error(`${s}: missing`);
  const bad = wanted.size + skipped.length;
  if (bad) {
    console.error(
      `package-lock.json lacks registry metadata for ${bad} optional package(s): run node .ci/complete-lockfile.mjs`,
    );
    process.exit(1);
  }
  console.log('package-lock.json: every optional package has its registry metadata');
  process.exit(0);
}

const omitResolved = (await npm(['config', 'get', 'omit-lockfile-registry-resolved'])).trim() === 'true';

// The fields npm's lockfile keeps from a manifest (@npmcli/arborist's Shrinkwrap.metaFromNode).
function metaFromManifest(m) {
  const meta = {};
  const set = (key, val) => {
    if (val && (typeof val !== 'object' || Object.keys(val).length)) meta[key] = val;
  };
  set('version', m.version);
  for (const key of ['dependencies', 'peerDependencies', 'peerDependenciesMeta']) set(key, m[key]);
  set('optionalDependencies', m.optionalDependencies);
  set('bundleDependencies', m.bundleDependencies ?? m.bundledDependencies);
  for (const key of ['funding', 'engines', 'os', 'cpu', 'libc']) set(key, m[key]);
  set('integrity', m.dist?.integrity ?? sha1Integrity(m.dist?.shasum));
  set('license', typeof m.license === 'object' ? m.license?.type : m.license);
  set('hasShrinkwrap', m._hasShrinkwrap);
  const s = m.scripts ?? {};
  set('hasInstallScript', m.hasInstallScript || !!(s.preinstall || s.install || s.postinstall));
  set('bin', normalizeBin(m.name, m.bin));
  set('deprecated', m.deprecated);
  if (!omitResolved) set('resolved', m.dist?.tarball);
  return meta;
}
const sha1Integrity = (hex) => hex && `sha1-${Buffer.from(hex, 'hex').toString('base64')}`;
function normalizeBin(name, bin) {
  if (typeof bin === 'string') return { [name.replace(/^@[^/]+\//, '')]: clean(bin) };
  if (!bin || typeof bin !== 'object') return undefined;
  return Object.fromEntries(Object.entries(bin).map(([k, v]) => [posix.basename(k), clean(v)]));
}
const clean = (p) => posix.normalize(`/${p}`).slice(1);

async function npm(args) {
  const { stdout } = await run('npm', args, { maxBuffer: 64 << 20 });
  return stdout;
}

// Flags: kept for an entry npm placed; for a new one, derived from its parents as npm does.
function flags(key, parents) {
  const old = packages[key];
  if (old)
    return Object.fromEntries(
      ['dev', 'optional', 'devOptional', 'peer'].filter((f) => old[f]).map((f) => [f, true]),
    );
  return {
    ...(parents.every((p) => p.dev) ? { dev: true } : {}),
    ...(parents.every((p) => p.peer) ? { peer: true } : {}),
    optional: true,
  };
}
// An entry the registry would not describe: a missing one is still written with its version
// alone, so that `npm ci` accepts the lock (npm then fetches it when it installs, and skips it if
// it cannot), and the exit code and --check say it is incomplete.
function fail(key, version, parents, why) {
  if (!packages[key]) packages[key] = { version, ...flags(key, parents) };
  failed.push(`${key}@${version}: ${why}`);
}

let completed = 0;
const failed = [];
const notes = [];
const queue = [...wanted];
async function worker() {
  for (let item = queue.shift(); item; item = queue.shift()) {
    const [key, { name, version, parents }] = item;
    let manifest;
    try {
      manifest = JSON.parse(await npm(['view', `${name}@${version}`, '--json']));
    } catch (err) {
      fail(key, version, parents, (err.stderr || err.message).split('\n')[0]);
      continue;
    }
    if (Array.isArray(manifest) || manifest.version !== version || !manifest.dist) {
      fail(key, version, parents, 'the registry answered with no such version');
      continue;
    }
    packages[key] = { ...packages[key], ...metaFromManifest(manifest), ...flags(key, parents) };
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }))
      if (!lookup(key, dep)) notes.push(`${name}@${version} depends on ${dep}, which the lock lacks`);
    completed++;
  }
}
await Promise.all(Array.from({ length: 8 }, worker));

// Keys in the order npm writes them (json-stringify-nice with npm's preferred keys): preferred keys
// first, then scalar and array values before objects, each group in locale order.
const preferred = [
  'name',
  'version',
  'lockfileVersion',
  'resolved',
  'integrity',
  'requires',
  'packages',
  'dependencies',
];
const isObj = (v) => !!v && !Array.isArray(v) && typeof v === 'object';
const rank = (k) => (preferred.includes(k) ? preferred.indexOf(k) : preferred.length);
function compare([ak, av], [bk, bv]) {
  if (isObj(av) !== isObj(bv)) return isObj(av) ? 1 : -1;
  return rank(ak) - rank(bk) || (rank(ak) === preferred.length ? ak.localeCompare(bk, 'en') : 0);
}
const text = `${JSON.stringify(
  lock,
  (_, v) => (isObj(v) ? Object.fromEntries(Object.entries(v).sort(compare)) : v),
  2,
)}\n`;
if (text !== original) writeFileSync(file, text);

console.log(
  `package-lock.json: ${completed} optional platform entr${completed === 1 ? 'y' : 'ies'} completed from the registry` +
    (wanted.size ? '' : ' (nothing to do)'),
);
for (const n of notes) console.warn(`note: ${n}`);
for (const s of skipped) console.warn(`skipped ${s}`);
if (failed.length) {
  console.error(`could not complete ${failed.length} entr${failed.length === 1 ? 'y' : 'ies'}:`);
  for (const f of failed) console.error(`  ${f}`);
  process.exitCode = 1;
}
