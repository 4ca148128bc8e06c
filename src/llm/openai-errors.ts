// Turns what the openai SDK throws into looplet's typed errors, with a message that says what to check.
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai';
import { LoopletError } from '../util/errors.js';
import { LLMError, LLMResponseError } from './errors.js';

/** What the SDK retries (see its `shouldRetry`): the only statuses whose error follows retries. */
const RETRIED_STATUSES = new Set([408, 409, 429]);

/** What to check for each HTTP status. */
function advice(status: number): string {
  if (status === 401)
    return 'Check the API key: set OPENAI_API_KEY or pass { apiKey } (a local server may need none: set only OPENAI_BASE_URL)';
  if (status === 403) return 'The key is valid but may not use this model or endpoint: check its permissions';
  if (status === 404)
    return 'Check the model name (OPENAI_MODEL / model) and the base URL (OPENAI_BASE_URL / baseURL, which usually ends in /v1)';
  if (status === 429)
    return 'The server is rate limiting you: slow down, raise maxRetries, or check your quota';
  if (status === 400 || status === 422)
    return 'The server rejected the request: check that the model supports tool calling and the options (temperature, maxTokens, extraBody)';
  if (status >= 500) return 'The server failed: try again later or read the server logs';
  return 'See the server message above';
}

/**
 * Maps an error thrown during a call to a looplet error: HTTP errors, connection failures,
 * timeouts and aborts become {@link LLMError}; a stream that cannot be assembled becomes
 * {@link LLMResponseError}. Looplet's own errors and anything unknown (a bug) pass through.
 */
export function toLoopletError({
  error,
  baseURL,
  model,
  maxRetries,
  timeoutMs,
  signal,
}: {
  error: unknown;
  baseURL: string;
  model: string;
  maxRetries: number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}): unknown {
  if (error instanceof LoopletError) return error;
  const where = `POST ${baseURL}/chat/completions (model "${model}")`;
  const retries = maxRetries > 0 ? ` after ${maxRetries} ${maxRetries === 1 ? 'retry' : 'retries'}` : '';
  if (error instanceof APIUserAbortError || (signal?.aborted && isAbortLike(error)))
    return new LLMError({ message: `${where} was aborted`, code: 'LLM_ABORTED', cause: error });
  if (error instanceof APIConnectionTimeoutError)
    return new LLMError({
      message: `${where} timed out: no answer within ${timeoutMs} ms per attempt${retries}. Raise timeoutMs or check that the server is up`,
      code: 'LLM_TIMEOUT',
      cause: error,
    });
  if (error instanceof APIConnectionError) {
    const root = rootCause(error);
    const cause = root === error ? '' : ` (${root.message})`;
    return new LLMError({
      message: `${where} could not reach the server${cause}${retries}. Check OPENAI_BASE_URL / baseURL and that the server is running`,
      code: 'LLM_CONNECTION_ERROR',
      cause: error,
    });
  }
  if (error instanceof APIError) return httpError({ error, where, retries });
  if (error instanceof OpenAIError || error instanceof SyntaxError) {
    // Raised while reading or assembling a stream: bad SSE data, no finish_reason, no chunks.
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new LLMResponseError({
      message: `${where} returned a stream that could not be assembled into an answer (${error.message}${cause})`,
      cause: error,
    });
  }
  return error;
}

function httpError({ error, where, retries }: { error: APIError; where: string; retries: string }): LLMError {
  const body = (typeof error.error === 'object' && error.error !== null ? error.error : {}) as Record<
    string,
    unknown
  >;
  const providerMessage =
    typeof body.message === 'string' ? body.message : messageWithoutStatus(error.message, error.status);
  const providerCode = typeof body.code === 'string' ? body.code : undefined;
  const requestId = error.requestID ?? undefined;
  const status = error.status;
  const parts: string[] = [];
  if (status === undefined) {
    // An `error` event inside a stream that had started with 200.
    parts.push(`${where}: the server sent an error in the stream`);
  } else {
    const retried = RETRIED_STATUSES.has(status) || status >= 500;
    parts.push(`${where} failed with HTTP ${status}${retried ? retries : ''}`);
  }
  if (providerMessage) parts[0] += `: ${providerMessage}`;
  if (requestId) parts.push(`(request id ${requestId})`);
  if (status !== undefined) parts.push(`${advice(status)}.`);
  return new LLMError({
    message: parts.join(' '),
    code: 'LLM_HTTP_ERROR',
    status,
    providerMessage,
    providerCode,
    requestId,
    cause: error,
  });
}

/** The SDK prefixes the status (`429 Rate limit…`) and says `(no body)` when there was none. */
function messageWithoutStatus(message: string, status: number | undefined): string | undefined {
  const text = status === undefined ? message : message.replace(new RegExp(`^${status} `), '');
  return text === '' || text === 'status code (no body)' ? undefined : text;
}

/** The innermost `cause` (fetch wraps `ECONNREFUSED` in "fetch failed"). */
function rootCause(error: Error): Error {
  let current = error;
  for (let depth = 0; depth < 10 && current.cause instanceof Error; depth++) current = current.cause;
  return current;
}

function isAbortLike(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error instanceof APIUserAbortError);
}
