import { EventEmitter } from 'node:events';
import os from 'node:os';
import type { PoolRunnerInitializer, PoolWorker, WorkerRequest } from 'vitest/node';

/** The name vitest knows looplet's in-process pool by (its `pool` option takes the initializer). */
export const INLINE_POOL = 'looplet-inline';

/** Where looplet-eval scores its chunks: in the main process, or in vitest's worker threads. */
export type PoolChoice = 'inline' | 'threads';

/** Runs up to this many traces and cases are scored in the main process by default. */
export const INLINE_MAX_CONTEXTS = 2000;

/**
 * The pool a run uses (see `LoopletEvalOptions.pool`). The UI always gets threads: its server
 * lives in the main process, which scoring would otherwise share with the replay sandbox (a
 * frozen `Date`, no outgoing connections) while a chunk runs.
 */
export function choosePool({
  pool,
  workers,
  ui,
  watch,
  contexts,
  env = process.env,
  cores = os.availableParallelism(),
}: {
  pool?: PoolChoice;
  workers?: number;
  ui?: boolean;
  /** A watch session: re-runs are cheapest in the process that keeps the traces read (see trace-cache.ts). */
  watch?: boolean;
  contexts: number;
  env?: NodeJS.ProcessEnv;
  cores?: number;
}): PoolChoice {
  if (ui) return 'threads';
  if (pool) return pool;
  if (workers !== undefined) return workers === 1 ? 'inline' : 'threads';
  const fromEnv = env.LOOPLET_POOL;
  if (fromEnv === 'inline' || fromEnv === 'threads') return fromEnv;
  return watch || cores <= 2 || contexts <= INLINE_MAX_CONTEXTS ? 'inline' : 'threads';
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
  return { name: INLINE_POOL, createPoolWorker: () => new InlinePoolWorker() };
}

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

  on(event: string, callback: (arg: unknown) => void): void {
    this.#toMain.on(event, callback);
  }

  off(event: string, callback: (arg: unknown) => void): void {
    this.#toMain.off(event, callback);
  }

  send(message: WorkerRequest): void {
    setImmediate(() => this.#toWorker.emit('message', message));
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
      post: (message: unknown) => setImmediate(() => this.#toMain.emit('message', detach(message))),
      on: (callback: (message: unknown) => void) => this.#toWorker.on('message', callback),
      off: (callback: (message: unknown) => void) => this.#toWorker.off('message', callback),
      teardown: () => this.#toWorker.removeAllListeners('message'),
      runTests: (state, traces) => runBaseTests('run', state, traces),
      collectTests: (state, traces) => runBaseTests('collect', state, traces),
      setup: setupEnvironment,
    });
  }

  async stop(): Promise<void> {
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
