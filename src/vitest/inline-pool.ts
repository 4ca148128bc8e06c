import { EventEmitter } from 'node:events';
import type { PoolRunnerInitializer, PoolWorker, TestProject, WorkerRequest } from 'vitest/node';
import { changeCount, changesSince, invalidatesAfter } from './watch-changes.js';

/** The name vitest knows looplet's in-process pool by (its `pool` option takes the initializer). */
export const INLINE_POOL = 'looplet-inline';

/** Where looplet-eval scores its chunks: in the main process, or in vitest's worker threads. */
export type PoolChoice = 'inline' | 'threads';

/**
 * The pool a run uses (see `LoopletEvalOptions.pool`). The UI always gets threads: its server
 * lives in the main process, which scoring would otherwise share with the replay sandbox (a
 * frozen `Date`, no outgoing connections) while a chunk runs.
 */
export function choosePool({
  pool,
  ui,
  env = process.env,
}: {
  pool?: PoolChoice;
  ui?: boolean;
  env?: NodeJS.ProcessEnv;
}): PoolChoice {
  if (ui) return 'threads';
  if (pool) return pool;
  const fromEnv = env.LOOPLET_POOL;
  if (fromEnv === 'inline' || fromEnv === 'threads') return fromEnv;
  // Supervised threads unless asked: in the main process an eval that runs out of memory or
  // blocks would stop the whole run (one bad eval must cost one result). Watch sessions too:
  // the in-process pool's trace cache is kept for LOOPLET_POOL=inline until its re-runs are as
  // well proven as the threads'.
  return 'threads';
}

/**
 * A vitest pool that runs test files in the main process instead of worker threads, through
 * vitest's own worker runtime (`vitest/worker`: the same module runner, runner class, collection,
 * filters and result packs as a thread). Starting a worker thread and loading vitest's runtime
 * into it costs ~0.2 s of CPU per worker; for a run that needs no isolation and whose work fits
 * one core, that fixed cost is most of the run. What this gives up is isolation: evaluated code
 * shares the process (and its heap) with vitest itself, and nothing runs in parallel.
 */
export function inlinePool(): PoolRunnerInitializer {
  return { name: INLINE_POOL, createPoolWorker: ({ project }) => new InlinePoolWorker(project) };
}

/** The changes (`watch-changes.ts`) the process's runtime has caught up with. */
let changesSeen = 0;

/**
 * The in-process "worker": vitest's main side and its worker runtime talk through two event
 * emitters instead of a `MessagePort`. Messages are delivered on a later turn of the event loop,
 * as a port would, so neither side re-enters the other; objects are passed as they are (no
 * structured clone), so results reach reporters without being copied.
 */
class InlinePoolWorker implements PoolWorker {
  readonly name = INLINE_POOL;
  readonly #toMain = new EventEmitter();
  readonly #toWorker = new EventEmitter();
  #started = false;
  #saved: { console: Console; exit: typeof process.exit } | undefined;
  readonly #project: TestProject;

  constructor(project: TestProject) {
    this.#project = project;
  }

  on(event: string, callback: (arg: unknown) => void): void {
    this.#toMain.on(event, callback);
  }

  off(event: string, callback: (arg: unknown) => void): void {
    this.#toMain.off(event, callback);
  }

  send(message: WorkerRequest): void {
    if (message.type === 'run' || message.type === 'collect') {
      this.#guardGlobals();
      // The runtime outlives the run (it is the process's): re-evaluate scripts once one changed.
      const changed = changesSince(changesSeen);
      changesSeen = changeCount();
      const invalidates = invalidatesAfter({
        changed,
        invalidates: message.context.invalidates,
        project: this.#project,
      });
      if (invalidates) message.context.invalidates = invalidates;
    }
    setImmediate(() => this.#toWorker.emit('message', message));
  }

  /**
   * vitest's runtime takes over process globals as a worker may: `console` (each run: logs go to
   * reporters as test output) and `process.exit` (made to throw, so an eval cannot end the run).
   * Here they belong to looplet-eval and vitest's main side too: taken for the length of a task
   * and given back when it finishes, so the CLI's own output and exit (Ctrl-C in watch mode) work.
   */
  #guardGlobals(): void {
    this.#saved ??= { console: globalThis.console, exit: process.exit };
    process.exit = (code?: number | string | null) => {
      throw new Error(`process.exit unexpectedly called with "${code ?? ''}" while evals ran`);
    };
  }

  #restoreGlobals(): void {
    if (!this.#saved) return;
    globalThis.console = this.#saved.console;
    process.exit = this.#saved.exit;
    this.#saved = undefined;
  }

  #fromWorker(message: unknown): void {
    const response = message as { __vitest_worker_response__?: boolean; type?: string } | null;
    if (response?.__vitest_worker_response__ && response.type !== 'started') this.#restoreGlobals();
    this.#toMain.emit('message', detach(message));
  }

  deserialize(data: unknown): unknown {
    return data;
  }

  /** Any task of the same project can reuse the runtime: there is one environment (node). */
  canReuse(): boolean {
    return true;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const { init, runBaseTests, setupEnvironment } = await import('vitest/worker');
    init({
      post: (message: unknown) => setImmediate(() => this.#fromWorker(message)),
      on: (callback: (message: unknown) => void) => this.#toWorker.on('message', callback),
      off: (callback: (message: unknown) => void) => this.#toWorker.off('message', callback),
      teardown: () => this.#toWorker.removeAllListeners('message'),
      runTests: (state, traces) => runBaseTests('run', state, traces),
      collectTests: (state, traces) => runBaseTests('collect', state, traces),
      setup: setupEnvironment,
    });
  }

  async stop(): Promise<void> {
    this.#restoreGlobals();
    this.#toWorker.removeAllListeners();
  }
}

/**
 * vitest announces a file before collecting it (`onQueued`, the file task with no tests yet) and
 * again once collected (`onCollected`, the same task with its tests). Its main side registers a
 * task's children only the first time it sees that task object, which a worker never hits: each
 * message arrives as a copy. The announced file is copied here too; everything else is shared.
 */
function detach(message: unknown): unknown {
  const call = message as { m?: unknown; a?: unknown[] } | null;
  if (call?.m !== 'onQueued' || !Array.isArray(call.a)) return message;
  return { ...call, a: structuredClone(call.a) };
}
