// The reserve of scoring threads started ahead of need, with real worker threads running a small
// module that answers a ping (and reports how it was started).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { ScoringThread } from '../../src/vitest/scoring-thread.js';
import {
  expectedThreadSpec,
  sameSpec,
  ThreadReserve,
  type ThreadSpec,
} from '../../src/vitest/thread-reserve.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'looplet-thread-reserve-'));
const entry = path.join(dir, 'echo.mjs');
writeFileSync(
  entry,
  `import { parentPort, workerData } from 'node:worker_threads';
if (process.env.EXIT_AT_ONCE) process.exit(4);
parentPort.on('message', (message) => {
  if (message === 'exit') process.exit(3);
  parentPort.postMessage({ pong: message, spare: workerData.looplet.spare, probe: process.env.PROBE });
});
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (changes: Partial<ThreadSpec> = {}): ThreadSpec => ({
  entry,
  env: { PROBE: 'a', OTHER: 'b' },
  execArgv: [],
  heapLimitMb: 64,
  ...changes,
});

function ping(thread: ScoringThread): Promise<{ pong: string; spare: boolean; probe: string }> {
  return new Promise((resolve) => {
    thread.worker.once('message', resolve);
    thread.worker.postMessage('ping');
  });
}

function exited(thread: ScoringThread): Promise<number> {
  return new Promise((resolve) => thread.worker.once('exit', resolve));
}

let reserves: ThreadReserve[] = [];
function reserve(options: { keepUsed?: boolean } = {}): ThreadReserve {
  const made = new ThreadReserve(options);
  reserves.push(made);
  return made;
}
const owned: ScoringThread[] = [];
afterEach(async () => {
  await Promise.all(reserves.map((made) => made.close()));
  await Promise.all(owned.splice(0).map((thread) => thread.stop()));
  reserves = [];
});

function take(from: ThreadReserve, wanted: ThreadSpec, onEnd = () => {}): ScoringThread | undefined {
  const thread = from.take({ spec: wanted, onEnd });
  if (thread) owned.push(thread);
  return thread;
}

describe('ThreadReserve', () => {
  it('hands over a spare only for exactly the options it was started with', async () => {
    const spares = reserve();
    spares.fill({ spec: spec(), count: 1 });
    expect(take(spares, spec({ env: { PROBE: 'a', OTHER: 'c' } }))).toBeUndefined();
    expect(take(spares, spec({ execArgv: ['--no-warnings'] }))).toBeUndefined();
    expect(take(spares, spec({ heapLimitMb: 128 }))).toBeUndefined();
    expect(take(spares, spec({ entry: path.join(dir, 'other.mjs') }))).toBeUndefined();
    // The same environment written in another order is the same thread.
    const thread = take(spares, spec({ env: { OTHER: 'b', PROBE: 'a' } }));
    expect(thread).toBeDefined();
    expect(await ping(thread!)).toEqual({ pong: 'ping', spare: true, probe: 'a' });
    expect(take(spares, spec())).toBeUndefined();
  });

  it('gives a spare that ends later to its owner’s onEnd', async () => {
    const spares = reserve();
    spares.fill({ spec: spec(), count: 1 });
    const ends: string[] = [];
    const thread = take(spares, spec(), () => ends.push('owner'))!;
    const gone = exited(thread);
    thread.worker.postMessage('exit');
    expect(await gone).toBe(3);
    expect(ends).toEqual(['owner']);
  });

  it('drops a spare that ends before it is used', async () => {
    const spares = reserve();
    spares.fill({ spec: spec({ env: { EXIT_AT_ONCE: '1' } }), count: 1 });
    expect(spares.waiting).toBe(1);
    await vi.waitFor(() => expect(spares.waiting).toBe(0), { timeout: 10_000 });
    expect(take(spares, spec({ env: { EXIT_AT_ONCE: '1' } }))).toBeUndefined();
  });

  it('ends spares started with other options when filled for new ones, and all of them on close', async () => {
    const spares = reserve();
    spares.fill({ spec: spec(), count: 2 });
    spares.fill({ spec: spec({ env: { PROBE: 'z' } }), count: 1 });
    expect(take(spares, spec())).toBeUndefined();
    const fresh = take(spares, spec({ env: { PROBE: 'z' } }));
    expect((await ping(fresh!)).probe).toBe('z');
    spares.fill({ spec: spec(), count: 1 });
    await spares.close();
    expect(take(spares, spec())).toBeUndefined();
    spares.fill({ spec: spec(), count: 1 });
    expect(take(spares, spec())).toBeUndefined();
  });

  it('refills as many threads as the last fill, with the options the pool last asked for', async () => {
    const spares = reserve();
    spares.refill();
    expect(spares.waiting).toBe(0);
    spares.fill({ spec: spec(), count: 2 });
    expect(take(spares, spec({ env: { PROBE: 'y' } }))).toBeUndefined();
    spares.refill();
    expect(spares.waiting).toBe(2);
    const thread = take(spares, spec({ env: { PROBE: 'y' } }));
    expect((await ping(thread!)).probe).toBe('y');
  });
});

/** Two threads taken from `spares` and set up by a run, as the pool marks them. */
function usedThreads(spares: ThreadReserve): [ScoringThread, ScoringThread] {
  spares.fill({ spec: spec(), count: 2 });
  const threads: [ScoringThread, ScoringThread] = [take(spares, spec())!, take(spares, spec())!];
  for (const thread of threads) thread.startedWith = 'run 1';
  return threads;
}

describe('ThreadReserve.park (a watch session keeps used threads)', () => {
  it('ends a used thread unless asked to keep them', async () => {
    const spares = reserve();
    spares.fill({ spec: spec(), count: 1 });
    const thread = take(spares, spec())!;
    const gone = exited(thread);
    spares.park({ spec: spec(), thread });
    await gone;
    expect(spares.waiting).toBe(0);
    expect(take(spares, spec())).toBeUndefined();
  });

  it('hands a kept thread out again before fresh spares, in place of one of them', async () => {
    const spares = reserve({ keepUsed: true });
    const [first, second] = usedThreads(spares);
    // The watch session refills before both threads are back: the kept ones replace fresh spares.
    spares.refill();
    expect(spares.waiting).toBe(2);
    spares.park({ spec: spec(), thread: first });
    spares.park({ spec: spec(), thread: second });
    expect(spares.waiting).toBe(2);
    const again = [take(spares, spec()), take(spares, spec())];
    expect(new Set(again)).toEqual(new Set([first, second]));
    for (const thread of again) expect((await ping(thread!)).pong).toBe('ping');
    expect(take(spares, spec())).toBeUndefined();
  });

  it('drops a kept thread that ends while it waits, and ends the kept ones on close', async () => {
    const spares = reserve({ keepUsed: true });
    const [dying, kept] = usedThreads(spares);
    spares.park({ spec: spec(), thread: dying });
    spares.park({ spec: spec(), thread: kept });
    expect(spares.waiting).toBe(2);
    dying.worker.postMessage('exit');
    await vi.waitFor(() => expect(spares.waiting).toBe(1), { timeout: 10_000 });
    const gone = exited(kept);
    await spares.close();
    await gone;
    expect(spares.keepsUsed).toBe(false);
    expect(take(spares, spec())).toBeUndefined();
  });
});

describe('expectedThreadSpec', () => {
  it('follows NODE_ENV into the conditions and the environment', () => {
    const guess = (env: NodeJS.ProcessEnv) =>
      expectedThreadSpec({ vitestRoot: '/v', watch: false, heapLimitMb: 64, env });
    const development = guess({});
    expect(development.execArgv.slice(-4)).toEqual(['--conditions', 'node', '--conditions', 'development']);
    expect(development.env).toMatchObject({
      NODE_ENV: 'development',
      DEV: '1',
      PROD: '',
      VITEST_MODE: 'RUN',
    });
    const production = guess({ NODE_ENV: 'production' });
    expect(production.execArgv.at(-1)).toBe('production');
    expect(production.env).toMatchObject({ NODE_ENV: 'production', DEV: '', PROD: '1' });
    expect(production.entry).toBe(path.join('/v', 'dist', 'workers', 'threads.js'));
    expect(sameSpec(development, guess({}))).toBe(true);
    expect(sameSpec(development, production)).toBe(false);
  });
});
