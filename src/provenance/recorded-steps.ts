import type { StepData } from '../core/step.js';
import type { Trace } from './types.js';

const CACHE_SIZE = 8;

/**
 * The recorded steps of a trace as replay reads them: each step file is parsed once while it is
 * in use (the tool-calls check and recorded tool results both read the last few steps), and only
 * the last few are kept, so replaying a long trace holds a few steps in memory.
 */
export class RecordedSteps {
  readonly #trace: Trace;
  readonly #cache = new Map<number, StepData>();

  constructor(trace: Trace) {
    this.#trace = trace;
  }

  /** How many steps the trace holds. */
  get count(): number {
    return this.#trace.meta.stepCount;
  }

  /** Step `index` (1-based); throws `TraceReadError` for a damaged step file. */
  get(index: number): StepData {
    let step = this.#cache.get(index);
    if (step === undefined) {
      step = this.#trace.readStep(index);
      this.#cache.set(index, step);
      if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return step;
  }
}
