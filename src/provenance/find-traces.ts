import { type Dirent, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { TraceReadError } from './errors.js';
import { CALLS_DIR, STEPS_DIR, TRACE_FILE, VOLATILE_FILE } from './layout.js';
import { PYTHON_TRACE_FILE } from './trace-completeness.js';

/**
 * Lists the trace directories under `root` (itself included): every directory that looks like a
 * trace, so a damaged one is reported instead of silently skipped. A directory looks like a trace
 * when it holds an entry named `trace.json`, `trajectory.json` (Python looplet) or `volatile.json`
 * — of any kind: a directory or a link of that name is a damaged trace — or a `steps`/`calls`
 * entry that is not a directory of further directories (a trace's `steps/` holds files only, while
 * a tree of traces may well have a folder called `steps`).
 *
 * The walk does not descend into a trace, never follows a symbolic link (a link to a directory
 * under `root` is neither walked nor listed), and skips hidden directories (a write's temporary
 * and set-aside copies) and `node_modules`. Synchronous: thousands of small directories list
 * faster without a promise each.
 */
export function walkTraceDirs({ root }: { root: string }): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    // Most directories of a traces tree are traces: two lstat calls spare listing them.
    if (exists(path.join(dir, TRACE_FILE)) || exists(path.join(dir, PYTHON_TRACE_FILE))) {
      found.push(dir);
      return;
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // Unreadable: nothing to list (the root's own absence is reported by the caller).
    }
    if (entries.some((entry) => looksLikeTraceEntry(dir, entry))) {
      found.push(dir);
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || skippedByTraceWalk(entry.name)) continue;
      const subdirectory = path.join(dir, entry.name);
      // Node decodes names as UTF-8, putting U+FFFD for bytes that are not: such a name leads
      // nowhere, and its traces would be left out without a word.
      if (entry.name.includes('\uFFFD') && !exists(subdirectory)) throw notUtf8Name(dir, entry.name);
      walk(subdirectory);
    }
  };
  walk(root);
  return found;
}

function looksLikeTraceEntry(dir: string, entry: Dirent): boolean {
  if (entry.name === VOLATILE_FILE) return true;
  if (entry.name !== STEPS_DIR && entry.name !== CALLS_DIR) return false;
  if (!entry.isDirectory()) return true;
  try {
    return !readdirSync(path.join(dir, entry.name), { withFileTypes: true }).some((inner) =>
      inner.isDirectory(),
    );
  } catch {
    return true;
  }
}

/** The error for a directory whose name is not valid UTF-8 (shown with its bytes escaped). */
function notUtf8Name(dir: string, decoded: string): TraceReadError {
  const raw = readdirSync(dir, { encoding: 'buffer' }).find((name) => name.toString('utf8') === decoded);
  const shown = raw ? escapedName(raw) : decoded;
  return new TraceReadError({
    file: path.join(dir, shown),
    problem:
      'is a directory whose name is not valid UTF-8: it cannot be named in reports and baselines (ids are text), so the traces in it cannot be scored',
    hint: `rename it to a UTF-8 name (in bash, in that directory: mv $'${shown}' new-name)`,
    code: 'TRACE_NAME_NOT_UTF8',
  });
}

/** A file name's bytes as text: printable ASCII as it is, every other byte as `\xNN`. */
function escapedName(name: Buffer): string {
  let shown = '';
  for (const byte of name)
    shown +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x27
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  return shown;
}

function exists(file: string): boolean {
  try {
    // Most directories of a Python traces tree have no trace.json: no exception for that.
    return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/** Names the trace walk never enters: hidden entries (writes in progress, set-aside copies) and node_modules. */
export function skippedByTraceWalk(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}
