import {
  constants,
  type Dirent,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
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
 * Reads the files of one trace directory safely: every directory on the way to a file must be a
 * real directory (checked once per instance — one instance per opened trace), and the file a
 * regular file no larger than the cap, both checked (`lstat`, which does not follow a link)
 * before it is opened. It is then opened without following a link and without blocking, should
 * it have been swapped for a link or a FIFO meanwhile. Failures are {@link TraceReadError}s
 * naming the file.
 */
export class TraceFiles {
  /** Absolute path of the trace directory. */
  readonly root: string;
  readonly maxFileBytes: number;
  /** Subdirectories checked to be real directories (true) or found missing (false). */
  readonly #directories = new Map<string, boolean>();

  constructor({ root, maxFileBytes }: { root: string; maxFileBytes?: number }) {
    this.root = root;
    this.maxFileBytes = maxFileBytesOf(maxFileBytes);
  }

  /** Absolute path of a file given relative to the trace (`steps/0001.json`). */
  path(relative: string): string {
    // Relative paths are the trace layout's own names: no normalising needed.
    return `${this.root}${path.sep}${path.sep === '/' ? relative : relative.replaceAll('/', path.sep)}`;
  }

  /** What `relative` is (a symbolic link is not followed), or undefined when it does not exist. */
  kind(relative: string): TraceEntryKind | undefined {
    const stats = this.#stats(relative);
    return stats && kindOf(stats);
  }

  /** The text of a file; `undefined` when it does not exist and `optional` is set. */
  readText(relative: string, { optional = false }: { optional?: boolean } = {}): string | undefined {
    const file = this.path(relative);
    const slash = relative.lastIndexOf('/');
    if (slash >= 0 && !this.isDirectory(relative.slice(0, slash))) {
      if (optional) return undefined;
      throw new TraceReadError({
        file,
        problem: `is missing (there is no ${relative.slice(0, slash)}/ directory)`,
        hint: 'the trace is incomplete; re-record it',
      });
    }
    const stats = lstatOrUndefined(file);
    if (stats === undefined) {
      if (optional) return undefined;
      throw new TraceReadError({
        file,
        problem: 'is missing',
        hint: 'the trace is incomplete; re-record it',
      });
    }
    const error = wrongKindError(file, stats, 'file');
    if (error) throw error;
    if (stats.size > this.maxFileBytes) throw tooLarge(file, stats.size, this.maxFileBytes);
    try {
      // One native call (open, read, close): far cheaper than reading through a descriptor here.
      return readFileSync(file, { encoding: 'utf8', flag: READ_FLAGS as unknown as string });
    } catch (caught) {
      const now = lstatOrUndefined(file);
      throw (now && wrongKindError(file, now, 'file')) ?? unreadable(file, caught);
    }
  }

  /** A file parsed as JSON (see `parseJson`); `undefined` when missing and `optional`. */
  readJson(relative: string, options: { optional?: boolean } = {}): unknown {
    const text = this.readText(relative, options);
    return text === undefined ? undefined : parseJson(this.path(relative), text);
  }

  /**
   * Checks that `relative` is a real directory (not a link to one), and so are the directories on
   * the way to it. Returns false when one of them does not exist.
   */
  isDirectory(relative: string): boolean {
    const known = this.#directories.get(relative);
    if (known !== undefined) return known;
    const stats = this.#stats(relative);
    if (stats !== undefined) {
      const error = wrongKindError(this.path(relative), stats, 'directory');
      if (error) throw error;
    }
    this.#directories.set(relative, stats !== undefined);
    return stats !== undefined;
  }

  /** `lstat` of `relative`, after checking the directories on the way; undefined when missing. */
  #stats(relative: string): Stats | undefined {
    const slash = relative.lastIndexOf('/');
    if (slash >= 0 && !this.isDirectory(relative.slice(0, slash))) return undefined;
    return lstatOrUndefined(this.path(relative));
  }
}

/**
 * Opened without following a link (`ELOOP` instead) and without blocking on a FIFO. Node takes
 * numeric flags (`fs.constants`) where its types say string.
 */
const READ_FLAGS = constants.O_RDONLY | NO_FOLLOW | NON_BLOCKING;

/**
 * The error for an entry that is not what a trace needs there (`want`), or undefined when it is:
 * a symbolic link, a FIFO, a device or socket, a directory for a file or a file for a directory.
 */
export function wrongKindError(
  file: string,
  stats: Stats | Dirent,
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
  if (code === 'ELOOP') {
    // O_NOFOLLOW refused a link: say where it points, as for a link found in a listing.
    const stats = lstatOrUndefined(file);
    const described = stats && wrongKindError(file, stats, 'file');
    if (described) return described;
    return new TraceReadError({
      file,
      problem: 'is a symbolic link: a trace holds only regular files',
      hint: 'replace the link with a copy of what it points to, then run `looplet validate`',
      code: 'TRACE_UNSAFE_FILE',
      cause: error,
    });
  }
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
    // Optional files are often absent: no exception for that.
    return lstatSync(file, { throwIfNoEntry: false });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw unreadable(file, error);
  }
}

function kindOf(stats: Stats | Dirent): TraceEntryKind {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  return 'other';
}

function describeKind(stats: Stats | Dirent): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}
