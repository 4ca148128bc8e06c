// Bundles the HTML report's page script (src/report/html-client, preact + the `diff` package)
// and its style into dist/report/html/, where the report writer inlines them into each page.
// Part of `npm run build`; nothing is fetched when a page is written or opened.
import { build } from 'esbuild';

await build({
  entryPoints: { 'page-client': 'src/report/html-client/main.tsx' },
  outdir: 'dist/report/html',
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: 'tsconfig.client.json',
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
});
