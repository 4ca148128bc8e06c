// One model or tool call's view of the run's abort signal. Code handed a signal (the OpenAI SDK,
// `fetch`, users' tools) adds an abort listener per call and often never removes it: on the run's
// own signal those would pile up for as long as the run lasts. Each call gets its own child
// signal instead, made only when the call reads it, and unlinked from the run's signal when the
// call settles; whatever listens to the child goes away with it.

/** Why a raced call gave up: the run was aborted, or the call ran out of time. */
export type Interruption = { readonly interrupted: 'aborted' } | { readonly interrupted: 'timeout' };

const ABORTED: Interruption = Object.freeze({ interrupted: 'aborted' });
const TIMED_OUT: Interruption = Object.freeze({ interrupted: 'timeout' });

/** A call's deadline passed: the reason its signal is aborted with. */
export class CallTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`did not finish within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

export class CallScope {
  readonly #parent: AbortSignal;
  #controller: AbortController | undefined;
  #unlink: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(parent: AbortSignal) {
    this.#parent = parent;
  }

  /** The call's signal: aborted when the run is, or when the call times out. Made on first read. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const parent = this.#parent;
      if (parent.aborted) controller.abort(parent.reason);
      else {
        const onAbort = () => controller.abort(parent.reason);
        parent.addEventListener('abort', onAbort, { once: true });
        this.#unlink = () => parent.removeEventListener('abort', onAbort);
      }
    }
    return this.#controller.signal;
  }

  /**
   * Settles with `work`, or with an {@link Interruption} as soon as the run is aborted or
   * `timeoutMs` passes (the call's signal is then aborted too), for work that ignores its signal.
   * `work` may still reject afterwards: that rejection is marked handled.
   */
  race<T>(work: PromiseLike<T>, timeoutMs?: number): Promise<T | Interruption> {
    const signal = this.signal;
    const pending = Promise.resolve(work);
    pending.catch(() => {});
    if (signal.aborted) return Promise.resolve(ABORTED);
    return new Promise<T | Interruption>((resolve, reject) => {
      const onAbort = () => resolve(signal.reason instanceof CallTimeoutError ? TIMED_OUT : ABORTED);
      signal.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined)
        this.#timer = setTimeout(() => this.#controller!.abort(new CallTimeoutError(timeoutMs)), timeoutMs);
      pending.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Unlinks the call from the run's signal and stops its timer. Call once the call has settled. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#unlink?.();
    this.#unlink = undefined;
  }
}

/**
 * Whether a signal has fired, as a plain field: `AbortSignal.prototype.aborted` is a checked
 * getter, slow on a hot path and a frequent cause of deoptimisation there. One listener per run,
 * removed by `dispose()`.
 */
export class AbortFlag {
  aborted: boolean;
  readonly #signal: AbortSignal;
  readonly #onAbort = (): void => {
    this.aborted = true;
  };

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    this.aborted = signal.aborted;
    if (!this.aborted) signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  dispose(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
  }
}

/** True for what {@link CallScope.race} settles with when it gave up. */
export function isInterruption(value: unknown): value is Interruption {
  return value === ABORTED || value === TIMED_OUT;
}
