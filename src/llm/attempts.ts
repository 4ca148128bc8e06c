// Runs one model call as a series of attempts within its CallLimits: each attempt under its own
// deadline and idle clock, retries after capped waits, and an abort or a passed limit ending any
// wait at once with no timer left behind. Every way a call can end is a typed LLMError.
import type { CallLimits } from './call-limits.js';
import { backoffMs } from './call-limits.js';
import { LLMError, LLMResponseError } from './errors.js';

/** One attempt of a call, as the backend sees it while sending the request and reading the answer. */
export interface Attempt {
  /** 1 for the first request, 2 for the first retry… */
  readonly number: number;
  /** Aborts when the caller aborts or a limit passes: pass it to `fetch` (or the SDK). */
  readonly signal: AbortSignal;
  /** Call when the headers came (`stream` when the body is server-sent events): starts the idle clock. */
  responded(answer: { status: number; stream: boolean }): void;
  /** Call on each piece of the body (or each stream chunk): restarts the idle clock. */
  received(): void;
  /** Call on each stream chunk, so messages can say how far the stream got. */
  chunk(): void;
  /** Where the attempt got to, for messages: HTTP status once the headers came, stream chunks counted. */
  readonly progress: Readonly<{ status: number | undefined; chunks: number | undefined }>;
}

/** What a backend makes of an error an attempt threw. */
export interface Failure {
  /** Whether another attempt may help (the SDK-style rule: connection failures and 408/409/429/5xx). */
  retryable: boolean;
  /** The wait the server asked for, in ms, when it named one. */
  retryAfterMs?: number | undefined;
  /** The error to throw when no retry follows: `attempts` requests were sent; `note` says why retrying stopped, or is empty. */
  error(context: { attempts: number; note: string }): Error;
}

/** Why looplet stopped an attempt or a call; the abort reason of its signals. */
class Stop {
  constructor(readonly kind: 'aborted' | 'timeout' | 'total' | 'stalled') {}
}

/**
 * Runs `attempt` until it returns, retrying what `classify` calls retryable, within `limits`.
 * `where` names the call in messages (e.g. `POST https://…/chat/completions (model "gpt-4o")`).
 */
export async function runAttempts<T>({
  limits,
  signal,
  where,
  attempt,
  classify,
}: {
  limits: CallLimits;
  signal: AbortSignal | undefined;
  where: string;
  attempt: (attempt: Attempt) => Promise<T>;
  classify: (error: unknown, attempt: Attempt) => Failure;
}): Promise<T> {
  const errors = new StopErrors({ where, limits });
  if (signal?.aborted) throw errors.aborted({ attempts: undefined, stage: 'before it was sent' });
  const call = new AbortController();
  const onAbort = () => call.abort(new Stop('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  const totalTimer = setTimeout(() => call.abort(new Stop('total')), limits.totalTimeoutMs);
  const deadline = Date.now() + limits.totalTimeoutMs;
  try {
    for (let number = 1; ; number++) {
      const current = new AttemptClock({ number, call: call.signal, limits });
      let failure: Failure;
      try {
        return await attempt(current);
      } catch (error) {
        const stop = current.stop();
        if (stop) {
          // A timeout before any answer came is retried like a refused connection; the rest end the call.
          const retry = stop.kind === 'timeout' && current.progress.status === undefined;
          const stopped = current;
          failure = {
            retryable: retry,
            error: ({ note }) => errors.stopped({ stop, attempt: stopped, note }),
          };
        } else failure = classify(error, current);
      } finally {
        current.dispose();
      }
      if (!failure.retryable || number > limits.maxRetries)
        throw failure.error({ attempts: number, note: '' });
      const asked = failure.retryAfterMs;
      const wait = asked === undefined ? backoffMs(number) : Math.min(asked, limits.maxRetryAfterMs);
      const left = deadline - Date.now();
      if (wait >= left)
        throw failure.error({
          attempts: number,
          note: `not retried: ${asked === undefined ? `the next try would wait ${wait} ms` : `the server asked to wait ${asked} ms (retry-after)`}, more than the ${Math.max(0, left)} ms left of totalTimeoutMs`,
        });
      await sleep(wait, call.signal);
      const stop: unknown = call.signal.reason;
      if (call.signal.aborted && stop instanceof Stop) throw errors.waiting({ stop, attempts: number });
    }
  } finally {
    clearTimeout(totalTimer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The per-attempt deadline and idle clock, linked to the whole call's signal. */
class AttemptClock implements Attempt {
  readonly number: number;
  readonly progress: { status: number | undefined; chunks: number | undefined } = {
    status: undefined,
    chunks: undefined,
  };
  readonly #controller = new AbortController();
  readonly #call: AbortSignal;
  readonly #onCallAbort = () => this.#controller.abort(this.#call.reason);
  readonly #limits: CallLimits;
  readonly #deadline: NodeJS.Timeout;
  #idle: NodeJS.Timeout | undefined;

  constructor({ number, call, limits }: { number: number; call: AbortSignal; limits: CallLimits }) {
    this.number = number;
    this.#call = call;
    this.#limits = limits;
    call.addEventListener('abort', this.#onCallAbort, { once: true });
    this.#deadline = setTimeout(() => this.#controller.abort(new Stop('timeout')), limits.timeoutMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  responded({ status, stream }: { status: number; stream: boolean }): void {
    this.progress.status = status;
    if (stream) this.progress.chunks ??= 0;
    this.received();
  }

  received(): void {
    if (this.#idle) this.#idle.refresh();
    else
      this.#idle = setTimeout(() => this.#controller.abort(new Stop('stalled')), this.#limits.idleTimeoutMs);
  }

  chunk(): void {
    this.progress.chunks = (this.progress.chunks ?? 0) + 1;
    this.received();
  }

  /** Why looplet stopped this attempt, if it did. */
  stop(): Stop | undefined {
    const reason: unknown = this.#controller.signal.reason;
    return this.#controller.signal.aborted && reason instanceof Stop ? reason : undefined;
  }

  dispose(): void {
    clearTimeout(this.#deadline);
    clearTimeout(this.#idle);
    this.#call.removeEventListener('abort', this.#onCallAbort);
  }
}

/** The errors of calls that looplet itself stopped: aborted, timed out, stalled. */
class StopErrors {
  readonly #where: string;
  readonly #limits: CallLimits;

  constructor({ where, limits }: { where: string; limits: CallLimits }) {
    this.#where = where;
    this.#limits = limits;
  }

  stopped({ stop, attempt, note }: { stop: Stop; attempt: Attempt; note: string }): LLMError {
    const { status } = attempt.progress;
    const attempts = attempt.number;
    const retries = attempts > 1 ? ` after ${attempts - 1} ${attempts === 2 ? 'retry' : 'retries'}` : '';
    const stage = `${stageOf(attempt)}${retries}${note === '' ? '' : ` (${note})`}`;
    const limits = this.#limits;
    if (stop.kind === 'aborted') return this.aborted({ attempts, stage, status });
    if (stop.kind === 'stalled')
      return new LLMError({
        message: `${this.#where} stalled: nothing received for ${limits.idleTimeoutMs} ms (idleTimeoutMs) ${stage}. The server stopped sending; raise idleTimeoutMs if this model pauses that long`,
        code: 'LLM_STALLED',
        status,
        attempts,
      });
    if (stop.kind === 'total') return this.total({ attempts, stage, status });
    return new LLMError({
      message: `${this.#where} timed out: no complete answer within ${limits.timeoutMs} ms (timeoutMs) ${stage}. Raise timeoutMs or check that the server is up`,
      code: 'LLM_TIMEOUT',
      status,
      attempts,
    });
  }

  /** The call was stopped while waiting between attempts. */
  waiting({ stop, attempts }: { stop: Stop; attempts: number }): LLMError {
    const stage = 'while waiting to retry';
    return stop.kind === 'aborted' ? this.aborted({ attempts, stage }) : this.total({ attempts, stage });
  }

  aborted({
    attempts,
    stage,
    status,
  }: {
    attempts: number | undefined;
    stage: string;
    status?: number | undefined;
  }): LLMError {
    return new LLMError({
      message: `${this.#where} was aborted ${stage}`,
      code: 'LLM_ABORTED',
      status,
      attempts,
    });
  }

  total({
    attempts,
    stage,
    status,
  }: {
    attempts: number;
    stage: string;
    status?: number | undefined;
  }): LLMError {
    return new LLMError({
      message: `${this.#where} timed out: no complete answer within ${this.#limits.totalTimeoutMs} ms for the whole call (totalTimeoutMs), ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}, ${stage}`,
      code: 'LLM_TIMEOUT',
      status,
      attempts,
    });
  }
}

/** Where an attempt stood, as a phrase: `while waiting for the response`, `while streaming, after 2 chunks`… */
export function stageOf(attempt: Attempt): string {
  const { status, chunks } = attempt.progress;
  if (status === undefined) return 'while waiting for the response';
  if (chunks !== undefined) return `while streaming, after ${chunks} ${chunks === 1 ? 'chunk' : 'chunks'}`;
  return `while reading the response body (HTTP ${status})`;
}

/** The most of one response body looplet reads; a larger one is not an answer it can use. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Reads a response body as text, telling `attempt` of every piece so the idle clock runs, and
 * refusing a body over 64 MiB. Errors (a cut connection, an abort) propagate as fetch throws them.
 */
export async function readBodyText({
  response,
  attempt,
}: {
  response: Response;
  attempt: Attempt;
}): Promise<string> {
  if (!response.body) return '';
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let bytes = 0;
  for await (const piece of response.body) {
    attempt.received();
    bytes += piece.byteLength;
    // Throwing out of the loop cancels the body.
    if (bytes > MAX_BODY_BYTES)
      throw new LLMResponseError({
        message: `the response body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB, more than any model answer; check the base URL`,
        status: response.status,
      });
    parts.push(decoder.decode(piece, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

/** Resolves after `ms`, or at once when `signal` aborts; the timer never outlives the wait. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
