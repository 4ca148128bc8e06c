// Bundles the JavaScript tsc compiled (in .build/js) into dist/: one file per package entry, plus
// the files vitest and the CLI load by path, and one shared chunk per layer. Node pays about a
// millisecond per module file it loads, so `import 'looplet'` loading 77 small modules cost most
// of its time; bundled it loads two files (dist/index.js and dist/chunks/core.js).
//
// Chunks by layer (rollup's `manualChunks`): each module goes to the chunk of the first entry below
// that reaches it through static imports. `import 'looplet'` loads `core` only; `looplet/evals`
// loads `core` and `evals`; and so on. esbuild's `splitting` was tried first: it makes a chunk per
// set of entries sharing a module, 17 files on `import 'looplet'`'s path, which cost 45–53 ms of
// CPU against 15–18 ms for the same code in one file (measured side by side, 2026-11-30).
// - A module is in one chunk only, so a class keeps one identity: an error thrown by
//   `looplet/evals` is `instanceof` the `LoopletError` of `looplet`.
// - Third-party packages and Node's built-ins stay external, loaded by Node as before.
// - Lazy `import()`s stay lazy: what only they reach gets chunks of its own, loaded when called.
// - Not minified, no source maps: tsc's output keeps the comments, and a stack trace names a
//   readable file (dist/chunks/core.js:1234).
// Part of `npm run build` (scripts/build.mjs).
import path from 'node:path';
import { rollup } from 'rollup';

/** tsc's output (tsconfig.build.json `outDir`). */
const COMPILED = '.build/js';

/**
 * The entries, each with the layer chunk of the modules it is first to reach: what users import
 * (package.json `exports`), the runner vitest loads by path (RUNNER_PATH) and the CLI
 * (`bin/looplet.js` loads dist/cli/bin.js).
 */
export const ENTRIES = [
  { entry: 'index', layer: 'core' },
  { entry: 'evals/index', layer: 'evals' },
  { entry: 'testing/index', layer: 'testing' },
  { entry: 'vitest/index', layer: 'vitest' },
  { entry: 'vitest/runner', layer: 'runner' },
  { entry: 'cli/bin', layer: 'cli' },
];

const isExternal = (id) => !id.startsWith('.') && !path.isAbsolute(id);

export async function bundle() {
  const input = Object.fromEntries(
    ENTRIES.map(({ entry }) => [entry, path.resolve(COMPILED, `${entry}.js`)]),
  );
  const entryIds = new Set(Object.values(input));
  const reach = new Map();
  /** The modules `entry` loads through static imports (not `import()`), itself included. */
  const staticallyReached = (entry, getModuleInfo) => {
    let found = reach.get(entry);
    if (found) return found;
    found = new Set();
    const pending = [input[entry]];
    while (pending.length > 0) {
      const id = pending.pop();
      if (found.has(id)) continue;
      found.add(id);
      for (const next of getModuleInfo(id)?.importedIds ?? []) if (!isExternal(next)) pending.push(next);
    }
    reach.set(entry, found);
    return found;
  };
  const build = await rollup({
    input,
    external: isExternal,
    onwarn(warning, warn) {
      // Import cycles between modules are fine as long as no module uses another at load time.
      if (warning.code !== 'CIRCULAR_DEPENDENCY') warn(warning);
    },
  });
  await build.write({
    dir: 'dist',
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name].js',
    minifyInternalExports: false,
    manualChunks(id, { getModuleInfo }) {
      // An entry module stays alone in its file: were it in its layer's chunk, the CLI's layer
      // would live in dist/cli/bin.js, whose top-level `await main()` waits for the lazy chunks
      // that import that layer back — a deadlock.
      if (entryIds.has(id)) return undefined;
      return ENTRIES.find(({ entry }) => staticallyReached(entry, getModuleInfo).has(id))?.layer;
    },
  });
  await build.close();
}
