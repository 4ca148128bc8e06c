// What HTTP backends make of a failed attempt: an HTTP error status or a network failure, as a
// Failure (retryable or not) that builds the typed LLMError with a message that says what to check.
import { type Attempt, type Failure, stageOf } from './attempts.js';
import { isRetryableStatus, retryAfterMs } from './call-limits.js';
import { LLMError } from './errors.js';

/** An HTTP error answer, with what the backend read from its body. */
export function httpFailure({
  where,
  status,
  headers,
  providerMessage,
  providerCode,
  requestId,
  advice,
}: {
  where: string;
  status: number;
  headers: Headers | undefined;
  /** The server's error message, already cleaned of secrets. */
  providerMessage: string | undefined;
  providerCode: string | undefined;
  requestId: string | undefined;
  /** What to check, for this status. */
  advice: string;
}): Failure {
  const retryable = isRetryableStatus({ status, headers });
  const wait = retryAfterMs(headers);
  return {
    retryable,
    retryAfterMs: wait,
    error: ({ attempts, note }) => {
      const retries = attempts - 1;
      let message = `${where} failed with HTTP ${status}`;
      if (retries > 0) message += ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}`;
      if (providerMessage) message += `: ${providerMessage}`;
      if (requestId) message += ` (request id ${requestId})`;
      message += `. ${advice}`;
      if (note) message += ` (${note})`;
      return new LLMError({
        message,
        code: 'LLM_HTTP_ERROR',
        status,
        providerMessage,
        providerCode,
        requestId,
        retryAfterMs: wait,
        attempts,
      });
    },
  };
}

/**
 * A failure of the connection: before the answer started it could not reach the server (retried);
 * after, the connection was cut mid-answer (not retried: the answer may already be paid for).
 */
export function connectionFailure({
  error,
  attempt,
  where,
  hint,
  scrub,
}: {
  error: unknown;
  attempt: Attempt;
  where: string;
  /** What to check when the server cannot be reached (e.g. the base URL variable). */
  hint: string;
  /** Removes secrets from a text. */
  scrub: (text: string) => string;
}): Failure {
  const found = rootCause(error);
  // The cause is kept for its stack and code, unless its message holds a secret.
  const root = scrub(found.message) === found.message ? found : new Error(scrub(found.message));
  const detail = root.message ? ` (${root.message})` : '';
  const started = attempt.progress.status !== undefined;
  return {
    retryable: !started,
    error: ({ attempts, note }) => {
      const retries = attempts - 1;
      const after = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
      const message = started
        ? `${where}: the connection was cut ${stageOf(attempt)}${detail}. The server or a proxy dropped it; try again`
        : `${where} could not reach the server${detail}${after}. ${hint}`;
      return new LLMError({
        message: note ? `${message} (${note})` : message,
        code: 'LLM_CONNECTION_ERROR',
        status: attempt.progress.status,
        attempts,
        cause: root,
      });
    },
  };
}

/**
 * Whether an error is a network failure as Node's fetch (undici) reports it: `TypeError: fetch
 * failed` or `terminated`, or a system error code (`ECONNRESET`, `UND_ERR_SOCKET`…) along its causes.
 */
export function isNetworkError(error: unknown): boolean {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 10; at = at.cause, depth++) {
    if (at instanceof TypeError && (at.message === 'fetch failed' || at.message === 'terminated'))
      return true;
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return true;
  }
  return false;
}

/** The innermost `cause` (fetch wraps `ECONNREFUSED` in "fetch failed", and "other side closed" in "terminated"). */
export function rootCause(error: unknown): Error {
  let current = error instanceof Error ? error : new Error(String(error));
  for (let depth = 0; depth < 10 && current.cause instanceof Error; depth++) current = current.cause;
  return current;
}
