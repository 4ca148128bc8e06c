import {
  type Dirent,
  existsSync,
  type FSWatcher,
  lstatSync,
  readdirSync,
  readFileSync,
  type Stats,
  statSync,
  watch,
} from 'node:fs';
import path from 'node:path';
import type { EvalOutcome } from '../evals/types.js';
import { CALLS_DIR, STEPS_DIR } from '../provenance/layout.js';
import type { RunRecord } from '../report/run-record.js';
import type { InfrastructureError } from '../report/summary.js';
import { CHUNK_SUFFIX, parseChunkFile, type TraceRef } from './plan.js';

/**
 * Detects evals (or agents, or anything they start) that change recorded traces while a run
 * scores them. After the run, each trace whose files changed — written, added, removed, replaced —
 * is an error of kind `trace` naming the file and the eval files that ran on the trace. `-u`
 * re-records traces on purpose: the traces the run updated are left out.
 *
 * On Linux the kernel tells: one inotify watch per trace directory (a Python trace has 2 and 34
 * files) reports any change to the files in it, so the run pays a watch per directory (and a
 * `lstat` or two to find its subdirectories) instead of a stat per file before and after it. Elsewhere — or when the system runs out of
 * watches — each file's size, mtime and inode are noted before the run and compared after it.
 */

/** How a run notices changed traces: kernel watches (Linux) or a stat of every file before and after. */
export type TraceCheckMethod = 'watch' | 'stat';

/** What changed in a trace: the first file seen changing, and how. */
interface TraceChange {
  file: string;
  /** `written`: a file put at this name, new or in place of the one there; `changed`: written in place. */
  how: 'changed' | 'written' | 'deleted';
}

/** One trace, watched or noted, until the run ends. */
interface TraceCheck {
  ref: TraceRef;
  /** The first change, once the run is over. */
  change(): TraceChange | undefined;
  /** True for a kernel watch that has seen nothing yet: it can check the trace through another run. */
  untouched(): boolean;
  close(): void;
}

/** The traces of a run, checked from before it scores them until {@link traceChanges}. */
export interface TraceSnapshot {
  root: string;
  checks: TraceCheck[];
  /** Where checks that saw no change go when the run ends, for the next run (watch mode). */
  kept?: KeptTraceChecks;
}

/**
 * Kernel watches kept between the runs of a watch session, by trace directory. A re-run reuses the
 * watch of a trace that nothing touched since it was set (no event at all): the watch has been
 * reporting since before the re-run, so it tells what changed during the re-run as a new one
 * would — without listing the trace's directories and setting new watches on every re-run. A
 * watch that saw anything (the edit that started the re-run) is set again. vitest's file watcher
 * and these watches are `fs.watch` handles of one event loop, which reads the kernel's events for
 * all of them at once: the edit that starts a re-run reached its trace's watch before vitest
 * (which waits a little for more edits) started the re-run.
 */
export class KeptTraceChecks {
  readonly #checks = new Map<string, TraceCheck>();

  /** The kept check of `ref`'s directory if it saw nothing since it was set; closes it otherwise. */
  take(ref: TraceRef): TraceCheck | undefined {
    const check = this.#checks.get(ref.dir);
    if (!check) return undefined;
    this.#checks.delete(ref.dir);
    if (check.untouched()) {
      check.ref = ref;
      return check;
    }
    check.close();
    return undefined;
  }

  keep(check: TraceCheck): void {
    this.#checks.get(check.ref.dir)?.close();
    this.#checks.set(check.ref.dir, check);
  }

  /** Closes every kept watch (the session is over). */
  close(): void {
    for (const check of this.#checks.values()) check.close();
    this.#checks.clear();
  }
}

/** The traces the chunk files of a run score (files that are not looplet chunks are ignored). */
export function tracesOfChunks(files: readonly string[]): TraceRef[] {
  const traces = new Map<string, TraceRef>();
  for (const file of files) {
    if (!file.endsWith(CHUNK_SUFFIX)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const ref of parseChunkFile(text).traces) traces.set(ref.dir, ref);
  }
  return [...traces.values()];
}

/** Starts checking each trace (`method` defaults to `watch` on Linux, `stat` elsewhere). */
export function snapshotTraces({
  root,
  traces,
  method = process.platform === 'linux' ? 'watch' : 'stat',
  kept,
}: {
  root: string;
  traces: readonly TraceRef[];
  method?: TraceCheckMethod;
  /** Watches kept from the session's previous runs: reused where untouched, and given the unchanged ones at the end. */
  kept?: KeptTraceChecks;
}): TraceSnapshot {
  const checks: TraceCheck[] = [];
  let watching = method === 'watch';
  for (const ref of traces) {
    const reused = kept?.take(ref);
    if (reused) {
      checks.push(reused);
      continue;
    }
    // In a watch session a trace may have been swapped for a link since the plan: not walked (it
    // may lead to `/`); the reader refuses it. A run's plan is moments old: no lstat per trace.
    if (kept && lstatSync(ref.dir, { throwIfNoEntry: false })?.isSymbolicLink()) {
      checks.push(uncheckedTrace(ref));
      continue;
    }
    if (watching) {
      const check = watchTrace(ref);
      if (check) {
        checks.push(check);
        continue;
      }
      watching = false; // Out of watches: the rest are noted file by file.
    }
    checks.push(statTrace(ref));
  }
  return { root, checks, ...(kept ? { kept } : {}) };
}

/**
 * The traces whose files changed since `snapshot`, as errors of kind `trace`: each names the
 * first changed file (relative to the project root) and the eval files that ran on the trace.
 * Ends the checks (a snapshot with `kept` keeps the untouched watches there).
 */
export async function traceChanges({
  snapshot,
  outcomes,
  runs,
}: {
  snapshot: TraceSnapshot;
  outcomes: readonly EvalOutcome[];
  runs: readonly RunRecord[];
}): Promise<InfrastructureError[]> {
  await kernelEventsDelivered();
  const { root } = snapshot;
  const updated = new Set(
    runs.flatMap((run) => (run.updated && run.trace !== undefined ? [path.resolve(root, run.trace)] : [])),
  );
  const errors: InfrastructureError[] = [];
  for (const check of snapshot.checks) {
    const change = updated.has(path.resolve(check.ref.dir)) ? undefined : check.change();
    if (snapshot.kept && check.untouched()) snapshot.kept.keep(check);
    else check.close();
    if (!change) continue;
    const { ref } = check;
    const evalFiles = [
      ...new Set(
        outcomes.flatMap((outcome) =>
          outcome.context === ref.id && outcome.file !== undefined ? [relative(root, outcome.file)] : [],
        ),
      ),
    ].sort();
    const ran = evalFiles.length > 0 ? `eval files run on it: ${evalFiles.join(', ')}` : 'no eval ran on it';
    errors.push({
      source: ref.id,
      kind: 'trace',
      message: `${relative(root, change.file)} was ${change.how} while evals ran (${ran}). Traces are read-only to evals and agents: write elsewhere (a temporary directory); \`looplet-eval -u\` re-records traces. ${
        // In a watch session the change may be the user's own edit, which the session scores next.
        snapshot.kept
          ? 'If you changed it yourself, ignore this: the session scores it again now'
          : 'Restore the trace (git checkout) and run again'
      }`,
    });
  }
  return errors;
}

/** Ends the checks without reporting (a run that stopped early). */
export function closeSnapshot(snapshot: TraceSnapshot): void {
  for (const check of snapshot.checks) check.close();
}

/**
 * Lets the event loop read what the kernel queued: a write made before the run ended is queued
 * by then, and one full turn of the loop (a timer, then the poll phase) hands it to the watchers.
 */
async function kernelEventsDelivered(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  await new Promise((resolve) => setImmediate(resolve));
}

function relative(root: string, file: string): string {
  const relativePath = path.relative(root, file);
  return relativePath.startsWith('..') || path.isAbsolute(relativePath) ? file : relativePath;
}

function listing(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Names followed per trace: the first real change is among the first few in any run that makes one. */
const MAX_NAMES = 64;

/**
 * Subdirectories a trace of either format has (looplet's `steps/` and `calls/`, Python's
 * `steps/`): looked for by name, so that a directory's link count (2 + its subdirectories on
 * Linux file systems) tells whether there is any other, without listing it.
 */
const KNOWN_SUBDIRECTORIES = [STEPS_DIR, CALLS_DIR];

/** What the watch of one name saw: each create, delete or move of it is a `rename` event. */
interface NameEvents {
  dir: string;
  name: string;
  renames: number;
  changes: number;
}

/**
 * Watches every directory of a trace; undefined when the system has no watch left (the caller
 * falls back to noting files). Nothing is listed: each create, delete or move of a name is one
 * `rename` event, so an odd number of them flips whether the name exists — what it is at the
 * end and how many there were tell what it was before. A file created and removed again (a
 * temporary file) is no change; one put at a name, new or in place of the file there, was
 * `written`.
 */
function watchTrace(ref: TraceRef): TraceCheck | undefined {
  const watchers: FSWatcher[] = [];
  const watched: Array<{ dir: string; ino: number }> = [];
  const seen = new Map<string, NameEvents>();
  let events = 0;
  const note = (dir: string, name: string | null, event: string) => {
    events++;
    if (name === null) return; // A failed watch: its directory's identity tells what happened.
    const key = `${dir}${path.sep}${name}`;
    let entry = seen.get(key);
    if (!entry) {
      if (seen.size >= MAX_NAMES) return;
      entry = { dir, name, renames: 0, changes: 0 };
      seen.set(key, entry);
    }
    if (event === 'rename') entry.renames++;
    else entry.changes++;
  };
  const close = () => {
    for (const watcher of watchers) watcher.close();
    watchers.length = 0;
  };
  const add = (dir: string, stats: Stats): boolean => {
    try {
      const watcher = watch(dir, { persistent: false }, (event, name) => note(dir, name, event));
      // A watch that fails later (its directory removed) is a change too.
      watcher.on('error', () => note(dir, null, 'rename'));
      watchers.push(watcher);
      watched.push({ dir, ino: stats.ino });
    } catch {
      return false;
    }
    for (const subdirectory of subdirectoriesOf(dir, stats))
      if (!add(subdirectory.path, subdirectory.stats)) return false;
    return true;
  };
  // The trace directory may be a link the user gave (the plan's path); what is inside is not followed.
  const stats = statSync(ref.dir, { throwIfNoEntry: false });
  if (!stats?.isDirectory()) return uncheckedTrace(ref); // Gone since the plan: the reader says so.
  if (!add(ref.dir, stats)) {
    close();
    return undefined;
  }
  return {
    ref,
    close,
    untouched: () => events === 0 && watchers.length > 0,
    change() {
      if (events === 0) return undefined;
      // A watched directory removed, or another put in its place, before what happened inside.
      for (const { dir, ino } of watched) {
        // The trace directory is looked at as it was watched: through the link the user may have given.
        const now = (dir === ref.dir ? statSync : lstatSync)(dir, { throwIfNoEntry: false });
        if (!now) return { file: dir, how: 'deleted' };
        if (!now.isDirectory() || now.ino !== ino) return { file: dir, how: 'written' };
      }
      for (const entry of seen.values()) {
        const change = changeOf(entry);
        if (change) return change;
      }
      return undefined;
    },
  };
}

/** What happened to a name in a directory still in place, from its events and whether it exists now. */
function changeOf({ dir, name, renames, changes }: NameEvents): TraceChange | undefined {
  const file = path.join(dir, name);
  const exists = existsSync(file);
  if (renames === 0) return changes > 0 && exists ? { file, how: 'changed' } : undefined;
  if (exists) return { file, how: 'written' };
  // Gone now. Each event flipped whether it existed: after an odd number, it existed before.
  return renames % 2 === 1 ? { file, how: 'deleted' } : undefined;
}

/**
 * The real subdirectories of `dir` (links are not followed). A directory's link count is 2 plus
 * its subdirectories on Linux's file systems: when the known names account for all of them,
 * nothing is listed; otherwise (another name, or a file system that counts 1) it is.
 */
function subdirectoriesOf(dir: string, stats: Stats): Array<{ path: string; stats: Stats }> {
  const expected = stats.nlink - 2;
  if (expected === 0) return [];
  const found: Array<{ path: string; stats: Stats }> = [];
  if (expected > 0)
    for (const name of KNOWN_SUBDIRECTORIES) {
      const at = path.join(dir, name);
      const known = lstatSync(at, { throwIfNoEntry: false });
      if (known?.isDirectory()) found.push({ path: at, stats: known });
      if (found.length === expected) return found;
    }
  const listed: Array<{ path: string; stats: Stats }> = [];
  for (const entry of listing(dir)) {
    if (!entry.isDirectory()) continue;
    const at = path.join(dir, entry.name);
    const entryStats = lstatSync(at, { throwIfNoEntry: false });
    if (entryStats?.isDirectory()) listed.push({ path: at, stats: entryStats });
  }
  return listed;
}

/** A trace nothing is watched or noted in: a link in a watch session, or gone (the reader says so). */
function uncheckedTrace(ref: TraceRef): TraceCheck {
  return { ref, close() {}, untouched: () => false, change: () => undefined };
}

/** A file's identity and state, as `stat` gives it. */
interface FileState {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Notes every file of a trace now; compares when asked for the change. */
function statTrace(ref: TraceRef): TraceCheck {
  const before = filesOf(ref.dir);
  return {
    ref,
    close() {},
    // What was noted is as old as the check: every run notes the files again.
    untouched: () => false,
    change: () => firstChange({ before, after: filesOf(ref.dir) }),
  };
}

function firstChange({
  before,
  after,
}: {
  before: Map<string, FileState>;
  after: Map<string, FileState>;
}): TraceChange | undefined {
  for (const [file, state] of before) {
    const now = after.get(file);
    if (!now) return { file, how: 'deleted' };
    if (now.ino !== state.ino) return { file, how: 'written' };
    if (now.size !== state.size || now.mtimeMs !== state.mtimeMs) return { file, how: 'changed' };
  }
  for (const file of after.keys()) if (!before.has(file)) return { file, how: 'written' };
  return undefined;
}

/** Every file under a trace directory (hidden entries included: a trace has none of its own). */
function filesOf(dir: string): Map<string, FileState> {
  const files = new Map<string, FileState>();
  const walk = (at: string) => {
    for (const entry of listing(at)) {
      const file = path.join(at, entry.name);
      if (entry.isDirectory()) walk(file);
      else {
        try {
          const { size, mtimeMs, ino } = statSync(file);
          files.set(file, { size, mtimeMs, ino });
        } catch {
          // Gone between listing and stat: the comparison sees it missing.
        }
      }
    }
  };
  walk(dir);
  return files;
}
