import os from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { LoopletError } from '../util/errors.js';
import { oneLine } from '../util/text.js';
import { type BeatSnapshot, createHeartbeatBuffer, HeartbeatReader, Phase, wallClock } from './heartbeat.js';

/**
 * A worker thread that scores evals, supervised from the main thread: it has a heap limit (an
 * eval that allocates without bound ends its thread in seconds, not the machine), a heartbeat
 * saying which eval runs since when, and a watchdog that ends the thread once that eval is past
 * its timeout (a synchronous infinite loop ignores every timer inside the thread). When the
 * thread ends for any reason it was not asked to, `onEnd` says why and what was running, so the
 * caller can give that eval its error and continue the chunk in a new thread.
 */

/** Why a thread ended without being asked to. */
export interface ThreadEnd {
  /** `timeout`: the watchdog ended it; `memory`: its heap limit was reached; `exit`: it exited or crashed. */
  reason: 'timeout' | 'memory' | 'exit';
  /** What happened, for the culprit's error: "timed out after 500 ms", "ran out of memory (heap limit 512 MB)". */
  message: string;
  /** What the thread was doing when it ended. */
  beat: BeatSnapshot;
}

/** The options of {@link ScoringThread}. */
export interface ScoringThreadOptions {
  /** The module the thread runs. */
  entry: string | URL;
  /** Passed to the thread as `workerData.looplet.data`. */
  data?: unknown;
  /** Started ahead of need (`thread-reserve.ts`): `workerData.looplet.spare` is true in the thread. */
  spare?: boolean;
  /** Heap limit of the thread in MB (see {@link defaultHeapLimitMb}). */
  heapLimitMb: number;
  env?: WorkerOptions['env'];
  execArgv?: string[];
  /** Pipe the thread's stdout and stderr instead of sharing the process's (vitest pipes them to its logger). */
  pipeOutput?: boolean;
  /** Called once if the thread ends without {@link ScoringThread.stop} having been called. */
  onEnd: (end: ThreadEnd) => void;
}

/** Environment variable that sets the heap limit of every scoring thread, in MB. */
export const WORKER_HEAP_ENV = 'LOOPLET_WORKER_HEAP_MB';

/**
 * The heap limit of a scoring thread when none is given: `LOOPLET_WORKER_HEAP_MB`, else a quarter
 * of the machine's memory shared by the threads, between 512 MB and 4 GB. A value that is not a
 * whole number of MB of at least 16 is a `LoopletError` (code `USAGE`, exit 2).
 */
export function defaultHeapLimitMb(threads: number): number {
  const fromEnv = process.env[WORKER_HEAP_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const value = Number(fromEnv);
    if (!Number.isInteger(value) || value < 16)
      throw new LoopletError({
        code: 'USAGE',
        message: `${WORKER_HEAP_ENV}=${oneLine(fromEnv, 40)}: give the heap limit of each scoring thread as a whole number of MB, at least 16 (e.g. ${WORKER_HEAP_ENV}=2048)`,
      });
    return value;
  }
  const share = os.totalmem() / 2 ** 20 / 4 / Math.max(1, threads);
  return Math.round(Math.min(4096, Math.max(512, share)));
}

/** A supervised scoring thread. */
export class ScoringThread {
  readonly worker: Worker;
  readonly heartbeat: HeartbeatReader;
  readonly heapLimitMb: number;
  /**
   * What the thread's vitest runtime was set up with (its `start` request, as `pool.ts` compares
   * them), once it has been: a thread kept for a later run is set up already.
   */
  startedWith: string | undefined;
  #onEnd: (end: ThreadEnd) => void;
  #stopping = false;
  #ended = false;
  #timedOut: BeatSnapshot | undefined;
  #error: Error | undefined;
  /** The beat the watchdog last saw past its deadline (ended on the next look if it has not moved). */
  #overdue: number | undefined;

  constructor(options: ScoringThreadOptions) {
    const buffer = createHeartbeatBuffer();
    this.heartbeat = new HeartbeatReader(buffer);
    this.heapLimitMb = options.heapLimitMb;
    this.#onEnd = options.onEnd;
    this.worker = new Worker(options.entry, {
      workerData: { looplet: { heartbeat: buffer, data: options.data, spare: options.spare === true } },
      resourceLimits: { maxOldGenerationSizeMb: options.heapLimitMb },
      ...(options.env ? { env: options.env } : {}),
      ...(options.execArgv ? { execArgv: options.execArgv } : {}),
      ...(options.pipeOutput ? { stdout: true, stderr: true } : {}),
    });
    this.worker.on('error', (error) => {
      this.#error = error;
    });
    this.worker.on('exit', (code) => this.#exited(code));
    watchdog.add(this);
  }

  /**
   * Gives a thread started ahead of need (a spare, see `thread-reserve.ts`) to its user: `onEnd`
   * replaces the spare's, and the thread keeps the process alive again while it works.
   */
  handOver(onEnd: (end: ThreadEnd) => void): void {
    this.#onEnd = onEnd;
    this.worker.ref();
  }

  /**
   * Puts a thread that finished its work aside until it is handed over again (a watch session
   * keeps them, see `thread-reserve.ts`): `onEnd` replaces its user's, and it no longer keeps the
   * process alive.
   */
  setAside(onEnd: (end: ThreadEnd) => void): void {
    this.#onEnd = onEnd;
    this.worker.unref();
  }

  /** Ends the thread on purpose: `onEnd` is not called. */
  async stop(): Promise<void> {
    this.#stopping = true;
    watchdog.delete(this);
    if (!this.#ended) await this.worker.terminate();
  }

  /** Called by the watchdog: ends the thread if its current phase is past its deadline. */
  check(now: number): void {
    if (this.#stopping || this.#ended || this.#timedOut) return;
    const beat = this.heartbeat.read();
    if (beat.phase === Phase.idle || now <= beat.deadline + graceMs(beat.timeoutMs)) {
      this.#overdue = undefined;
      return;
    }
    // Seen overdue twice with the same beat: the thread has not moved on since.
    if (this.#overdue !== beat.sequence) {
      this.#overdue = beat.sequence;
      return;
    }
    this.#timedOut = beat;
    void this.worker.terminate();
  }

  #exited(code: number): void {
    this.#ended = true;
    watchdog.delete(this);
    if (this.#stopping) return;
    const beat = this.#timedOut ?? this.heartbeat.read();
    const error = this.#error as (Error & { code?: string }) | undefined;
    if (this.#timedOut) {
      this.#onEnd({ reason: 'timeout', message: `timed out after ${beat.timeoutMs} ms`, beat });
    } else if (error?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      this.#onEnd({
        reason: 'memory',
        message: `ran out of memory (heap limit ${this.heapLimitMb} MB)`,
        beat,
      });
    } else {
      const why = error
        ? `crashed its worker thread: ${error.message}`
        : `ended its worker thread (exit code ${code})`;
      this.#onEnd({ reason: 'exit', message: why, beat });
    }
  }
}

/**
 * How long past its timeout a phase may run before its thread is ended: async evals time out
 * inside the thread first (and keep it), only a thread that cannot answer is ended.
 */
function graceMs(timeoutMs: number): number {
  return Math.max(1000, timeoutMs / 10);
}

/** One timer for every thread, running only while there are threads to watch. */
const watchdog = (() => {
  const threads = new Set<ScoringThread>();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = wallClock();
    for (const thread of threads) thread.check(now);
  };
  return {
    add(thread: ScoringThread) {
      threads.add(thread);
      timer ??= setInterval(tick, 250).unref();
    },
    delete(thread: ScoringThread) {
      threads.delete(thread);
      if (threads.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  };
})();
