import { type Dirent, type FSWatcher, lstatSync, readdirSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import { skippedByTraceWalk } from '../provenance/find-traces.js';

/**
 * The file watcher of a watch session's traces roots. vite's watcher (chokidar) sets a kernel
 * watch on every file it sees: 36,000 for 1,000 Python traces, from a budget every process of the
 * user shares (`fs.inotify.max_user_watches`, 8,192 by default before Linux 5.11) — out of
 * watches, the session died of an unhandled ENOSPC — and walking them took seconds of the main
 * thread while the first run scored. This one watches directories only (a directory's watch
 * reports its files: 2 per Python trace), never follows a symbolic link (a trace from a pull
 * request may link to `/` or hold a loop), and reports what it sees in chokidar's words, for
 * vitest's watcher to handle as it handles chokidar's.
 */

/** A reported file: created (or replaced), changed or removed. */
export type TraceFileEvent = 'add' | 'change' | 'unlink';

/** What {@link watchTraceRoots} needs. */
export interface TraceWatcherOptions {
  /** Absolute traces roots (a root that is a symbolic link is followed). */
  roots: readonly string[];
  /** Directories under a root left to vite's watcher (eval and case directories): not watched here. */
  leftOut?: (dir: string) => boolean;
  /** Each event, as chokidar would report it (a new directory's files are each reported `add`). */
  onEvent: (event: TraceFileEvent, file: string) => void;
  /** Once, when the system refuses a watch (ENOSPC, EMFILE): the directories from then on go unwatched. */
  onWatchRefused: (error: NodeJS.ErrnoException, dir: string) => void;
  /** For tests: how a directory is watched (default `fs.watch`). */
  watchDirectory?: (dir: string, listener: (event: string, name: string | null) => void) => FSWatcher;
}

/** The watches of a session's traces roots; `close()` ends them. */
export interface TraceWatcher {
  /** The directories watched now. */
  readonly watched: number;
  close(): void;
}

/** How often a traces root that went away is looked for (its parent's watch may not see it come back). */
const MISSING_ROOT_POLL_MS = 1_000;

/** Starts watching every directory under `roots` (hidden ones and node_modules aside, as the trace walk does). */
export function watchTraceRoots(options: TraceWatcherOptions): TraceWatcher {
  const { onEvent, leftOut = () => false } = options;
  const watchDirectory =
    options.watchDirectory ??
    ((dir: string, listener: (event: string, name: string | null) => void) =>
      watch(dir, { persistent: false }, listener));
  const watchers = new Map<string, FSWatcher>();
  // The watched directories directly under each watched one: ending a directory's watches costs
  // its subtree, not a scan of every watch (15,000 directories removed would be quadratic).
  const children = new Map<string, Set<string>>();
  const roots = new Set(options.roots);
  const polls = new Map<string, NodeJS.Timeout>();
  let refused = false;

  const unwatch = (dir: string): void => {
    const watcher = watchers.get(dir);
    if (!watcher) return;
    watcher.close();
    watchers.delete(dir);
    children.get(path.dirname(dir))?.delete(dir);
    for (const child of children.get(dir) ?? []) unwatch(child);
    children.delete(dir);
  };

  /** A watch of `dir`, or undefined when it is gone or the system refuses (said once). */
  const watchOf = (dir: string, listener: (event: string, name: string | null) => void) => {
    if (refused) return undefined;
    try {
      return watchDirectory(dir, listener);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EMFILE') {
        refused = true;
        options.onWatchRefused(error as NodeJS.ErrnoException, dir);
      }
      return undefined;
    }
  };

  /** Watches `dir` and the directories under it; `onFile` is given each file found. */
  const add = (dir: string, onFile?: (file: string) => void): void => {
    if (watchers.has(dir) || leftOut(dir)) return;
    const watcher = watchOf(dir, (event, name) => {
      // A listener that threw would end the session (an uncaught exception): a path the kernel
      // names may be a link loop or too long to look at (ELOOP, ENAMETOOLONG) — nothing to report.
      try {
        changed(dir, event, name);
      } catch {}
    });
    if (!watcher) return;
    watchers.set(
      dir,
      watcher.on('error', () => unwatch(dir)),
    );
    if (!roots.has(dir)) {
      const siblings = children.get(path.dirname(dir)) ?? new Set<string>();
      children.set(path.dirname(dir), siblings.add(dir));
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // Gone or unreadable: nothing under it to watch.
    }
    for (const entry of entries) {
      if (skippedByTraceWalk(entry.name)) continue;
      const at = path.join(dir, entry.name);
      // A link is reported as a file: never followed (it may lead to `/` or back up the tree).
      if (entry.isDirectory()) add(at, onFile);
      else onFile?.(at);
    }
  };

  const changed = (dir: string, event: string, name: string | null): void => {
    // A watched directory that is no longer there (moved or removed; a root may be a link, followed).
    if (!isDirectory(dir, statSync)) {
      gone(dir);
      return;
    }
    if (name === null || skippedByTraceWalk(name)) return;
    const file = path.join(dir, name);
    if (event === 'change') {
      if (!watchers.has(file)) onEvent('change', file);
      return;
    }
    // A rename: the name was created, removed, or replaced (a re-recorded trace renamed into place);
    // a directory's old watch follows the old one wherever it went, so it ends first.
    unwatch(file);
    const stats = lstatSync(file, { throwIfNoEntry: false });
    if (stats === undefined) onEvent('unlink', file);
    else if (stats.isDirectory()) add(file, (found) => onEvent('add', found));
    else onEvent('add', file);
  };

  /** A watched directory went: its watches end; a root is looked for until it is back. */
  const gone = (dir: string): void => {
    unwatch(dir);
    if (!roots.has(dir) || polls.has(dir)) return;
    onEvent('unlink', dir);
    const poll = setInterval(() => {
      if (isDirectory(dir, statSync)) rootBack(dir);
    }, MISSING_ROOT_POLL_MS).unref();
    polls.set(dir, poll);
  };

  // Each root's parent is watched for the root's own name: a root removed and made again (`rm -rf
  // traces && git checkout traces`) or replaced (`mv traces.new traces`) is watched again at once,
  // and its files reported.
  const parents: FSWatcher[] = [];
  const rootRenamed = (root: string) => {
    unwatch(root);
    if (!isDirectory(root, statSync)) {
      gone(root);
      return;
    }
    rootBack(root);
  };

  /** A root that went is there again: looked for no more, watched, and its files reported. */
  const rootBack = (root: string): void => {
    clearInterval(polls.get(root));
    polls.delete(root);
    add(root, (found) => onEvent('add', found));
  };
  for (const root of roots) {
    const name = path.basename(root);
    const parent = watchOf(path.dirname(root), (event, changedName) => {
      if (event === 'rename' && changedName === name) rootRenamed(root);
    });
    parent?.on('error', () => {});
    if (parent) parents.push(parent);
    if (isDirectory(root, statSync)) add(root);
  }
  return {
    get watched() {
      return watchers.size;
    },
    close() {
      for (const watcher of [...watchers.values(), ...parents]) watcher.close();
      for (const poll of polls.values()) clearInterval(poll);
      watchers.clear();
      children.clear();
      polls.clear();
      parents.length = 0;
    },
  };
}

/**
 * What a watch session says when a file watcher fails, once per kind of failure: what goes
 * unwatched and the way out. Out of watches (ENOSPC), vite's watcher and this one fail alike.
 */
export function watchFailureWarning({
  cwd,
  warn,
}: {
  cwd: string;
  warn: (message: string) => void;
}): (error: NodeJS.ErrnoException, dir?: string) => void {
  const said = new Set<string>();
  return (error, dir = error.path) => {
    const code = error.code ?? error.name;
    if (said.has(code)) return;
    said.add(code);
    const where = dir === undefined ? 'some files' : path.relative(cwd, dir) || '.';
    if (code === 'ENOSPC' || code === 'EMFILE')
      warn(
        `looplet-eval --watch: cannot watch ${where} and what comes after it: ${code === 'ENOSPC' ? 'the system limit on file watches is reached (fs.inotify.max_user_watches, shared by all your processes)' : 'the process has too many files open'}. Edits there will not re-run evals. Close other watchers or raise the limit (Linux: sudo sysctl fs.inotify.max_user_watches=524288), then start again.`,
      );
    else
      warn(
        `looplet-eval --watch: cannot watch ${where}: ${error.message}. Edits there will not re-run evals.`,
      );
  };
}

function isDirectory(file: string, stat: typeof statSync | typeof lstatSync): boolean {
  try {
    return stat(file).isDirectory();
  } catch {
    return false;
  }
}
