import { readdirSync } from 'node:fs';
import path from 'node:path';
import { CALLS_DIR, STEPS_DIR, TRACE_FILE, VOLATILE_FILE } from './layout.js';

/** Python looplet's top-level trace file. */
const PYTHON_TRACE_FILE = 'trajectory.json';

/**
 * Lists the trace directories under `root` (itself included): every directory holding
 * `trace.json` or `trajectory.json` (Python looplet) — and with `partial`, also the remains of an
 * interrupted write (`volatile.json`, or `steps/` or `calls/` with JSON files, but no
 * `trace.json`). The walk does not descend into a trace (its `steps/` and `calls/` are never
 * listed), and skips hidden directories (a write's temporary and set-aside copies) and
 * `node_modules`. Synchronous: thousands of small directories list faster without a promise each.
 */
export function walkTraceDirs({ root, partial = false }: { root: string; partial?: boolean }): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const isTrace = entries.some(
      (entry) =>
        (entry.isFile() && (entry.name === TRACE_FILE || entry.name === PYTHON_TRACE_FILE)) ||
        (partial && entry.isFile() && entry.name === VOLATILE_FILE) ||
        (partial &&
          entry.isDirectory() &&
          (entry.name === STEPS_DIR || entry.name === CALLS_DIR) &&
          holdsJson(path.join(dir, entry.name))),
    );
    if (isTrace) {
      found.push(dir);
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
        walk(path.join(dir, entry.name));
    }
  };
  walk(root);
  return found;
}

function holdsJson(dir: string): boolean {
  return readdirSync(dir).some((name) => name.endsWith('.json'));
}
