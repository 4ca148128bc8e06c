import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LoopletError } from '../../util/errors.js';
import { CODE_DIR, packageFile } from '../../util/package-files.js';
import { type Rendered, toBuffers } from '../render-cache.js';
import { PAGE_DATA_ID, type PageData, runDataId } from './page-data.js';

/** The page script and style `npm run build` bundles (scripts/build-html-client.mjs). */
const ASSETS = { script: 'page-client.js', style: 'page-client.css' } as const;

/** The page script (safe to inline), its style, and the Content-Security-Policy allowing just those. */
interface PageAssets {
  script: string;
  style: string;
  policy: string;
  /** The script and style as UTF-8, for pages written as bytes. */
  bytes: { script: Uint8Array; style: Uint8Array };
}

let assets: PageAssets | undefined;

/**
 * The bundled page script and style. Beside this module in the package (dist/report/html/); when
 * running from the sources (tests), in the repository's dist/.
 */
function loadAssets(): PageAssets {
  if (assets) return assets;
  const read = (name: string): string => {
    const candidates = [
      pathToFileURL(path.join(CODE_DIR, 'report', 'html', name)),
      pathToFileURL(packageFile(path.join('dist', 'report', 'html', name))),
    ];
    for (const url of candidates) {
      try {
        return readFileSync(url, 'utf8');
      } catch {
        // try the next place
      }
    }
    // Only a checkout that was not built lacks them.
    throw new LoopletError({
      message: `the HTML report's page script is missing (${fileURLToPath(candidates[0]!)}): run \`npm run build\` in the looplet package`,
      code: 'HTML_ASSETS_MISSING',
    });
  };
  // The bundle is inlined in a classic script element: it must not hold a closing tag.
  const script = read(ASSETS.script).replaceAll('</script', '<\\/script');
  const style = read(ASSETS.style);
  // node:crypto is loaded here, when a page is written, not by `import 'looplet/evals'`.
  const { createHash } = process.getBuiltinModule('node:crypto');
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const policy = [
    "default-src 'none'",
    `script-src ${hash(script)}`,
    `style-src ${hash(style)}`,
    'img-src data:',
  ].join('; ');
  assets = { script, style, policy, bytes: { script: Buffer.from(script), style: Buffer.from(style) } };
  return assets;
}

/**
 * JSON that is safe inside a `<script type="application/json">` element: every `<` escaped, so
 * no value (a tool result holding `</script>` or `<!--`) can end the element early.
 */
export function scriptJson(json: string): string {
  return json.replaceAll('<', '\\u003c');
}

/**
 * One self-contained HTML page: styles, script and data inline. Its Content-Security-Policy
 * allows only that inline script and style (by hash) and `data:` images, so the page can make no
 * network request at all, from `file://` or a CI artifact.
 *
 * @param blobs JSON of each embedded run, in `RunEntry.blob` order.
 */
export function renderPage({ data, blobs }: { data: PageData; blobs: readonly string[] }): string {
  const { script, style } = loadAssets();
  return pagePieces({
    title: data.title,
    safeData: [scriptJson(JSON.stringify(data))],
    runSection: runPieces(blobs, 0, blobs.length, scriptJson),
    script,
    style,
  }).join('');
}

/**
 * The elements of runs `start…end`: each run's JSON (`safeBlob` makes it safe in a script
 * element) after the markup that ends the element before it and opens its own.
 */
export function runPieces<R, T>(
  runs: readonly R[],
  start: number,
  end: number,
  safeBlob: (run: R) => T,
): Array<string | T> {
  const pieces: Array<string | T> = [];
  for (let index = start; index < end; index++)
    pieces.push(
      `</script>\n<script type="application/json" id="${runDataId(index)}">`,
      safeBlob(runs[index]!),
    );
  return pieces;
}

/**
 * {@link renderPage} as UTF-8 in pieces to write one after another, from the page data's JSON text in pieces and the embedded runs'
 * elements ({@link runPieces}), all passed through {@link scriptJson} already, some encoded
 * already: a report in watch mode keeps the parts of the outcomes and runs that did not change
 * between runs, and those megabytes are neither joined into one string nor encoded again.
 */
export function renderPageBuffers({
  title,
  safeData,
  runSection,
}: {
  title: string;
  safeData: readonly Rendered[];
  runSection: readonly Rendered[];
}): Buffer[] {
  const { script, style } = loadAssets().bytes;
  return toBuffers(pagePieces<Rendered>({ title, safeData, runSection, script, style }));
}

/** The page in order: markup, the data, the runs' elements (`T`: text, or text and bytes), the style and script. */
function pagePieces<T>({
  title,
  safeData,
  runSection,
  script,
  style,
}: {
  title: string;
  safeData: readonly T[];
  runSection: readonly (string | T)[];
  script: T;
  style: T;
}): Array<string | T> {
  const { policy } = loadAssets();
  const pieces: Array<string | T> = [
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
      `<meta http-equiv="Content-Security-Policy" content="${policy}">\n` +
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
      '<meta name="color-scheme" content="light dark">\n' +
      `<title>${escapeHtml(title)}</title>\n<style>`,
    style,
    '</style>\n</head>\n<body>\n' +
      '<div id="app"><noscript>This report needs JavaScript to show its results.</noscript></div>\n' +
      `<script type="application/json" id="${PAGE_DATA_ID}">`,
    ...safeData,
    ...runSection,
  ];
  pieces.push('</script>\n<script>', script, '</script>\n</body>\n</html>\n');
  return pieces;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
