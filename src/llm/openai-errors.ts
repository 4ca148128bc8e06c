// What an OpenAIBackend attempt's error means: what the openai SDK throws (HTTP errors, connection
// failures, broken streams) and what Node's fetch throws under it, as looplet's typed errors.
import { LoopletError } from '../util/errors.js';
import type { Attempt, Failure } from './attempts.js';
import { LLMError, LLMResponseError } from './errors.js';
import { connectionFailure, httpFailure, isNetworkError } from './http-failures.js';
import type { OpenAISdk } from './openai-sdk.js';

/** What to check for each HTTP status. */
export function openAIAdvice(status: number): string {
  if (status === 401)
    return 'Check the API key: set OPENAI_API_KEY or pass { apiKey } (a local server may need none: set only OPENAI_BASE_URL).';
  if (status === 403)
    return 'The key is valid but may not use this model or endpoint: check its permissions.';
  if (status === 404)
    return 'Check the model name (OPENAI_MODEL / model) and the base URL (OPENAI_BASE_URL / baseURL, which usually ends in /v1).';
  if (status === 429)
    return 'The server is rate limiting you: slow down, raise maxRetries, or check your quota.';
  if (status === 400 || status === 422)
    return 'The server rejected the request: check that the model supports tool calling and the options (temperature, maxTokens, extraBody).';
  if (status >= 500) return 'The server failed: try again later or read the server logs.';
  return 'See the server message above.';
}

/**
 * The {@link Failure} an attempt's error stands for. Looplet's own errors (a bad body, a refusal)
 * and anything unknown (a bug) are not retried and pass through as they are.
 */
export function classifyOpenAIError({
  error,
  attempt,
  sdk,
  where,
  scrub,
}: {
  error: unknown;
  attempt: Attempt;
  sdk: OpenAISdk;
  where: string;
  scrub: (text: string) => string;
}): Failure {
  if (error instanceof LoopletError) return final(error);
  if (error instanceof sdk.APIConnectionTimeoutError)
    // The SDK's own timer (set to the same timeoutMs as looplet's) fired first.
    return {
      retryable: true,
      error: ({ attempts, note }) =>
        new LLMError({
          message: `${where} timed out: no answer came within the attempt's timeoutMs${note ? ` (${note})` : ''}. Raise timeoutMs or check that the server is up`,
          code: 'LLM_TIMEOUT',
          attempts,
        }),
    };
  if (error instanceof sdk.APIUserAbortError)
    return final(
      new LLMError({ message: `${where} was aborted`, code: 'LLM_ABORTED', attempts: attempt.number }),
    );
  const hint = 'Check OPENAI_BASE_URL / baseURL and that the server is running.';
  if (error instanceof sdk.APIConnectionError || isNetworkError(error))
    return connectionFailure({ error, attempt, where, hint, scrub });
  if (error instanceof sdk.APIError) return apiFailure({ error, where, scrub });
  if (error instanceof sdk.OpenAIError || error instanceof SyntaxError) {
    // Raised while reading or assembling a stream: bad SSE data, no finish_reason, no chunks.
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return final(
      new LLMResponseError({
        message: scrub(
          `${where} returned a stream that could not be assembled into an answer (${error.message}${cause})`,
        ),
        status: attempt.progress.status,
      }),
    );
  }
  return final(error);
}

function final(error: unknown): Failure {
  return {
    retryable: false,
    error: () => (error instanceof Error ? error : new Error(String(error))),
  };
}

/** An HTTP error, or an `error` event inside a stream that had started with 200 (no status then). */
function apiFailure({
  error,
  where,
  scrub,
}: {
  error: InstanceType<OpenAISdk['APIError']>;
  where: string;
  scrub: (text: string) => string;
}): Failure {
  const body = (typeof error.error === 'object' && error.error !== null ? error.error : {}) as Record<
    string,
    unknown
  >;
  const message =
    typeof body.message === 'string' ? body.message : messageWithoutStatus(error.message, error.status);
  const providerMessage = message === undefined ? undefined : scrub(message);
  const providerCode = typeof body.code === 'string' ? body.code : undefined;
  const requestId = error.requestID ?? undefined;
  const { status } = error;
  if (status === undefined)
    return final(
      new LLMError({
        message: `${where}: the server sent an error in the stream${providerMessage ? `: ${providerMessage}` : ''}`,
        code: 'LLM_HTTP_ERROR',
        providerMessage,
        providerCode,
        requestId,
      }),
    );
  // The SDK's error is not kept as the cause: its message and body may quote the API key.
  return httpFailure({
    where,
    status,
    headers: error.headers,
    providerMessage,
    providerCode,
    requestId,
    advice: openAIAdvice(status),
  });
}

/** The SDK prefixes the status (`429 Rate limit…`) and says `(no body)` when there was none. */
function messageWithoutStatus(message: string, status: number | undefined): string | undefined {
  const text = status === undefined ? message : message.replace(new RegExp(`^${status} `), '');
  return text === '' || text === 'status code (no body)' ? undefined : text;
}
