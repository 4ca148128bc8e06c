import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { PlannedRun } from './plan-run.js';

// What a watch session re-runs when the watcher reports a file, and what the watcher leaves unwatched.

/** Traces per chunk in a watch session (CI runs take 400: fewer, larger chunks start faster). */
export const WATCH_TRACES_PER_CHUNK = 50;

/**
 * For a file inside a trace, the chunk that scores that trace (as the one entry to re-run), or
 * undefined for any other file (an eval file, a case, a trace the plan does not know) and in a
 * project with cases: everything re-runs then.
 */
export function chunkHoldingTrace({
  plan,
  cwd,
}: {
  plan: PlannedRun;
  cwd: string;
}): (file: string) => string[] | undefined {
  // A case may replay any trace: with cases, a trace change re-runs everything.
  if (plan.cases.length > 0) return () => undefined;
  const chunkOf = new Map<string, string>();
  plan.plans.forEach((chunk, index) => {
    for (const trace of chunk.traces) chunkOf.set(path.resolve(cwd, trace.dir), plan.entries[index]!);
  });
  const roots = new Set(plan.traceRoots.map((root) => path.resolve(cwd, root)));
  return (file) => {
    for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
      const entry = chunkOf.get(dir);
      if (entry) return [entry];
      if (roots.has(dir) || path.dirname(dir) === dir) return undefined;
    }
  };
}

/**
 * For vite's file watcher (`server.watch.ignored`): true for a symbolic link to a directory inside
 * a traces root. The watcher would walk into it — a trace from a pull request may link to `/` (the
 * whole disk walked and watched) or hold a loop (the session died of ELOOP). No trace is ever read
 * through such a link (the trace walk and the reader do not follow them), so there is nothing to
 * watch behind it. A root that is itself a link is followed, as before. The watcher asks about each
 * path several times, with the followed `stats` when it is about to walk in: only a directory is
 * checked (`lstat`), so 27,000 watched files cost nothing (asking about every path took 0.5 s).
 */
export function linkInsideTraceRoots({
  roots,
}: {
  roots: readonly string[];
}): (file: string, stats?: { isDirectory(): boolean }) => boolean {
  const inside = roots.map((root) => `${path.resolve(root)}${path.sep}`);
  return (file, stats) => {
    if (!stats?.isDirectory()) return false;
    const absolute = path.resolve(file);
    if (!inside.some((root) => absolute.startsWith(root))) return false;
    return lstatSync(absolute, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
  };
}
