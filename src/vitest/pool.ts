import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { RunnerTaskResultPack } from 'vitest';
import type { PoolOptions, PoolRunnerInitializer, PoolWorker, TestProject, WorkerRequest } from 'vitest/node';
import type { Culprit } from './chunk-scoring.js';
import { Phase } from './heartbeat.js';
import { defaultHeapLimitMb, ScoringThread, type ThreadEnd } from './scoring-thread.js';
import type { ThreadReserve, ThreadSpec } from './thread-reserve.js';
import { changeCount, changedFilesMessage, changesSince, invalidatesAfter } from './watch-changes.js';

/**
 * looplet's vitest pool: vitest's own thread worker (the same entry, protocol and runner), in
 * threads looplet supervises (`scoring-thread.ts`): a heap limit, a watchdog at each eval's
 * timeout, and — when a thread is ended for running out of memory, hanging or crashing — a new
 * thread that goes on with the chunk after the eval that ended it. vitest only sees one worker
 * that answers as if nothing happened; the eval gets the error (`timeout` or `threw`).
 */

/** What looplet's runner finds in a pool thread's data: what to put back in each chunk it resumes. */
export interface PoolThreadData {
  resume?: Record<string, FileResume>;
  /** An eval file ended a thread while it was imported: every chunk of the run fails with this. */
  importFailure?: ImportFailure;
}

/** An eval file (by its index in the chunk plans' `evalFiles`) that ended its thread as it was imported. */
export interface ImportFailure {
  evalFile: number;
  /** "timed out after 60000 ms", "ran out of memory (heap limit 512 MB)". */
  message: string;
}

/** A chunk file scored in part by a thread that was ended. */
export interface FileResume {
  /** The result packs the ended threads had sent for this file's tests (by test id). */
  saved: RunnerTaskResultPack[];
  /** The file's meta as last sent (its runs and errors so far). */
  fileMeta?: Record<string, unknown>;
  /** What ended each thread: not run again, each gets its error. */
  culprits: Culprit[];
}

/** The name vitest knows the pool by (`pool: loopletPool()`). */
export const POOL_NAME = 'looplet';

/** The options of {@link loopletPool}. */
export interface LoopletPoolOptions {
  /** Heap limit of each thread in MB (default: see `defaultHeapLimitMb`). */
  heapLimitMb?: number;
  /** Threads vitest will run at most (sizes the default heap limit). */
  maxWorkers?: number;
  /** Threads started ahead of need: a thread is taken from here when one fits (see `thread-reserve.ts`). */
  reserve?: ThreadReserve;
}

/** looplet's pool for vitest's `pool` option. */
export function loopletPool(options: LoopletPoolOptions = {}): PoolRunnerInitializer {
  const heapLimitMb = options.heapLimitMb ?? defaultHeapLimitMb(options.maxWorkers ?? 1);
  return {
    name: POOL_NAME,
    createPoolWorker: (poolOptions) =>
      new LoopletPoolWorker({
        poolOptions,
        heapLimitMb,
        ...(options.reserve ? { reserve: options.reserve } : {}),
      }),
  };
}

type Request = WorkerRequest & {
  type: string;
  context?: { files: Array<{ filepath: string }>; invalidates?: string[] };
};

/** The changes (`watch-changes.ts`) each thread has caught up with. */
const changesSeen = new WeakMap<ScoringThread, number>();

/** An rpc call from the thread (birpc's message shape). */
interface RpcCall {
  t?: string;
  m?: string;
  a?: unknown[];
}

/** One vitest worker, backed by a supervised thread that is replaced when it is ended. */
class LoopletPoolWorker implements PoolWorker {
  readonly name = POOL_NAME;
  readonly #reserve: ThreadReserve | undefined;
  readonly #events = new EventEmitter();
  readonly #stdout: NodeJS.WriteStream | Writable;
  readonly #stderr: NodeJS.WriteStream | Writable;
  #thread: ScoringThread | undefined;
  /** vitest's `start` request for this worker, and what it sets a runtime up with (see {@link startKey}). */
  #start: { request: Request; key: string } | undefined;
  /** The run (or collect) request being worked on, with the files not finished yet. */
  #running: { request: Request; finished: Set<string> } | undefined;
  /** A replacement thread's own 'started' answer: vitest saw the first one. */
  #swallowStarted = false;
  /** What each file of the current run delivered, for a replacement thread. */
  readonly #files = new Map<string, FileResume>();
  /** File ids (as vitest names tasks) → file paths, from the thread's collection. */
  readonly #fileIds = new Map<string, string>();
  /** An eval file that ended a thread of the current run while it was imported. */
  #importFailure: ImportFailure | undefined;
  /** The thread was started to go on with a run: its data is stale for the next one. */
  #resumed = false;
  /** vitest was told the thread stopped: {@link stop} keeps it for the next run. */
  #parking = false;
  /** Takes this worker's listeners and output pipes off its current thread. */
  #detach: (() => void) | undefined;
  readonly #spec: ThreadSpec;
  readonly #project: TestProject;

  constructor({
    poolOptions,
    heapLimitMb,
    reserve,
  }: {
    poolOptions: PoolOptions;
    heapLimitMb: number;
    reserve?: ThreadReserve;
  }) {
    this.#reserve = reserve;
    this.#spec = {
      entry: path.resolve(poolOptions.distPath, 'workers/threads.js'),
      heapLimitMb,
      env: poolOptions.env,
      execArgv: poolOptions.execArgv,
    };
    this.#project = poolOptions.project;
    this.#stdout = poolOptions.project.vitest.logger.outputStream;
    this.#stderr = poolOptions.project.vitest.logger.errorStream;
  }

  on(event: string, callback: (arg: unknown) => void): void {
    this.#events.on(event, callback);
  }

  off(event: string, callback: (arg: unknown) => void): void {
    this.#events.off(event, callback);
  }

  send(message: WorkerRequest): void {
    const request = message as Request;
    if (request.type === 'start') {
      this.#start = { request, key: startKey(request) };
      if (this.#setUpAlready()) return;
      if (this.#thread) this.#thread.startedWith = this.#start.key;
    }
    if (request.type === 'stop' && this.#keepForNextRun()) return;
    if (request.type === 'run' || request.type === 'collect') {
      this.#running = { request, finished: new Set() };
      this.#files.clear();
      this.#importFailure = undefined;
      // A replacement thread holds what an earlier run delivered (watch mode): start afresh, in a
      // new thread (a kept one is set up already).
      if (this.#resumed && this.#thread && this.#start) {
        this.#replaceThread();
        this.#swallowStarted = true;
        this.#setUp(this.#thread);
      }
      if (this.#thread) this.#catchUp(this.#thread, request);
    }
    this.#thread?.worker.postMessage(message);
  }

  /**
   * A thread kept from an earlier run is sent the files changed since (its trace cache reads
   * those traces again), and evaluates the user's modules again once a script changed.
   */
  #catchUp(thread: ScoringThread, request: Request): void {
    const seen = changesSeen.get(thread);
    changesSeen.set(thread, changeCount());
    if (seen === undefined) return;
    const changed = changesSince(seen);
    if (changed.length === 0) return;
    thread.worker.postMessage(changedFilesMessage(changed));
    if (!request.context) return;
    const invalidates = invalidatesAfter({
      changed,
      invalidates: request.context.invalidates,
      project: this.#project,
    });
    if (invalidates) request.context.invalidates = invalidates;
  }

  async start(): Promise<void> {
    this.#thread ??= this.#spawn();
  }

  async stop(): Promise<void> {
    const thread = this.#thread;
    this.#thread = undefined;
    if (!thread) return;
    this.#detach?.();
    if (this.#parking && this.#reserve) this.#reserve.park({ spec: this.#spec, thread });
    else await thread.stop();
  }

  /**
   * A thread kept from the previous run (a watch session, see `thread-reserve.ts`) was set up by
   * a `start` like this one: vitest is told it started. vitest's runtime cannot be set up twice in
   * one thread, so a kept thread set up otherwise (another project config) is ended and a new one
   * started.
   */
  #setUpAlready(): boolean {
    const thread = this.#thread;
    if (thread?.startedWith === undefined || !this.#start) return false;
    if (thread.startedWith === this.#start.key) {
      this.#answer('started');
      return true;
    }
    this.#replaceThread();
    return false;
  }

  /** Ends the current thread and puts a new one (never a spare or a kept one) in its place. */
  #replaceThread(): void {
    this.#detach?.();
    void this.#thread?.stop();
    this.#thread = this.#spawn({ fresh: true });
  }

  /**
   * In a watch session, a thread that finished its run is kept for the next run instead of being
   * torn down: vitest is told it stopped, and {@link stop} hands it to the reserve. vitest keeps a
   * worker the same way between the files of one run when isolation is off (looplet's setting):
   * the eval modules it imported stay loaded, and before its next run it is told what changed
   * ({@link #catchUp}).
   * A thread that goes on with a chunk after a failure is not kept (it carries that chunk's state).
   */
  #keepForNextRun(): boolean {
    if (!this.#reserve?.keepsUsed || !this.#thread || this.#resumed || this.#running) return false;
    this.#parking = true;
    this.#answer('stopped');
    return true;
  }

  /** Answers vitest as the thread's runtime would have. */
  #answer(type: 'started' | 'stopped'): void {
    setImmediate(() => this.#events.emit('message', { type, __vitest_worker_response__: true }));
  }

  /** Sets up vitest's runtime in `thread` with the run's `start` request. */
  #setUp(thread: ScoringThread): void {
    if (!this.#start) return;
    thread.startedWith = this.#start.key;
    thread.worker.postMessage(this.#start.request);
  }

  deserialize(data: unknown): unknown {
    return data;
  }

  #spawn({ data, fresh = false }: { data?: PoolThreadData; fresh?: boolean } = {}): ScoringThread {
    this.#resumed = data !== undefined;
    const spec = this.#spec;
    const onEnd = (end: ThreadEnd) => this.#ended(thread, end);
    // A thread that goes on with a chunk carries what to resume, and `fresh` asks for a thread to
    // set up anew: neither can be a spare or a kept thread.
    const thread: ScoringThread =
      (data || fresh ? undefined : this.#reserve?.take({ spec, onEnd })) ??
      new ScoringThread({
        ...spec,
        execArgv: [...spec.execArgv],
        pipeOutput: true,
        ...(data ? { data } : {}),
        onEnd,
      });
    thread.worker.stdout.pipe(this.#stdout, { end: false });
    thread.worker.stderr.pipe(this.#stderr, { end: false });
    const onMessage = (message: unknown) => this.#fromThread(message);
    thread.worker.on('message', onMessage);
    this.#detach = () => {
      thread.worker.off('message', onMessage);
      thread.worker.stdout.unpipe(this.#stdout);
      thread.worker.stderr.unpipe(this.#stderr);
    };
    return thread;
  }

  #fromThread(message: unknown): void {
    const response = message as { __vitest_worker_response__?: boolean; type?: string } | null;
    if (response?.__vitest_worker_response__) {
      if (response.type === 'started' && this.#swallowStarted) {
        this.#swallowStarted = false;
        return;
      }
      if (response.type === 'testfileFinished') this.#running = undefined;
    } else {
      this.#record(message as RpcCall);
    }
    this.#events.emit('message', message);
  }

  /** Keeps what the thread reports about the running files: a replacement puts it back. */
  #record(call: RpcCall): void {
    if (call?.t !== 'q' || !this.#running) return;
    if (call.m === 'onCollected' || call.m === 'onQueued') {
      const files = (call.m === 'onCollected' ? call.a?.[0] : [call.a?.[0]]) as
        | Array<{ id: string; filepath: string }>
        | undefined;
      for (const file of files ?? []) if (file?.id) this.#fileIds.set(file.id, file.filepath);
      return;
    }
    if (call.m !== 'onTaskUpdate') return;
    for (const pack of (call.a?.[0] ?? []) as RunnerTaskResultPack[]) {
      const [id, result, meta] = pack;
      const file = this.#fileIds.get(id);
      if (file !== undefined) {
        const state = result?.state;
        if (state === 'pass' || state === 'fail' || state === 'skip') this.#running.finished.add(file);
        this.#fileResume(file).fileMeta = meta as Record<string, unknown>;
        continue;
      }
      // A task's id is its file's id, then `_n` per level (suites, tests).
      const owner = this.#fileIds.get(id.slice(0, id.indexOf('_')));
      if (owner !== undefined) this.#fileResume(owner).saved.push(pack);
    }
  }

  #fileResume(file: string): FileResume {
    let resume = this.#files.get(file);
    if (!resume) {
      resume = { saved: [], culprits: [] };
      this.#files.set(file, resume);
    }
    return resume;
  }

  /**
   * The thread ended without being asked to. While a chunk was being scored, what was running
   * is marked as the culprit and a new thread goes on with the chunk; while an eval file was
   * being imported, the new thread fails every chunk left with that file's import error (each
   * chunk would import it again). Otherwise vitest is told, as it would be of any worker that exited.
   */
  #ended(thread: ScoringThread, end: ThreadEnd): void {
    if (thread !== this.#thread) return;
    const running = this.#running;
    const file = thread.heartbeat.label();
    const { beat } = end;
    const importing = beat.phase === Phase.collect && beat.test >= 0;
    const scoring = beat.group >= 0 && beat.phase !== Phase.idle && beat.phase !== Phase.collect;
    if (running?.request.type !== 'run' || !this.#start || !(importing || scoring) || file === '') {
      this.#thread = undefined;
      this.#events.emit('error', new Error(`looplet's scoring thread ${end.message}`));
      this.#events.emit('exit', 1);
      return;
    }
    if (importing) this.#importFailure = { evalFile: beat.test, message: end.message };
    else
      this.#fileResume(file).culprits.push({
        group: beat.group,
        test: beat.phase === Phase.eval ? beat.test : -1,
        phase: beat.phase,
        kind: end.reason === 'timeout' ? 'timeout' : 'threw',
        message: end.message,
      });
    const files = running.request.context?.files ?? [];
    const remaining = files.filter((spec) => !running.finished.has(spec.filepath));
    const request = { ...running.request, context: { ...running.request.context, files: remaining } };
    this.#thread = this.#spawn({
      data: {
        resume: Object.fromEntries(this.#files),
        ...(this.#importFailure ? { importFailure: this.#importFailure } : {}),
      },
    });
    this.#swallowStarted = true;
    this.#setUp(this.#thread);
    this.#thread.worker.postMessage(request);
  }
}

/**
 * What a `start` request sets a thread's runtime up with — the environment, the project's
 * config, vitest's options for the worker — without the ids that change every run.
 */
function startKey(request: Request): string {
  const start = request as Request & { options?: unknown; traces?: { enabled?: unknown; sdkPath?: unknown } };
  return JSON.stringify([start.context, start.options, start.traces?.enabled, start.traces?.sdkPath]);
}
