import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { LoopletError } from '../util/errors.js';
import { oneLine } from '../util/text.js';
import { TraceReadError } from './errors.js';
import { parseJson } from './json-file.js';

// The one way trace files are read. A trace is hostile input (it arrives in pull requests, and git
// commits symbolic links): nothing inside a trace may point outside it, nothing that is not a
// regular file is opened (a FIFO would block, /dev/zero never ends), and no file larger than the
// cap is read. The trace directory itself may be a symbolic link: it is the path the user gave.

/** Largest file a trace reader reads by default: 64 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Environment variable that changes the size cap of every trace reader (a whole number of bytes). */
export const MAX_FILE_BYTES_ENV = 'LOOPLET_MAX_FILE_BYTES';

/** What an entry of a trace directory is, without following a symbolic link. */
export type TraceEntryKind = 'file' | 'directory' | 'symlink' | 'other';

/**
 * The size cap to apply: `option` when given, else `LOOPLET_MAX_FILE_BYTES`, else
 * {@link DEFAULT_MAX_FILE_BYTES}. Throws a `LoopletError` (code `TRACE_LIMIT`) for a value that is
 * not a positive whole number of bytes.
 */
export function maxFileBytesOf(option?: number): number {
  if (option !== undefined) return checkLimit(option, 'maxFileBytes');
  const fromEnv = process.env[MAX_FILE_BYTES_ENV];
  if (fromEnv === undefined || fromEnv.trim() === '') return DEFAULT_MAX_FILE_BYTES;
  return checkLimit(Number(fromEnv), `${MAX_FILE_BYTES_ENV}=${oneLine(fromEnv, 40)}`);
}

function checkLimit(value: number, name: string): number {
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new LoopletError({
    message: `${name}: the largest trace file to read must be a positive whole number of bytes (e.g. 134217728 for 128 MiB)`,
    code: 'TRACE_LIMIT',
  });
}

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const NON_BLOCKING = constants.O_NONBLOCK ?? 0;

/**
 * Reads the files of one trace directory safely: every path component below the root must be a
 * real directory, every file a regular file (checked before it is opened, and again on the open
 * descriptor), no larger than the cap. Failures are {@link TraceReadError}s naming the file.
 */
export class TraceFiles {
  /** Absolute path of the trace directory. */
  readonly root: string;
  readonly maxFileBytes: number;
  /** Subdirectories already checked to be real directories. */
  readonly #directories = new Set<string>();

  constructor({ root, maxFileBytes }: { root: string; maxFileBytes?: number }) {
    this.root = root;
    this.maxFileBytes = maxFileBytesOf(maxFileBytes);
  }

  /** Absolute path of a file given relative to the trace (`steps/0001.json`). */
  path(relative: string): string {
    return path.join(this.root, relative);
  }

  /** What `relative` is (a symbolic link is not followed), or undefined when it does not exist. */
  kind(relative: string): TraceEntryKind | undefined {
    const stats = lstatOrUndefined(this.path(relative));
    return stats && kindOf(stats);
  }

  /** The text of a file; `undefined` when it does not exist and `optional` is set. */
  readText(relative: string, { optional = false }: { optional?: boolean } = {}): string | undefined {
    const file = this.path(relative);
    if (!this.#parentsAreDirectories(relative, optional)) return undefined;
    const stats = lstatOrUndefined(file);
    if (stats === undefined) {
      if (optional) return undefined;
      throw new TraceReadError({
        file,
        problem: 'is missing',
        hint: 'the trace is incomplete; re-record it',
      });
    }
    this.#checkEntry(file, stats, 'file');
    return readCapped({ file, expected: stats, maxBytes: this.maxFileBytes });
  }

  /** A file parsed as JSON (see `parseJson`); `undefined` when missing and `optional`. */
  readJson(relative: string, options: { optional?: boolean } = {}): unknown {
    const text = this.readText(relative, options);
    return text === undefined ? undefined : parseJson(this.path(relative), text);
  }

  /**
   * Checks that `relative` is a real directory (not a link to one): `steps/` and `calls/` are
   * listed by `validate`. Returns false when it does not exist.
   */
  isDirectory(relative: string): boolean {
    const stats = lstatOrUndefined(this.path(relative));
    if (stats === undefined) return false;
    this.#checkEntry(this.path(relative), stats, 'directory');
    return true;
  }

  /** Throws for an entry of the wrong kind: a symbolic link, a FIFO or device, a file for a directory. */
  #checkEntry(file: string, stats: Stats, want: 'file' | 'directory'): void {
    const error = wrongKindError(file, stats, want);
    if (error) throw error;
  }

  /** Checks each directory on the way to `relative`; false when one is missing and `optional`. */
  #parentsAreDirectories(relative: string, optional: boolean): boolean {
    const parts = relative.split('/');
    let sub = '';
    for (const part of parts.slice(0, -1)) {
      sub = sub === '' ? part : `${sub}/${part}`;
      if (this.#directories.has(sub)) continue;
      const dir = this.path(sub);
      const stats = lstatOrUndefined(dir);
      if (stats === undefined) {
        if (optional) return false;
        throw new TraceReadError({
          file: this.path(relative),
          problem: `is missing (there is no ${sub}/ directory)`,
          hint: 'the trace is incomplete; re-record it',
        });
      }
      this.#checkEntry(dir, stats, 'directory');
      this.#directories.add(sub);
    }
    return true;
  }
}

/**
 * The error for an entry that is not what a trace needs there (`want`), or undefined when it is:
 * a symbolic link, a FIFO, a device or socket, a directory for a file or a file for a directory.
 */
export function wrongKindError(
  file: string,
  stats: Stats,
  want: 'file' | 'directory',
): TraceReadError | undefined {
  const kind = kindOf(stats);
  if (kind === want) return undefined;
  if (kind === 'symlink') {
    let target = '';
    try {
      target = ` (to ${oneLine(readlinkSync(file), 120)})`;
    } catch {
      // The link went away meanwhile: it is still not a file to read.
    }
    return new TraceReadError({
      file,
      problem: `is a symbolic link${target}: a trace holds only regular files and directories, and nothing in it may point outside it`,
      hint: 'replace the link with a copy of what it points to (or delete it), then run `looplet validate`',
      code: 'TRACE_UNSAFE_FILE',
    });
  }
  return new TraceReadError({
    file,
    problem: `is ${describeKind(stats)}, not a ${want === 'file' ? 'regular file' : 'directory'}`,
    hint:
      want === 'file'
        ? 'a trace holds only regular files: replace it with the file it should be (or re-record the trace)'
        : 'replace it with the directory it should be (or re-record the trace)',
    code: 'TRACE_UNSAFE_FILE',
  });
}

/**
 * Every symbolic link and every entry that is neither a regular file nor a directory inside a
 * trace (its subdirectories included; links are not followed), as errors; at most `limit` entries
 * are looked at.
 */
export function unsafeEntries(root: string, limit = 100_000): TraceReadError[] {
  const found: TraceReadError[] = [];
  const pending = [root];
  let seen = 0;
  while (pending.length > 0 && seen < limit) {
    const dir = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // Reported by the reader when it needs the directory.
    }
    for (const entry of entries) {
      if (++seen > limit) break;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (!entry.isFile()) {
        const stats = lstatOrUndefined(full);
        const error = stats && wrongKindError(full, stats, 'file');
        if (error) found.push(error);
      }
    }
  }
  return found;
}

/**
 * Reads one regular file, after checking it: opened without following a link and without
 * blocking, checked again on the descriptor (the same file, still regular), and read no further
 * than the cap, so a file swapped or growing meanwhile cannot make it read more.
 */
function readCapped({
  file,
  expected,
  maxBytes,
}: {
  file: string;
  expected: Stats;
  maxBytes: number;
}): string {
  if (expected.size > maxBytes) throw tooLarge(file, expected.size, maxBytes);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | NO_FOLLOW | NON_BLOCKING);
  } catch (error) {
    throw unreadable(file, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.ino !== expected.ino || stats.dev !== expected.dev)
      throw new TraceReadError({
        file,
        problem: 'changed while it was being opened (it is no longer the regular file it was)',
        hint: 'read the trace again once nothing is writing to it',
        code: 'TRACE_UNSAFE_FILE',
      });
    if (stats.size > maxBytes) throw tooLarge(file, stats.size, maxBytes);
    // One byte more than the size: a file that grew meanwhile is noticed, never read past the cap.
    const buffer = Buffer.allocUnsafe(Math.min(stats.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) throw tooLarge(file, length, maxBytes);
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof TraceReadError) throw error;
    throw unreadable(file, error);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(file: string, size: number, maxBytes: number): TraceReadError {
  return new TraceReadError({
    file,
    problem: `is over the ${maxBytes}-byte cap on one trace file (${size} bytes)`,
    hint: `if the trace is genuine, raise the cap with ${MAX_FILE_BYTES_ENV} (bytes) or the reader's maxFileBytes option`,
    code: 'TRACE_FILE_TOO_LARGE',
  });
}

function unreadable(file: string, error: unknown): TraceReadError {
  const code = (error as { code?: string }).code;
  if (code === 'ELOOP')
    return new TraceReadError({
      file,
      problem: 'is a symbolic link: a trace holds only regular files',
      hint: 'replace the link with a copy of what it points to, then run `looplet validate`',
      code: 'TRACE_UNSAFE_FILE',
      cause: error,
    });
  if (code === 'ENOENT')
    return new TraceReadError({
      file,
      problem: 'is missing',
      hint: 'the trace is incomplete; re-record it',
      cause: error,
    });
  return new TraceReadError({ file, problem: `cannot be read (${(error as Error).message})`, cause: error });
}

function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw unreadable(file, error);
  }
}

function kindOf(stats: Stats): TraceEntryKind {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

function describeKind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}
