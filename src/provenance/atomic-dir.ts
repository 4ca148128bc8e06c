import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { TraceWriteError } from './errors.js';
import { TRACE_FILE, VOLATILE_FILE } from './layout.js';

/** A file to write, relative to the trace directory. */
export interface DirFile {
  path: string;
  content: string;
}

/**
 * Writes a trace directory atomically: every file goes into a temporary directory beside the
 * target (named `.<name>.tmp-…`, so globs and `validate` skip it), `trace.json` last, and the
 * temporary directory is then renamed onto the target. A crash before the rename leaves the
 * target untouched; readers never see a half-written trace under the target's name.
 *
 * Replacing an existing trace renames it aside (`.<name>.old-…`), renames the new one in, then
 * deletes the old one. A directory cannot be swapped in one step, so a crash between the two
 * renames leaves the path empty and the old trace aside: readers then read that copy
 * ({@link interruptedReplaceCopy}), never moving anything — a replace may still be under way —
 * and the next write puts it back first, so the path always reads as the old trace or the new one. Only a directory that is empty or holds a trace is replaced, so a typo in `dir`
 * cannot delete unrelated files.
 *
 * `durable` also fsyncs every file and directory, so the trace survives a power loss or kernel
 * crash, at the price of one disk flush per file.
 */
export function writeDirAtomic({
  dir,
  files,
  durable = false,
}: {
  dir: string;
  files: readonly DirFile[];
  durable?: boolean;
}): void {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const name = path.basename(target);
  // An earlier replace that crashed between its two renames left the old trace aside: put it back
  // first, so it is replaced (and removed) like any existing trace instead of lingering.
  restoreInterruptedReplace(target);
  const replacing = checkReplaceable(target);
  let temp: string | undefined;
  try {
    mkdirSync(parent, { recursive: true });
    temp = mkdtempSync(path.join(parent, `.${name}.tmp-`));
    const subdirs = new Set<string>();
    for (const file of files) {
      const slash = file.path.lastIndexOf('/');
      if (slash > 0) subdirs.add(file.path.slice(0, slash));
    }
    for (const subdir of subdirs) mkdirSync(path.join(temp, subdir), { recursive: true });
    // trace.json last: until it is complete, even the temporary directory is not a trace.
    for (const file of files)
      if (file.path !== TRACE_FILE) writeOne(path.join(temp, file.path), file.content, durable);
    for (const file of files)
      if (file.path === TRACE_FILE) writeOne(path.join(temp, file.path), file.content, durable);
    if (durable) {
      for (const subdir of subdirs) syncDir(path.join(temp, subdir));
      syncDir(temp);
    }
  } catch (error) {
    if (temp) rmSync(temp, { recursive: true, force: true });
    throw new TraceWriteError({ dir: target, problem: (error as Error).message, cause: error });
  }

  let aside: string | undefined;
  try {
    if (replacing) {
      aside = path.join(parent, `.${name}.old-${path.basename(temp).slice(-6)}`);
      renameSync(target, aside);
    }
    renameSync(temp, target);
    if (durable) syncDir(parent);
  } catch (error) {
    // Put the old trace back if the new one could not take its place.
    if (aside && !existsSync(target)) renameSync(aside, target);
    rmSync(temp, { recursive: true, force: true });
    throw new TraceWriteError({ dir: target, problem: (error as Error).message, cause: error });
  }
  if (aside) rmSync(aside, { recursive: true, force: true });
}

/** True when `target` exists and may be replaced; throws when it exists but is not a trace. */
function checkReplaceable(target: string): boolean {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch {
    return false;
  }
  if (!isDirectory)
    throw new TraceWriteError({ dir: target, problem: 'a file with that name exists; choose another path' });
  const entries = readdirSync(target);
  const isTrace =
    entries.length === 0 ||
    entries.includes(TRACE_FILE) ||
    entries.includes(VOLATILE_FILE) ||
    entries.includes('trajectory.json');
  if (!isTrace)
    throw new TraceWriteError({
      dir: target,
      problem:
        'the directory exists and is not a trace (no trace.json); refusing to replace it. Give each trace its own directory',
    });
  return true;
}

function writeOne(file: string, content: string, durable: boolean): void {
  if (!durable) {
    writeFileSync(file, content);
    return;
  }
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The copy a replace interrupted between its two renames left aside: when `target` does not exist
 * but a trace was renamed to `.<name>.old-…` beside it, the newest such directory. Read-only, so
 * readers can use it while a writer may still be halfway through a replace.
 */
export function interruptedReplaceCopy(target: string): string | undefined {
  if (existsSync(target)) return undefined;
  const parent = path.dirname(target);
  const prefix = `.${path.basename(target)}.old-`;
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return undefined;
  }
  return entries
    .filter((entry) => entry.startsWith(prefix))
    .map((entry) => path.join(parent, entry))
    .filter((dir) => existsSync(path.join(dir, TRACE_FILE)) || existsSync(path.join(dir, 'trajectory.json')))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** Puts back the copy an interrupted replace left aside (see {@link interruptedReplaceCopy}); writers only. */
function restoreInterruptedReplace(target: string): void {
  const copy = interruptedReplaceCopy(target);
  if (copy === undefined) return;
  try {
    renameSync(copy, target);
  } catch {
    // Another writer restored it first: the replace below goes on from there.
  }
}
