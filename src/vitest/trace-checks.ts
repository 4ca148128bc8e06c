import {
  type Dirent,
  existsSync,
  type FSWatcher,
  lstatSync,
  readdirSync,
  type Stats,
  statSync,
  watch,
} from 'node:fs';
import path from 'node:path';
import { CALLS_DIR, STEPS_DIR } from '../provenance/layout.js';
import type { TraceRef } from './plan.js';

// How one trace is checked for changes while a run scores it (see trace-changes.ts): a kernel
// watch of each of its directories, or a note of every file to compare after the run.

/** What changed in a trace: the first file seen changing, and how. */
interface TraceChange {
  file: string;
  /** `written`: a file put at this name, new or in place of the one there; `changed`: written in place. */
  how: 'changed' | 'written' | 'deleted';
}

/** One trace, watched or noted, until the run ends. */
export interface TraceCheck {
  ref: TraceRef;
  /** The first change, once the run is over. */
  change(): TraceChange | undefined;
  /** True for a kernel watch that has seen nothing yet: it can check the trace through another run. */
  untouched(): boolean;
  close(): void;
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
 * `written`. `stats` are the trace directory's, as the caller looked at it (through a link it gave).
 */
export function watchTrace(ref: TraceRef, stats: Stats): TraceCheck | undefined {
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
export function uncheckedTrace(ref: TraceRef): TraceCheck {
  return { ref, close() {}, untouched: () => false, change: () => undefined };
}

/** A file's identity and state, as `stat` gives it. */
interface FileState {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Notes every file of a trace now; compares when asked for the change. */
export function statTrace(ref: TraceRef): TraceCheck {
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
