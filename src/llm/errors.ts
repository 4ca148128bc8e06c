import { LoopletError } from '../util/errors.js';

/** What went wrong in a model call; see {@link LLMError}. */
export type LLMErrorCode =
  | 'LLM_HTTP_ERROR'
  | 'LLM_CONNECTION_ERROR'
  | 'LLM_TIMEOUT'
  | 'LLM_STALLED'
  | 'LLM_ABORTED'
  | 'LLM_BAD_RESPONSE'
  | 'LLM_REFUSAL';

/** The options of {@link LLMError}. */
export interface LLMErrorOptions {
  message: string;
  code: LLMErrorCode;
  status?: number | undefined;
  providerMessage?: string | undefined;
  providerCode?: string | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
  attempts?: number | undefined;
  cause?: unknown;
}

/**
 * A model call failed. Inside `agentLoop` it ends the run with `llm_error` (or `aborted`) and is
 * kept in `RunResult.error`. Every failure of a call is one of these, whatever the backend.
 *
 * `code` tells the cases apart: `LLM_HTTP_ERROR` (see `status`), `LLM_CONNECTION_ERROR` (the
 * server could not be reached, or the connection was cut mid-answer), `LLM_TIMEOUT` (a time limit
 * passed), `LLM_STALLED` (the answer started, then nothing came), `LLM_ABORTED` (the caller's
 * signal), `LLM_BAD_RESPONSE` ({@link LLMResponseError}) and `LLM_REFUSAL` ({@link LLMRefusalError}).
 */
export class LLMError extends LoopletError {
  declare readonly code: LLMErrorCode;
  /** HTTP status of the answer; undefined when none came (connection refused, timeout before the headers, abort). */
  readonly status: number | undefined;
  /** The error message the server sent in its body (`error.message`), when it sent one. */
  readonly providerMessage: string | undefined;
  /** The server's error code or type (e.g. `rate_limit_exceeded`), when it sent one. */
  readonly providerCode: string | undefined;
  /** The request id header of the answer, to quote to the provider's support. */
  readonly requestId: string | undefined;
  /** How long the server asked to wait before trying again (`retry-after`), in ms. */
  readonly retryAfterMs: number | undefined;
  /** How many requests were sent, retries included; undefined when the failure came before any. */
  readonly attempts: number | undefined;

  constructor({
    message,
    code,
    status,
    providerMessage,
    providerCode,
    requestId,
    retryAfterMs,
    attempts,
    cause,
  }: LLMErrorOptions) {
    super({ message, code, cause });
    this.status = status;
    this.providerMessage = providerMessage;
    this.providerCode = providerCode;
    this.requestId = requestId;
    this.retryAfterMs = retryAfterMs;
    this.attempts = attempts;
  }
}

/** The model declined to answer (`message.refusal` in a chat completion). Refusals are not retried. */
export class LLMRefusalError extends LLMError {
  /** The refusal text the model wrote. */
  readonly refusal: string;

  constructor({ refusal, model }: { refusal: string; model: string }) {
    super({
      message: `model "${model}" refused to answer: "${refusal}". Rephrase the task or the system prompt; a refusal is not retried`,
      code: 'LLM_REFUSAL',
    });
    this.refusal = refusal;
  }
}

/**
 * The server answered, but the answer is not usable: a 200 body that is not JSON or not the
 * provider's response shape, or a stream that ended without a complete answer. Not retried.
 */
export class LLMResponseError extends LLMError {
  /** The first characters of the body, when there was one (helps spot an HTML page or a proxy error). */
  readonly bodyStart: string | undefined;

  constructor({
    message,
    bodyStart,
    status,
    cause,
  }: {
    message: string;
    bodyStart?: string | undefined;
    status?: number | undefined;
    cause?: unknown;
  }) {
    super({ message, code: 'LLM_BAD_RESPONSE', status, cause });
    this.bodyStart = bodyStart;
  }
}

/** A required environment variable is not set (e.g. `OPENAI_MODEL` for `OpenAIBackend.fromEnv()`). */
export class MissingEnvError extends LoopletError {
  /** The variable that is missing. */
  readonly variable: string;

  constructor({ variable, howToFix }: { variable: string; howToFix: string }) {
    super({ message: `environment variable ${variable} is not set: ${howToFix}`, code: 'MISSING_ENV' });
    this.variable = variable;
  }
}

/**
 * A backend cannot be set up: options it cannot work with (no model, a base URL that is not a
 * URL or carries credentials…), or a package it needs is not installed.
 */
export class LLMConfigError extends LoopletError {
  constructor({ message, cause }: { message: string; cause?: unknown }) {
    super({ message, code: 'LLM_CONFIG', cause });
  }
}
