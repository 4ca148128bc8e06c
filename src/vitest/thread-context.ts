import { workerData } from 'node:worker_threads';
import { Heartbeat } from './heartbeat.js';

/**
 * What a scoring thread started by looplet (`scoring-thread.ts`) finds in its `workerData`: the
 * heartbeat the main thread watches, and whatever the thread's owner passes (`data`). Threads
 * started otherwise (vitest's own pools) have none, and run unsupervised as before.
 */
export interface ThreadContext<D = unknown> {
  heartbeat: Heartbeat;
  data: D;
}

let context: ThreadContext | null | undefined;

/** The supervision of this thread, or undefined when it was not started by looplet. */
export function threadContext<D = unknown>(): ThreadContext<D> | undefined {
  if (context === undefined) {
    const looplet = (workerData as { looplet?: { heartbeat?: unknown; data?: unknown } } | null)?.looplet;
    context =
      looplet?.heartbeat instanceof SharedArrayBuffer
        ? { heartbeat: new Heartbeat(looplet.heartbeat), data: looplet.data }
        : null;
  }
  return (context ?? undefined) as ThreadContext<D> | undefined;
}
