#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run before `npm pack`/`npm publish` via `prepack`).
import('../dist/cli/bin.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/bin.js')) {
    console.error('looplet: the CLI is not built yet. Run `npm run build`.');
    process.exit(2);
  }
  throw error;
});
