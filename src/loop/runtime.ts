import type { Clock, IdGenerator } from '../core/types.js';

// Read once: `performance.timeOrigin` is a getter as slow as `performance.now()` itself.
const TIME_ORIGIN = performance.timeOrigin;

/** Wall-clock time with sub-millisecond resolution. */
export const defaultClock: Clock = {
  now: () => TIME_ORIGIN + performance.now(),
};

/** A clock that always reads the same instant (or advances by `stepMs` per reading). */
export function fixedClock({ at = 0, stepMs = 0 }: { at?: number; stepMs?: number } = {}): Clock {
  let current = at;
  return {
    now() {
      const value = current;
      current += stepMs;
      return value;
    },
  };
}

/** Random run ids, sequential call ids (`call_1`, `call_2`…). */
export function randomIds(): IdGenerator {
  let calls = 0;
  // node:crypto is loaded on first use: importing it cost `import 'looplet'` a tenth of its time.
  const runId = () => process.getBuiltinModule('node:crypto').randomUUID().replaceAll('-', '').slice(0, 16);
  return (kind) => (kind === 'run' ? runId() : `call_${++calls}`);
}

/** Fully deterministic ids: `run_1`, `call_1`, `call_2`… Use with `fixedClock()` for reproducible traces. */
export function sequentialIds(): IdGenerator {
  let runs = 0;
  let calls = 0;
  return (kind) => (kind === 'run' ? `run_${++runs}` : `call_${++calls}`);
}
