import { LoopletError } from '../util/errors.js';

/**
 * A model call failed: the server answered with an HTTP error, could not be reached, timed out,
 * or the call was aborted. Inside `agentLoop` it ends the run with `llm_error` (or `aborted`) and
 * is kept in `RunResult.error`.
 *
 * `code` tells the cases apart: `LLM_HTTP_ERROR` (see `status`), `LLM_CONNECTION_ERROR`,
 * `LLM_TIMEOUT`, `LLM_ABORTED`.
 */
export class LLMError extends LoopletError {
  /** HTTP status the server answered with; undefined when no answer came (connection, timeout, abort). */
  readonly status: number | undefined;
  /** The error message the server sent in its body (`error.message`), when it sent one. */
  readonly providerMessage: string | undefined;
  /** The server's error code (`error.code`, e.g. `rate_limit_exceeded`), when it sent one. */
  readonly providerCode: string | undefined;
  /** The `x-request-id` response header, to quote to the provider's support. */
  readonly requestId: string | undefined;

  constructor({
    message,
    code,
    status,
    providerMessage,
    providerCode,
    requestId,
    cause,
  }: {
    message: string;
    code: 'LLM_HTTP_ERROR' | 'LLM_CONNECTION_ERROR' | 'LLM_TIMEOUT' | 'LLM_ABORTED';
    status?: number | undefined;
    providerMessage?: string | undefined;
    providerCode?: string | undefined;
    requestId?: string | undefined;
    cause?: unknown;
  }) {
    super({ message, code, cause });
    this.status = status;
    this.providerMessage = providerMessage;
    this.providerCode = providerCode;
    this.requestId = requestId;
  }
}

/** The model declined to answer (`message.refusal` in a chat completion). Refusals are not retried. */
export class LLMRefusalError extends LoopletError {
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
 * The server answered 200 but the body is not a usable chat completion: not JSON, no
 * `choices[0].message`, or a stream that ended without a complete answer.
 */
export class LLMResponseError extends LoopletError {
  /** The first characters of the body, when there was one (helps spot an HTML page or a proxy error). */
  readonly bodyStart: string | undefined;

  constructor({ message, bodyStart, cause }: { message: string; bodyStart?: string; cause?: unknown }) {
    super({ message, code: 'LLM_BAD_RESPONSE', cause });
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

/** A backend was given options it cannot work with (no model, a base URL that is not a URL…). */
export class LLMConfigError extends LoopletError {
  constructor(message: string) {
    super({ message, code: 'LLM_CONFIG' });
  }
}
