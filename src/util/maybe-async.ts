/** A value, or a promise of one: what code on the loop's hot path passes around. */
export type MaybePromise<T> = T | Promise<T>;

/** True for promises and other thenables. */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs `next` on the value now when it is already there, or once the promise settles. The loop's
 * hooks and tools are mostly synchronous: chaining this way instead of `await` spares a promise
 * and a microtask per phase, which is most of a step's overhead.
 */
export function andThen<T, U>(
  value: MaybePromise<T> | PromiseLike<T>,
  next: (value: T) => MaybePromise<U>,
): MaybePromise<U> {
  if (isPromiseLike<T>(value)) return Promise.resolve(value).then(next);
  return next(value as T);
}
