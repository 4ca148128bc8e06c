import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvalErrorInfo } from '../evals/types.js';
import { CODE_DIR } from '../util/package-files.js';

/** looplet's own compiled files: frames in them are the harness calling the eval, not the eval. */
const LOOPLET_DIST = CODE_DIR + path.sep;

/**
 * Where an eval threw, as `file:line:column` (relative to the working directory when inside it):
 * the innermost stack frame in the user's code — not in node_modules, Node's internals or
 * looplet itself. `undefined` when the stack has no such frame.
 */
export function thrownAt(error: EvalErrorInfo): string | undefined {
  for (const match of (error.stack ?? '').matchAll(/^\s*at (?:.*?\()?(\S+?):(\d+):(\d+)\)?$/gm)) {
    const [, location = '', line, column] = match;
    const file = location.startsWith('file://') ? fileURLToPath(location) : location;
    if (!path.isAbsolute(file) || file.startsWith(LOOPLET_DIST) || /[\\/]node_modules[\\/]/.test(file))
      continue;
    const relative = path.relative(process.cwd(), file);
    return `${relative.startsWith('..') || path.isAbsolute(relative) ? file : relative}:${line}:${column}`;
  }
  return undefined;
}
