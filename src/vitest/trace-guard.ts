import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoopletError } from '../util/errors.js';

/** What the guard protects traces from, named in its errors (the same shape as the sandbox's). */
export interface GuardSubject {
  eval: string;
  trace: string;
}

/**
 * Code under evaluation tried to change a file under a traces directory. Traces are the
 * recordings every eval is scored against: only `looplet-eval -u` rewrites them.
 */
export class TraceWriteError extends LoopletError {
  readonly target: string;

  constructor({ operation, target, subject }: { operation: string; target: string; subject?: GuardSubject }) {
    const where = subject ? ` in ${subject.eval} › ${subject.trace}` : '';
    super({
      message: `${operation} ${target}: traces are read-only while evals run${where}. Evals and agents must not change recorded traces (write elsewhere, e.g. a temporary directory); \`looplet-eval -u\` re-records them`,
      code: 'TRACE_WRITE',
    });
    this.target = target;
  }
}

/** Operations that change what they are given (the arguments that name what they change). */
const CHANGES: Record<string, number[]> = {
  writeFile: [0],
  appendFile: [0],
  truncate: [0],
  rm: [0],
  rmdir: [0],
  unlink: [0],
  rename: [0, 1],
  mkdir: [0],
  mkdtemp: [0],
  copyFile: [1],
  cp: [1],
  symlink: [1],
  link: [1],
  chmod: [0],
  lchmod: [0],
  chown: [0],
  lchown: [0],
  utimes: [0],
  lutimes: [0],
};

/** `open` flags that write. */
function writes(flags: unknown): boolean {
  if (typeof flags === 'number')
    return (
      (flags &
        (fs.constants.O_WRONLY |
          fs.constants.O_RDWR |
          fs.constants.O_CREAT |
          fs.constants.O_TRUNC |
          fs.constants.O_APPEND)) !==
      0
    );
  return typeof flags === 'string' && /[wa+]/.test(flags);
}

/** An installed guard: `restore()` undoes it, `suspend()` lifts it until the returned function puts it back. */
export interface TraceGuard {
  restore(): void;
  suspend(): () => void;
}

/**
 * Makes the given directories read-only for this thread's `fs` (callback, sync and promise
 * forms, and `import { writeFile } from 'node:fs'` alike): an operation that would change a file
 * under them throws (or rejects with) {@link TraceWriteError}, naming the eval that tried. What a
 * child process writes is not seen here: `looplet-eval` also compares the traces' directories
 * before and after the run (`trace-changes.ts`). Hidden entries (`.looplet/`, a write's temporary
 * directories) are not guarded.
 */
export function guardTraces({
  roots,
  subject,
}: {
  roots: readonly string[];
  subject: () => GuardSubject | undefined;
}): TraceGuard {
  const prefixes = roots.map((root) => path.resolve(root));
  if (prefixes.length === 0) return { restore: () => undefined, suspend: () => () => undefined };
  const inside = (target: unknown): string | undefined => {
    let text: string;
    if (typeof target === 'string') text = target;
    else if (target instanceof URL) text = target.protocol === 'file:' ? fileURLToPath(target) : '';
    else if (Buffer.isBuffer(target)) text = target.toString();
    else return undefined;
    const resolved = path.resolve(text);
    // Hidden entries are not traces (looplet's own scratch space, such as .looplet/, may sit under a root).
    return prefixes.some(
      (root) =>
        resolved === root ||
        (resolved.startsWith(`${root}${path.sep}`) &&
          !resolved
            .slice(root.length + 1)
            .split(path.sep)
            .some((segment) => segment.startsWith('.'))),
    )
      ? resolved
      : undefined;
  };
  const originals: Array<[object, string, unknown]> = [];
  const patch = (
    owner: Record<string, unknown>,
    name: string,
    check: (args: unknown[]) => string | undefined,
    kind: 'sync' | 'callback' | 'promise',
  ) => {
    const original = owner[name];
    if (typeof original !== 'function') return;
    originals.push([owner, name, original]);
    const operation = name.replace(/Sync$/, '');
    owner[name] = function guarded(this: unknown, ...args: unknown[]) {
      const target = check(args);
      if (target !== undefined) {
        const error = new TraceWriteError({ operation, target, ...withSubject(subject()) });
        if (kind === 'promise') return Promise.reject(error);
        const callback = args.at(-1);
        if (kind === 'callback' && typeof callback === 'function') {
          process.nextTick(() => (callback as (error: Error) => void)(error));
          return undefined;
        }
        throw error;
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  };
  const promises = fs.promises as unknown as Record<string, unknown>;
  const callbacks = fs as unknown as Record<string, unknown>;
  function install(): void {
    for (const [name, positions] of Object.entries(CHANGES)) {
      const check = (args: unknown[]) =>
        positions.map((at) => inside(args[at])).find((hit) => hit !== undefined);
      patch(callbacks, name, check, 'callback');
      patch(callbacks, `${name}Sync`, check, 'sync');
      patch(promises, name, check, 'promise');
    }
    const openCheck = (args: unknown[]) => (writes(args[1]) ? inside(args[0]) : undefined);
    patch(callbacks, 'open', openCheck, 'callback');
    patch(callbacks, 'openSync', openCheck, 'sync');
    patch(promises, 'open', openCheck, 'promise');
    patch(callbacks, 'createWriteStream', (args) => inside(args[0]), 'sync');
    syncBuiltinESMExports();
  }
  function uninstall(): void {
    for (const [owner, name, original] of originals.splice(0).reverse())
      (owner as Record<string, unknown>)[name] = original;
    syncBuiltinESMExports();
  }
  install();
  return {
    restore: uninstall,
    suspend() {
      uninstall();
      return install;
    },
  };
}

function withSubject(subject: GuardSubject | undefined): { subject?: GuardSubject } {
  return subject ? { subject } : {};
}
