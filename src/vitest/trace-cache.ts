import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { StepData } from '../core/step.js';
import { TraceReadError } from '../provenance/errors.js';
import { readTrace } from '../provenance/read-trace.js';
import type { RecordedTrace } from '../provenance/types.js';
import { pathsAffectedBy, takeChangedFiles } from './watch-changes.js';

// A watch session's runtimes outlive a run (the in-process pool's is the process's; threads are
// kept for the next run), so traces read by one run are kept for the next: a re-run reads again
// only the traces whose files the watcher reported (or whose directory was replaced), and scores
// the others from memory. Kept on `globalThis`, as the changes are (watch-changes.ts).

interface CachedTrace {
  /** The directory's identity when it was read: a trace re-recorded in place is a new directory. */
  ino: number;
  mtimeMs: number;
  trace: RecordedTrace;
}

const STATE = Symbol.for('looplet.traceCache');

function cache(): Map<string, CachedTrace> {
  const global = globalThis as { [STATE]?: Map<string, CachedTrace> };
  global[STATE] ??= new Map();
  return global[STATE];
}

/**
 * Opens a trace, or returns the one read by an earlier run of this process when neither its
 * directory nor a file the watcher reported under it changed since. Steps read once are kept too.
 */
export function openCachedTrace(dir: string): RecordedTrace {
  const entries = cache();
  for (const file of takeChangedFiles()) for (const at of pathsAffectedBy(file)) entries.delete(at);
  const root = path.resolve(dir);
  const identity = lstatSync(root, { throwIfNoEntry: false });
  const cached = entries.get(root);
  if (cached && identity && cached.ino === identity.ino && cached.mtimeMs === identity.mtimeMs)
    return cached.trace;
  entries.delete(root);
  // Planned as a directory, now a link (a trace swapped for one while the session ran): not read
  // through it — it may lead anywhere, `/` included.
  if (identity?.isSymbolicLink())
    throw new TraceReadError({
      file: root,
      problem: 'is now a symbolic link (it was a trace directory when the watch session started)',
      hint: 'traces are not read through links: put the trace directory itself there',
    });
  const trace = rememberSteps(readTrace(root));
  if (identity) entries.set(root, { ino: identity.ino, mtimeMs: identity.mtimeMs, trace });
  return trace;
}

/** Forgets every trace (tests). */
export function clearTraceCache(): void {
  cache().clear();
  takeChangedFiles();
}

/** The trace with each step kept once read (steps of a v1 trace are files of their own). */
function rememberSteps(trace: RecordedTrace): RecordedTrace {
  const steps = new Map<number, StepData>();
  const readStep = trace.readStep.bind(trace);
  return new Proxy(trace, {
    get(target, key) {
      if (key === 'readStep')
        return (index: number) => {
          let step = steps.get(index);
          if (!step) {
            step = readStep(index);
            steps.set(index, step);
          }
          return step;
        };
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
