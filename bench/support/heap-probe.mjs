// Preloaded into a watch session by the bench (`node --expose-gc --import …/heap-probe.mjs`): on
// SIGUSR2 it collects the main thread's garbage and prints `heap-probe: <main> <threads>`, the bytes
// still used on the main thread's heap and on its worker threads' heaps together (summed from a heap
// snapshot of each thread, which V8 takes after a full collection). The bench reads the line.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const threads = createRequire(import.meta.url)('node:worker_threads');
  const live = new Set();
  // Every thread started from now on is tracked (vitest's and looplet's import the class later).
  threads.Worker = class extends threads.Worker {
    constructor(...args) {
      super(...args);
      live.add(this);
      this.once('exit', () => live.delete(this));
    }
  };
  syncBuiltinESMExports();
  process.on('SIGUSR2', async () => {
    // More than one pass: what a first collection frees can let go of more (weak callbacks).
    for (let pass = 0; pass < 3; pass++) globalThis.gc?.();
    const main = process.memoryUsage().heapUsed;
    let inThreads = 0;
    for (const thread of live) inThreads += await heapUsed(thread).catch(() => 0);
    process.stdout.write(`heap-probe: ${main} ${inThreads}\n`);
  });
}

/** The bytes of the objects a heap snapshot of `thread` holds. */
async function heapUsed(thread) {
  const chunks = [];
  for await (const chunk of await thread.getHeapSnapshot()) chunks.push(Buffer.from(chunk));
  const { snapshot, nodes } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const fields = snapshot.meta.node_fields;
  let total = 0;
  for (let at = fields.indexOf('self_size'); at < nodes.length; at += fields.length) total += nodes[at];
  return total;
}
