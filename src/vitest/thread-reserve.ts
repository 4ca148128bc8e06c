import path from 'node:path';
import { isatty } from 'node:tty';
import { ScoringThread, type ThreadEnd } from './scoring-thread.js';

/**
 * Scoring threads started before vitest asks for them. A thread spends ~0.25 s of CPU loading
 * vitest's worker runtime and looplet's runner before it can score anything; vitest starts its
 * workers only once it is loaded, configured and has planned the run (~0.8 s into a run here), so
 * that load used to be on the critical path of every run — and of every `--watch` re-run, since
 * vitest ends its workers when a run ends. Started early, a thread loads on a core the main
 * process leaves idle while it starts vitest (or while a watch session waits for the next change).
 *
 * A spare is used only for a request with exactly the options it was started with (module,
 * environment, Node flags, heap limit): anything else ends it and vitest's request gets a thread
 * of its own, so a wrong guess costs time, never behaviour. Spares do not keep the process alive.
 *
 * A watch session also keeps the threads that scored a run (`keepUsed`), as vitest keeps a
 * worker between the files of one run when isolation is off: the next run's request takes one
 * back warm — its compiled code and the eval modules that did not change (see `pool.ts`).
 */

/** What a scoring thread is started with. */
export interface ThreadSpec {
  /** vitest's worker module. */
  entry: string;
  env: Readonly<Record<string, string | undefined>>;
  execArgv: readonly string[];
  heapLimitMb: number;
}

/** The spares of one `looplet-eval` session. */
export class ThreadReserve {
  /** Used threads first (see {@link park}): they are warm. */
  #spares: Array<{ spec: ThreadSpec; thread: ScoringThread }> = [];
  readonly #keepUsed: boolean;
  /** The spec the pool last asked for, and how many threads a run uses: what a watch session keeps ready. */
  #wanted: ThreadSpec | undefined;
  #count = 0;
  #closed = false;

  /** `keepUsed`: a thread that finished a run waits for the next one (a watch session). */
  constructor({ keepUsed = false }: { keepUsed?: boolean } = {}) {
    this.#keepUsed = keepUsed;
  }

  /** True when {@link park} keeps threads. */
  get keepsUsed(): boolean {
    return this.#keepUsed && !this.#closed;
  }

  /** Spares waiting to be taken. */
  get waiting(): number {
    return this.#spares.length;
  }

  /** Starts threads with `spec` until `count` of them wait (spares with another spec are ended). */
  fill({ spec, count }: { spec: ThreadSpec; count: number }): void {
    if (this.#closed) return;
    this.#count = count;
    void this.#end((spare) => !sameSpec(spare.spec, spec));
    while (this.#spares.length < count) {
      const thread: ScoringThread = new ScoringThread({
        ...spec,
        execArgv: [...spec.execArgv],
        pipeOutput: true,
        spare: true,
        // A spare that dies before it is used is dropped; whoever asks next gets a new thread.
        onEnd: () => void this.#end((spare) => spare.thread === thread),
      });
      thread.worker.unref();
      this.#spares.push({ spec, thread });
    }
  }

  /**
   * Takes back a thread that finished a run, to be handed over again with the same `spec`; it
   * is ended instead unless the reserve {@link keepsUsed}. A fresh spare beyond the count the last
   * {@link fill} asked for is ended: the used thread replaces it.
   */
  park({ spec, thread }: { spec: ThreadSpec; thread: ScoringThread }): void {
    if (!this.keepsUsed) {
      void thread.stop();
      return;
    }
    thread.setAside(() => void this.#end((spare) => spare.thread === thread));
    const used = this.#spares.filter((spare) => spare.thread.startedWith !== undefined);
    const fresh = this.#spares.filter((spare) => spare.thread.startedWith === undefined);
    const surplus = fresh.splice(Math.max(0, this.#count - used.length - 1));
    this.#spares = [{ spec, thread }, ...used, ...fresh];
    for (const spare of surplus) void spare.thread.stop();
  }

  /** A spare started with exactly `spec`, handed to `onEnd`'s owner; undefined when there is none. */
  take({ spec, onEnd }: { spec: ThreadSpec; onEnd: (end: ThreadEnd) => void }): ScoringThread | undefined {
    this.#wanted = spec;
    const index = this.#spares.findIndex((spare) => sameSpec(spare.spec, spec));
    if (index < 0) return undefined;
    const [spare] = this.#spares.splice(index, 1);
    spare!.thread.handOver(onEnd);
    return spare!.thread;
  }

  /**
   * Starts spares for a run like the last one: as many as the last {@link fill} asked for, with the
   * options the pool last asked for (a watch session calls this once a run is reported).
   */
  refill(): void {
    if (this.#wanted) this.fill({ spec: this.#wanted, count: this.#count });
  }

  /** Ends every spare; later calls start none. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#end(() => true);
  }

  async #end(which: (spare: { spec: ThreadSpec; thread: ScoringThread }) => boolean): Promise<void> {
    const ending = this.#spares.filter(which);
    this.#spares = this.#spares.filter((spare) => !which(spare));
    await Promise.all(ending.map((spare) => spare.thread.stop()));
  }
}

/**
 * The options vitest 4.1 gives a thread of looplet's pool in a project configured as
 * `looplet-eval` configures it (vitest's `resolveOptions` and the task's environment): the
 * guess a run's first spares are started with, before vitest is loaded. `vitestRoot` is the
 * directory of the vitest looplet imports.
 */
export function expectedThreadSpec({
  vitestRoot,
  watch,
  heapLimitMb,
  env = process.env,
}: {
  vitestRoot: string;
  watch: boolean;
  heapLimitMb: number;
  env?: NodeJS.ProcessEnv;
}): ThreadSpec {
  const profiling = process.execArgv.filter(
    (flag) =>
      flag.startsWith('--cpu-prof') || flag.startsWith('--heap-prof') || flag.startsWith('--diagnostic-dir'),
  );
  // vite sets NODE_ENV when it is unset; vitest passes it on, with vite's `import.meta.env` values.
  const nodeEnv = env.NODE_ENV || 'development';
  const production = nodeEnv === 'production';
  return {
    entry: path.join(vitestRoot, 'dist', 'workers', 'threads.js'),
    env: {
      ...env,
      TEST: 'true',
      VITEST: 'true',
      NODE_ENV: nodeEnv,
      VITEST_MODE: watch ? 'WATCH' : 'RUN',
      FORCE_TTY: isatty(1) ? 'true' : '',
      BASE_URL: '/',
      MODE: 'test',
      DEV: production ? '' : '1',
      PROD: production ? '1' : '',
    },
    execArgv: [
      ...profiling,
      '--experimental-import-meta-resolve',
      '--require',
      path.join(vitestRoot, 'suppress-warnings.cjs'),
      // vite's default server-side conditions.
      '--conditions',
      'node',
      '--conditions',
      production ? 'production' : 'development',
    ],
    heapLimitMb,
  };
}

/** True when two specs would start the same thread. */
export function sameSpec(a: ThreadSpec, b: ThreadSpec): boolean {
  if (a.entry !== b.entry || a.heapLimitMb !== b.heapLimitMb) return false;
  if (a.execArgv.length !== b.execArgv.length || a.execArgv.some((flag, i) => flag !== b.execArgv[i]))
    return false;
  const keys = Object.keys(a.env).filter((key) => a.env[key] !== undefined);
  const otherKeys = Object.keys(b.env).filter((key) => b.env[key] !== undefined);
  return keys.length === otherKeys.length && keys.every((key) => a.env[key] === b.env[key]);
}
