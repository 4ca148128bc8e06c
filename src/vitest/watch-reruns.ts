import { realpathSync } from 'node:fs';
import path from 'node:path';
import { REPORT_FILES } from '../report/write.js';
import type { PlannedRun } from './plan-run.js';

// What a watch session re-runs when a watcher reports a file, and which watcher watches what.

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
 * Who watches what in a watch session: looplet's own watcher (`watchTraceRoots`) watches the
 * traces roots, directory by directory; vite's (`server.watch.ignored`) everything else — and the
 * eval and case directories inside a traces root, with the directories above them, since vite
 * watches sources to know which evals a change affects. A root given through a symbolic link is
 * matched by its real path too (vite walks the project by its own paths).
 */
export function watchScope({
  traceRoots,
  sourceRoots,
}: {
  /** Absolute traces roots. */
  traceRoots: readonly string[];
  /** Absolute eval and case roots. */
  sourceRoots: readonly string[];
}): {
  /** For vite's `server.watch.ignored`: a path inside a traces root and not a source's, or a report file. */
  ignoredByVite: (file: string) => boolean;
  /** For looplet's watcher: an eval or case directory, or one under it. */
  ignoredByLooplet: (dir: string) => boolean;
} {
  const traces = withRealPaths(traceRoots);
  const sources = withRealPaths(sourceRoots);
  return {
    ignoredByLooplet: (dir) => sources.some((source) => inside(dir, source)),
    ignoredByVite(file) {
      if (isReportFile(file)) return true;
      const absolute = path.resolve(file);
      if (!traces.some((root) => inside(absolute, root))) return false;
      return !sources.some((source) => inside(absolute, source) || inside(source, absolute));
    },
  };
}

/**
 * True for a report file looplet writes (or its temporary copy), wherever `--out` puts it: a re-run
 * writing one must not start the next. Its names are only the report's; the rest of its directory
 * (even a traces root) is watched as usual.
 */
export function isReportFile(file: string): boolean {
  const name = path.basename(file);
  return REPORT_NAMES.some((report) => name === report || name.startsWith(`${report}.`));
}

const REPORT_NAMES = Object.values(REPORT_FILES);

/** Each path, and its real path where that differs (a symbolic link on the way). */
function withRealPaths(paths: readonly string[]): string[] {
  const all = new Set(paths);
  for (const at of paths) {
    try {
      all.add(realpathSync.native(at));
    } catch {
      // Not there (yet): only the path as given.
    }
  }
  return [...all];
}

/** True when `file` is `dir` or under it. */
function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`);
}
