import path from 'node:path';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';

/** The flags `looplet show` and `looplet diff` take for an HTML page. */
export interface HtmlFlags {
  html?: boolean;
  out?: unknown;
}

/** `looplet show --html DIR`: the trace as one self-contained page. */
export async function writeTraceHtml({ dir, out }: { dir: string; out: unknown }): Promise<ExitCode> {
  const { renderTraceHtml } = await import('../report/html/trace-page.js');
  await writeHtmlPage({ html: renderTraceHtml({ dir }), out, fallback: 'looplet-trace.html' });
  return EXIT.ok;
}

/** `looplet diff --html A B`: both traces, step-aligned; exit 1 when they differ, as the text diff. */
export async function writeDiffHtml({
  a,
  b,
  out,
  includeVolatile,
}: {
  a: string;
  b: string;
  out: unknown;
  includeVolatile: boolean | undefined;
}): Promise<ExitCode> {
  const { renderTraceDiffHtml } = await import('../report/html/trace-page.js');
  const page = await renderTraceDiffHtml({ a, b, includeVolatile: Boolean(includeVolatile) });
  await writeHtmlPage({ html: page.html, out, fallback: 'looplet-diff.html' });
  return page.differences === 0 ? EXIT.ok : EXIT.failed;
}

/** Writes a page to `--out` (default `fallback` in the current directory) and says where it went. */
async function writeHtmlPage({ html, out, fallback }: { html: string; out: unknown; fallback: string }) {
  if (out !== undefined && (typeof out !== 'string' || out === ''))
    throw new UsageError('--out needs a file name');
  const { writeFileAtomic } = await import('../report/files.js');
  const file = path.resolve(out ?? fallback);
  await writeFileAtomic({ file, content: html });
  const relative = path.relative(process.cwd(), file);
  process.stdout.write(`wrote ${relative.startsWith('..') ? file : relative}: open it in a browser\n`);
}
