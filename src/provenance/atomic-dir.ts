import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { TraceWriteError } from './errors.js';
import { TRACE_FILE } from './layout.js';
import { incompleteTraceReason } from './trace-completeness.js';

/** A file to write, relative to the trace directory. */
export interface DirFile {
  path: string;
  content: string;
}

// Names beside a trace `name` (hidden, so globs, the trace walker and `validate` skip them):
//   .name.tmp-<pid>-XXXXXX   a write in progress (or the remains of one that died)
//   .name.old-<stamp>-XXXX   the previous trace, renamed aside while the new one takes its place
//   .name.del-…              an old copy being deleted: never read, always safe to remove
// An `.old-` copy is always complete: it is made by one rename of a complete trace, and deleted
// only after a second rename to `.del-`, so a crash while deleting can never leave a half copy
// under a name readers trust. <stamp> orders copies (newest wins) when several survived crashes.

/** Temporary directories this process is writing now: never removed as leftovers. */
const activeTemps = new Set<string>();
let lastStamp = 0;

/**
 * Writes a trace directory atomically: every file goes into a temporary directory beside the
 * target, `trace.json` last, and the temporary directory is then renamed onto the target. A crash
 * before the rename leaves the target untouched; readers never see a half-written trace under the
 * target's name.
 *
 * Replacing an existing trace renames it aside, renames the new one in, then deletes the old one
 * (after renaming it again, see above). A directory cannot be swapped in one step, so a crash
 * between the two renames leaves the path empty and the old trace aside: readers then read that
 * copy ({@link interruptedReplaceCopy}), never moving anything — a replace may still be under way —
 * and the next write puts it back first, so the path always reads as the old trace or the new one.
 * Later writes also remove the leftovers of crashed ones: temporary directories of processes that
 * are gone, and copies made stale by a complete trace at the path.
 *
 * Only an empty directory or a complete trace (nothing in it but trace files) is replaced, so a
 * typo in `dir` cannot delete unrelated files. `durable` also fsyncs every file and directory, so
 * the trace survives a power loss or kernel crash, at the price of one disk flush per file.
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
  const existing = checkReplaceable(target);
  // A complete trace is at the path: every copy beside it is stale.
  if (existing === 'trace') removeLeftovers(target);
  const replacing = existing !== 'absent';
  let temp: string | undefined;
  try {
    mkdirSync(parent, { recursive: true });
    temp = mkdtempSync(path.join(parent, `.${name}.tmp-${process.pid}-`));
    activeTemps.add(temp);
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
    if (temp) {
      activeTemps.delete(temp);
      rmSync(temp, { recursive: true, force: true });
    }
    throw new TraceWriteError({ dir: target, problem: (error as Error).message, cause: error });
  }

  let aside: string | undefined;
  try {
    if (replacing) {
      const to = path.join(parent, `.${name}.old-${nextStamp()}-${path.basename(temp).slice(-4)}`);
      renameSync(target, to);
      aside = to;
    }
    renameSync(temp, target);
    if (durable) syncDir(parent);
  } catch (error) {
    // Put the old trace back if the new one could not take its place.
    if (aside && !exists(target)) renameSync(aside, target);
    rmSync(temp, { recursive: true, force: true });
    throw new TraceWriteError({ dir: target, problem: (error as Error).message, cause: error });
  } finally {
    activeTemps.delete(temp);
  }
  removeLeftovers(target);
}

/**
 * What is at `target`: nothing, an empty directory or a complete trace (which may be replaced);
 * throws a {@link TraceWriteError} for anything else.
 */
function checkReplaceable(target: string): 'absent' | 'empty' | 'trace' {
  let stats: ReturnType<typeof lstatSync>;
  try {
    stats = lstatSync(target);
  } catch {
    return 'absent';
  }
  if (stats.isSymbolicLink())
    throw new TraceWriteError({
      dir: target,
      problem: 'it is a symbolic link; give the path of the directory itself (or a new path)',
    });
  if (!stats.isDirectory())
    throw new TraceWriteError({ dir: target, problem: 'a file with that name exists; choose another path' });
  if (readdirSync(target).length === 0) return 'empty';
  const reason = incompleteTraceReason(target);
  if (reason !== undefined)
    throw new TraceWriteError({
      dir: target,
      problem: `the directory exists and is not a complete looplet trace (${reason}); refusing to replace it. Give each trace its own directory, or delete this one yourself if it is a damaged trace`,
    });
  return 'trace';
}

const STAMP_WIDTH = 10;
const STAMPED = new RegExp(`^[0-9a-z]{${STAMP_WIDTH}}-`);

/** An increasing stamp for `.old-` names (base 36 milliseconds, fixed width so names sort). */
function nextStamp(): string {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return lastStamp.toString(36).padStart(STAMP_WIDTH, '0');
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

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

/** The directories named after `target` beside it, by kind: `.<name>.<kind>-<rest>`. */
function besideCopies(target: string): Record<'tmp' | 'old' | 'del', Array<{ dir: string; rest: string }>> {
  const parent = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  const found: ReturnType<typeof besideCopies> = { tmp: [], old: [], del: [] };
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const kind = entry.slice(prefix.length, prefix.length + 3);
    if ((kind === 'tmp' || kind === 'old' || kind === 'del') && entry[prefix.length + 3] === '-')
      found[kind].push({ dir: path.join(parent, entry), rest: entry.slice(prefix.length + 4) });
  }
  return found;
}

/**
 * The copy a replace interrupted between its two renames left aside: when `target` does not exist,
 * the newest complete `.<name>.old-…` directory beside it. Read-only, so readers can use it while a
 * writer may still be halfway through a replace.
 */
export function interruptedReplaceCopy(target: string): string | undefined {
  if (exists(target)) return undefined;
  // Newest stamp first; copies left by older versions (no stamp) after those, in any order.
  const key = (rest: string) => (STAMPED.test(rest) ? `1${rest}` : `0${rest}`);
  const copies = besideCopies(target)
    .old.sort((a, b) => (key(a.rest) < key(b.rest) ? 1 : -1))
    .map(({ dir }) => dir);
  return copies.find((copy) => incompleteTraceReason(copy) === undefined);
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

/**
 * Removes what crashed writes left beside a complete trace at `target`: old copies (stale, since a
 * complete trace is at the path), copies being deleted, and temporary directories of writes that
 * are provably over (their process is gone, or it is this one and it no longer writes there).
 * Failures are ignored: leftovers are hidden, and the next write tries again.
 */
function removeLeftovers(target: string): void {
  const { tmp, old, del } = besideCopies(target);
  const retired = del.map(({ dir }) => dir);
  for (const { dir, rest } of old) {
    const trash = path.join(path.dirname(dir), `.${path.basename(target)}.del-${rest}`);
    try {
      renameSync(dir, trash);
      retired.push(trash);
    } catch {
      // Another writer moved it first.
    }
  }
  for (const { dir, rest } of tmp) if (writeIsOver(dir, rest)) retired.push(dir);
  for (const dir of retired) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Left for the next write.
    }
  }
}

/** True when the temporary directory `dir` (`.name.tmp-<pid>-…`) belongs to no write under way. */
function writeIsOver(dir: string, rest: string): boolean {
  const pid = Number(/^(\d+)-/.exec(rest)?.[1]);
  // Left by an older version (no pid): it cannot be told from a write under way, so it stays.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return !activeTemps.has(dir);
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists (another user's); only ESRCH proves it is gone.
    return (error as { code?: string }).code === 'ESRCH';
  }
}
