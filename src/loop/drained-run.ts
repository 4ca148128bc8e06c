import type { Step } from '../core/step.js';
import type { RunResult } from './result.js';

/**
 * A run whose result was awaited before anyone iterated it: it runs to its end on its own, and
 * iterating it afterwards follows its steps, from the first, as they are yielded (a `break` then
 * ends only that iteration). Steps are handed out only once the loop has yielded them, so a
 * follower sees each step exactly as a `for await` would (hooks done, a refused done marked).
 */
export class DrainedRun {
  readonly #steps: readonly Step[];
  #yielded = 0;
  #ended = false;
  #waiters: Array<() => void> = [];

  constructor(run: AsyncGenerator<Step>, steps: readonly Step[]) {
    this.#steps = steps;
    void this.#drain(run);
  }

  async #drain(run: AsyncGenerator<Step>): Promise<void> {
    try {
      for await (const _ of run) {
        this.#yielded++;
        this.#wake();
      }
    } catch {
      // The error is delivered through `result` (and to followers, which await it).
    } finally {
      this.#ended = true;
      this.#wake();
    }
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  /** The run's steps as they come; throws what `result` rejects with, as iterating the run would. */
  async *follow(result: Promise<RunResult>): AsyncGenerator<Step> {
    let index = 0;
    for (;;) {
      if (index < this.#yielded) {
        yield this.#steps[index++]!;
        continue;
      }
      if (this.#ended) break;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    await result;
  }
}
