#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run on `npm install` via `prepare`).
import v8 from 'node:v8';

// A run loads vite and vitest and then handles one result per eval × trace: a larger young
// generation spares most of the garbage collections that would otherwise cost ~10% of it.
v8.setFlagsFromString('--max-semi-space-size=64');
import('../dist/cli/bin.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/bin.js')) {
    console.error(
      'looplet: the CLI is not built yet. Run `npm run build` (or `npm install`, which builds it).',
    );
    process.exit(2);
  }
  throw error;
});
