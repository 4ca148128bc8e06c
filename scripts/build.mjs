// `npm run build`: dist/ from scratch. tsc checks the sources and writes the type declarations
// to dist/ and the JavaScript to .build/js/ (tsconfig.build.json); rollup bundles that JavaScript
// into dist/ (scripts/bundle.mjs); esbuild bundles the HTML report's page script
// (scripts/build-html-client.mjs). dist/ is emptied first, so no older file lingers; .build/ is
// removed once bundled.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bundle } from './bundle.mjs';

rmSync('dist', { recursive: true, force: true });
rmSync('.build', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
await bundle();
rmSync('.build', { recursive: true, force: true });
await import('./build-html-client.mjs');
