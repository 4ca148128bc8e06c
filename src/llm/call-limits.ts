// The time limits and retry policy every HTTP backend applies to a model call, with their defaults.
import { LLMConfigError } from './errors.js';

/** How long a model call may take and how it is retried. Every field is in ms except `maxRetries`. */
export interface CallLimits {
  /** One attempt, from sending the request to the last byte of the answer (stream included). */
  timeoutMs: number;
  /** Once the answer has started (headers received): the longest time with nothing received. */
  idleTimeoutMs: number;
  /** The whole call: every attempt and every wait between them. */
  totalTimeoutMs: number;
  /** Retries after a connection failure, a timeout before the answer started, or HTTP 408, 409, 429, 5xx. */
  maxRetries: number;
  /** The longest wait a server's `retry-after` can impose; a longer one is cut to this. */
  maxRetryAfterMs: number;
}

/** The defaults of {@link CallLimits}, documented in docs/llm-backends.md. */
export const DEFAULT_CALL_LIMITS: Readonly<CallLimits> = Object.freeze({
  timeoutMs: 10 * 60_000,
  idleTimeoutMs: 2 * 60_000,
  totalTimeoutMs: 20 * 60_000,
  maxRetries: 2,
  maxRetryAfterMs: 60_000,
});

/** Node's timers cannot wait longer (about 24.8 days); a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The limits an options object asks for, over `defaults`; throws {@link LLMConfigError} for a bad value. */
export function resolveCallLimits({
  options,
  defaults = DEFAULT_CALL_LIMITS,
}: {
  options: Partial<CallLimits>;
  defaults?: Readonly<CallLimits>;
}): CallLimits {
  const limits = { ...defaults };
  for (const name of Object.keys(defaults) as Array<keyof CallLimits>) {
    const value = options[name];
    if (value === undefined) continue;
    const min = name === 'maxRetries' || name === 'maxRetryAfterMs' ? 0 : 1;
    if (!Number.isInteger(value) || value < min || value > MAX_TIMER_MS)
      throw new LLMConfigError({
        message: `${name} must be an integer from ${min} to ${MAX_TIMER_MS}, got ${String(value)}`,
      });
    limits[name] = value;
  }
  return limits;
}

/**
 * Whether an HTTP error is worth another attempt: the server's `x-should-retry` header when it
 * sends one, else 408, 409, 429 and 5xx (what the OpenAI and Anthropic SDKs retry).
 */
export function isRetryableStatus({
  status,
  headers,
}: {
  status: number;
  headers: Headers | undefined;
}): boolean {
  const told = headers?.get('x-should-retry');
  if (told === 'true') return true;
  if (told === 'false') return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** How long the server asks to wait (`retry-after-ms`, then `retry-after` in seconds or as a date), in ms. */
export function retryAfterMs(headers: Headers | undefined): number | undefined {
  const millis = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(millis) && millis >= 0) return Math.round(millis);
  const text = headers?.get('retry-after');
  if (!text) return undefined;
  const seconds = Number.parseFloat(text);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Exponential backoff between attempts when the server names no wait: 0.5 s doubling to 8 s, minus up to 25% jitter. */
export function backoffMs(retry: number): number {
  const base = Math.min(500 * 2 ** (retry - 1), 8000);
  return Math.round(base * (1 - Math.random() * 0.25));
}
