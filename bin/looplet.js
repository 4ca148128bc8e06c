#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run before `npm pack`/`npm publish`
// via `prepack`, so a published package always has it). A source checkout has no dist/ until it is
// built: there the first run builds it, so `npm install && npx looplet-eval` works on a fresh clone
// without an install script (which npm warns about when a package is installed from git).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node 22.1+ keeps the compiled code of looplet, vitest and vite on disk between runs (as tsc does;
// in the system's temporary directory, or NODE_COMPILE_CACHE): a run starts sooner. The scoring
// threads get it through the environment. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const compileCache = module.enableCompileCache?.();
if (compileCache?.directory && process.env.NODE_COMPILE_CACHE === undefined)
  process.env.NODE_COMPILE_CACHE = compileCache.directory;

const root = fileURLToPath(new URL('..', import.meta.url));

const checkout =
  existsSync(new URL('../scripts/build.mjs', import.meta.url)) &&
  existsSync(new URL('../src', import.meta.url));

if (!existsSync(new URL('../dist/cli/bin.js', import.meta.url)) && checkout) {
  console.error('looplet: building the CLI first (a source checkout without dist/: npm run build)…');
  // The build's own output goes to stderr: stdout stays the command's (e.g. --json).
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    console.error(
      `looplet: the build failed (exit ${build.status ?? build.signal}); fix it and run \`npm run build\``,
    );
    process.exit(2);
  }
}

import('../dist/cli/bin.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/bin.js')) {
    console.error('looplet: the CLI is not built yet. Run `npm run build`.');
    process.exit(2);
  }
  throw error;
});
