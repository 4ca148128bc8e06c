import type { LLMBackend, LLMRequest, LLMResponse } from '../core/llm.js';
import { fromAnthropicMessage, toAnthropicMessages, toAnthropicTools } from './anthropic-messages.js';
import { type Attempt, type Failure, readBodyText, runAttempts } from './attempts.js';
import { type CallLimits, resolveCallLimits } from './call-limits.js';
import { checkBaseURL, nonEmpty } from './config.js';
import { LLMConfigError, LLMResponseError, MissingEnvError } from './errors.js';
import { connectionFailure, httpFailure, isNetworkError } from './http-failures.js';
import { excerpt } from './openai-messages.js';
import { secretScrubber, withoutCredentials } from './secrets.js';

const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/** The API version sent in `anthropic-version`; the request and response shapes here follow it. */
const ANTHROPIC_VERSION = '2023-06-01';

/** The options of {@link AnthropicBackend}. Options override the environment. */
export interface AnthropicBackendOptions extends Partial<CallLimits> {
  /** Model name sent in every request (`claude-sonnet-4-5`, `claude-haiku-4-5`…). */
  model: string;
  /** Sent as `x-api-key`. Default: `ANTHROPIC_API_KEY`; none when only a base URL is set (a gateway that adds it). */
  apiKey?: string;
  /** Server root, without `/v1`: calls post to `${baseURL}/v1/messages`. Default: `ANTHROPIC_BASE_URL`, else Anthropic. */
  baseURL?: string;
  /** `max_tokens`, which the API requires (default 4096). */
  maxTokens?: number;
  /** Sampling temperature; omitted from the request when not set. */
  temperature?: number;
  /** Extra request-body fields (`top_p`, `tool_choice`, `stop_sequences`, `metadata`…), merged last. */
  extraBody?: Record<string, unknown>;
  /** Extra HTTP headers sent with every request (e.g. `anthropic-beta`). */
  headers?: Record<string, string>;
  /** Where `ANTHROPIC_*` variables are read from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A Claude model behind the Anthropic Messages API, over `fetch` with no SDK: native tool use,
 * token usage, stop reasons, and the same retries, time limits and typed errors as
 * {@link OpenAIBackend}. Written against the public {@link LLMBackend} interface only — the worked
 * example of "writing your own backend" in docs/llm-backends.md.
 *
 * @example
 * const llm = AnthropicBackend.fromEnv(); // ANTHROPIC_MODEL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL
 */
export class AnthropicBackend implements LLMBackend {
  readonly model: string;
  /** The server root; calls post to `${baseURL}/v1/messages`. */
  readonly baseURL: string;
  readonly #options: AnthropicBackendOptions;
  readonly #apiKey: string | undefined;
  readonly #limits: CallLimits;
  readonly #scrub: (text: string) => string;

  constructor(options: AnthropicBackendOptions) {
    if (typeof options.model !== 'string' || options.model.trim() === '')
      throw new LLMConfigError({
        message:
          'AnthropicBackend needs a model name: pass { model: "claude-sonnet-4-5" } or use AnthropicBackend.fromEnv() with ANTHROPIC_MODEL set',
      });
    const { maxTokens } = options;
    if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1))
      throw new LLMConfigError({ message: `maxTokens must be an integer >= 1, got ${String(maxTokens)}` });
    this.model = options.model;
    this.#options = options;
    this.#limits = resolveCallLimits({ options });
    const env = options.env ?? process.env;
    const baseURL = options.baseURL ?? nonEmpty(env.ANTHROPIC_BASE_URL);
    if (baseURL !== undefined) checkBaseURL({ url: baseURL, example: ANTHROPIC_BASE_URL });
    this.baseURL = (baseURL ?? ANTHROPIC_BASE_URL).replace(/\/+$/, '');
    this.#apiKey = options.apiKey ?? nonEmpty(env.ANTHROPIC_API_KEY);
    if (this.#apiKey === undefined && baseURL === undefined)
      throw new MissingEnvError({
        variable: 'ANTHROPIC_API_KEY',
        howToFix:
          'set it to your API key (`export ANTHROPIC_API_KEY=sk-ant-…`) or pass { apiKey }; behind a gateway that adds the key, set ANTHROPIC_BASE_URL instead',
      });
    this.#scrub = secretScrubber([this.#apiKey]);
  }

  /**
   * A backend configured from `ANTHROPIC_MODEL` (required unless `model` is given),
   * `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL`. Throws {@link MissingEnvError} naming the missing variable.
   */
  static fromEnv(options: Partial<AnthropicBackendOptions> = {}): AnthropicBackend {
    const env = options.env ?? process.env;
    const model = options.model ?? nonEmpty(env.ANTHROPIC_MODEL);
    if (model === undefined)
      throw new MissingEnvError({
        variable: 'ANTHROPIC_MODEL',
        howToFix:
          'set it to the model to call (e.g. `export ANTHROPIC_MODEL=claude-sonnet-4-5`) or pass { model } to AnthropicBackend.fromEnv()',
      });
    return new AnthropicBackend({ ...options, model });
  }

  async generate(request: LLMRequest): Promise<LLMResponse> {
    const url = `${this.baseURL}/v1/messages`;
    const where = `POST ${withoutCredentials(url)} (model "${this.model}")`;
    const body = JSON.stringify(this.#body(request));
    return runAttempts({
      limits: this.#limits,
      signal: request.signal,
      where,
      attempt: (attempt) => this.#attempt({ url, body, attempt }),
      classify: (error, attempt) => this.#classify({ error, attempt, where }),
    });
  }

  #body(request: LLMRequest): Record<string, unknown> {
    const options = this.#options;
    const { system, messages } = toAnthropicMessages({ messages: request.messages });
    const body: Record<string, unknown> = { model: this.model, max_tokens: options.maxTokens ?? 4096 };
    if (system !== undefined) body.system = system;
    body.messages = messages;
    if (request.tools.length > 0) body.tools = toAnthropicTools({ tools: request.tools });
    if (options.temperature !== undefined) body.temperature = options.temperature;
    return options.extraBody ? { ...body, ...options.extraBody } : body;
  }

  async #attempt({
    url,
    body,
    attempt,
  }: {
    url: string;
    body: string;
    attempt: Attempt;
  }): Promise<LLMResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
      ...this.#options.headers,
    };
    if (this.#apiKey !== undefined) headers['x-api-key'] = this.#apiKey;
    const response = await fetch(url, { method: 'POST', headers, body, signal: attempt.signal });
    attempt.responded({ status: response.status, stream: false });
    const text = await readBodyText({ response, attempt });
    if (!response.ok) throw new ErrorAnswer({ status: response.status, headers: response.headers, text });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      const what =
        text.trim() === ''
          ? 'an empty body'
          : `a body that is not JSON (${(error as Error).message}); it starts with: ${excerpt(this.#scrub(text.replace(/\s+/g, ' ')), 120)}`;
      throw new LLMResponseError({
        message: `${withoutCredentials(url)} answered ${response.status} with ${what}. Check that the base URL points at the Anthropic API (the root, without /v1)`,
        bodyStart: this.#scrub(text.slice(0, 200)),
        status: response.status,
      });
    }
    return fromAnthropicMessage({ body: parsed, model: this.model });
  }

  #classify({ error, attempt, where }: { error: unknown; attempt: Attempt; where: string }): Failure {
    if (error instanceof ErrorAnswer) {
      const { status, headers, text } = error;
      const body = parseErrorBody(text);
      const message = body.message ?? (text.trim() === '' ? undefined : excerpt(text.trim(), 200));
      return httpFailure({
        where,
        status,
        headers,
        providerMessage: message === undefined ? undefined : this.#scrub(message),
        providerCode: body.type,
        requestId: headers.get('request-id') ?? body.requestId,
        advice: anthropicAdvice(status),
      });
    }
    if (isNetworkError(error))
      return connectionFailure({
        error,
        attempt,
        where,
        hint: 'Check ANTHROPIC_BASE_URL / baseURL and that the server is running.',
        scrub: this.#scrub,
      });
    // Looplet's own errors (a bad body, a refusal) and bugs are not retried.
    return { retryable: false, error: () => (error instanceof Error ? error : new Error(String(error))) };
  }
}

/** An HTTP error answer, thrown inside an attempt for `#classify` to turn into a Failure. */
class ErrorAnswer extends Error {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;

  constructor({ status, headers, text }: { status: number; headers: Headers; text: string }) {
    super(`HTTP ${status}`);
    this.status = status;
    this.headers = headers;
    this.text = text;
  }
}

/** The documented error shape: `{ type: "error", error: { type, message }, request_id }`. */
function parseErrorBody(text: string): { message?: string; type?: string; requestId?: string } {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown }; request_id?: unknown };
    const out: { message?: string; type?: string; requestId?: string } = {};
    if (typeof body.error?.message === 'string') out.message = body.error.message;
    if (typeof body.error?.type === 'string') out.type = body.error.type;
    if (typeof body.request_id === 'string') out.requestId = body.request_id;
    return out;
  } catch {
    return {};
  }
}

/** What to check for each HTTP status. */
function anthropicAdvice(status: number): string {
  if (status === 401) return 'Check the API key: set ANTHROPIC_API_KEY or pass { apiKey }.';
  if (status === 403)
    return 'The key is valid but may not use this model or endpoint: check its permissions.';
  if (status === 404)
    return 'Check the model name (ANTHROPIC_MODEL / model) and the base URL (ANTHROPIC_BASE_URL / baseURL, the root without /v1).';
  if (status === 429) return 'You hit a rate limit: slow down, raise maxRetries, or check your usage limits.';
  if (status === 529) return 'The API is overloaded for everyone: try again shortly.';
  if (status === 400 || status === 413)
    return 'The server rejected the request: check the messages, tools and options (maxTokens, extraBody).';
  if (status >= 500) return 'The server failed: try again later.';
  return 'See the server message above.';
}
