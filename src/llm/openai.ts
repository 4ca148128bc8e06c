import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { LLMBackend, LLMRequest, LLMResponse } from '../core/llm.js';
import { LLMConfigError, LLMResponseError, MissingEnvError } from './errors.js';
import { toLoopletError } from './openai-errors.js';
import { excerpt, fromChatCompletion, toChatMessages, toChatTools } from './openai-messages.js';

/**
 * The API key sent when `OPENAI_BASE_URL` (or `baseURL`) is set but no key is: local servers
 * (Ollama, vLLM, LM Studio, llama.cpp) accept any key, and the SDK refuses to start without one.
 */
export const PLACEHOLDER_API_KEY = 'looplet-no-key';

/** The options of {@link OpenAIBackend}. Options override the environment. */
export interface OpenAIBackendOptions {
  /** Model name sent in every request (`gpt-4o-mini`, `llama3.1`, `openai/gpt-oss-20b`…). */
  model: string;
  /** Server root including `/v1`, e.g. `http://localhost:11434/v1`. Default: `OPENAI_BASE_URL`, else OpenAI. */
  baseURL?: string;
  /** API key. Default: `OPENAI_API_KEY`; a placeholder when only a base URL is set (local servers). */
  apiKey?: string;
  /** A ready `OpenAI` client (custom fetch, proxy, Azure…). `baseURL` and `apiKey` are then ignored. */
  client?: OpenAI;
  /** Retries on 408, 409, 429, 5xx and connection errors, with the SDK's backoff honouring `retry-after` (default 2). */
  maxRetries?: number;
  /** How long each attempt may wait for the response to start, in ms (the SDK's `timeout`; default 10 minutes). */
  timeoutMs?: number;
  /** Sampling temperature; omitted from the request when not set. */
  temperature?: number;
  /** Sent as `max_completion_tokens`; use `extraBody: { max_tokens }` for servers that want the old name. */
  maxTokens?: number;
  /** Stream the answer (server-sent events) and assemble it; see `onDelta`. */
  stream?: boolean;
  /** Called with each text delta while streaming (only with `stream: true`). A throw aborts the call. */
  onDelta?: (delta: { text: string }) => void;
  /** Extra request-body fields (`top_p`, `seed`, `tool_choice`, provider-specific ones), merged last. */
  extraBody?: Record<string, unknown>;
  /** Extra HTTP headers sent with every request. */
  headers?: Record<string, string>;
  /** Where `OPENAI_*` variables are read from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

type RequestOptions = NonNullable<Parameters<OpenAI['chat']['completions']['create']>[1]>;

/**
 * A model behind any OpenAI-compatible chat-completions API (OpenAI, Ollama, vLLM, LM Studio,
 * Together, Groq…), on the official `openai` SDK: native tool calls, token usage, retries with
 * backoff, timeouts, optional streaming.
 *
 * @example
 * const llm = OpenAIBackend.fromEnv();                 // OPENAI_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL
 * const local = new OpenAIBackend({ model: 'llama3.1', baseURL: 'http://localhost:11434/v1' });
 */
export class OpenAIBackend implements LLMBackend {
  readonly model: string;
  /** The SDK client the calls go through. */
  readonly client: OpenAI;
  readonly #options: OpenAIBackendOptions;
  /** Per-request SDK options: only what must override a client the user passed in. */
  readonly #requestDefaults: RequestOptions;
  readonly #maxRetries: number;

  constructor(options: OpenAIBackendOptions) {
    if (typeof options.model !== 'string' || options.model.trim() === '')
      throw new LLMConfigError(
        'OpenAIBackend needs a model name: pass { model: "gpt-4o-mini" } or use OpenAIBackend.fromEnv() with OPENAI_MODEL set',
      );
    checkInteger({ name: 'maxRetries', value: options.maxRetries, min: 0 });
    checkInteger({ name: 'timeoutMs', value: options.timeoutMs, min: 1 });
    if (options.onDelta && !options.stream)
      throw new LLMConfigError('onDelta receives streamed text only: also pass { stream: true }');
    this.model = options.model;
    this.#options = options;
    this.#requestDefaults = {};
    if (options.client) {
      this.client = options.client;
      if (options.maxRetries !== undefined) this.#requestDefaults.maxRetries = options.maxRetries;
      if (options.timeoutMs !== undefined) this.#requestDefaults.timeout = options.timeoutMs;
    } else {
      this.client = createClient(options);
    }
    if (options.headers) this.#requestDefaults.headers = options.headers;
    this.#maxRetries = options.maxRetries ?? this.client.maxRetries;
  }

  /**
   * A backend configured from `OPENAI_MODEL` (required unless `model` is given), `OPENAI_API_KEY`
   * and `OPENAI_BASE_URL`. Throws {@link MissingEnvError} naming the missing variable.
   */
  static fromEnv(options: Partial<OpenAIBackendOptions> = {}): OpenAIBackend {
    const env = options.env ?? process.env;
    const model = options.model ?? nonEmpty(env.OPENAI_MODEL);
    if (model === undefined)
      throw new MissingEnvError({
        variable: 'OPENAI_MODEL',
        howToFix:
          'set it to the model to call (e.g. `export OPENAI_MODEL=gpt-4o-mini`, or `llama3.1` for Ollama) or pass { model } to OpenAIBackend.fromEnv()',
      });
    return new OpenAIBackend({ ...options, model });
  }

  /** The server root requests go to (`…/v1`); calls post to `${baseURL}/chat/completions`. */
  get baseURL(): string {
    return this.client.baseURL;
  }

  async generate(request: LLMRequest): Promise<LLMResponse> {
    const params = this.#params(request);
    const requestOptions: RequestOptions = { ...this.#requestDefaults };
    if (request.signal) requestOptions.signal = request.signal;
    try {
      return this.#options.stream
        ? await this.#generateStreamed(params, requestOptions)
        : await this.#generateOnce(params, requestOptions);
    } catch (error) {
      throw toLoopletError({
        error,
        baseURL: this.baseURL,
        model: this.model,
        maxRetries: this.#maxRetries,
        timeoutMs: this.#options.timeoutMs ?? this.client.timeout,
        signal: request.signal,
      });
    }
  }

  #params(request: LLMRequest): ChatCompletionCreateParamsBase {
    const options = this.#options;
    const params: ChatCompletionCreateParamsBase = {
      model: this.model,
      messages: toChatMessages({ messages: request.messages }),
    };
    if (request.tools.length > 0) params.tools = toChatTools({ tools: request.tools });
    if (options.temperature !== undefined) params.temperature = options.temperature;
    if (options.maxTokens !== undefined) params.max_completion_tokens = options.maxTokens;
    return options.extraBody ? { ...params, ...options.extraBody } : params;
  }

  async #generateOnce(params: ChatCompletionCreateParamsBase, options: RequestOptions): Promise<LLMResponse> {
    // The body is read here rather than by the SDK so a non-JSON body can be quoted in the error.
    const response = await this.client.chat.completions
      .create({ ...params, stream: false }, options)
      .asResponse();
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const what =
        text.trim() === ''
          ? 'an empty body'
          : `a body that is not JSON (${(error as Error).message}); it starts with: ${excerpt(text.replace(/\s+/g, ' '), 120)}`;
      throw new LLMResponseError({
        message: `${this.baseURL}/chat/completions answered ${response.status} with ${what}. Check that the base URL points at an OpenAI-compatible API (it usually ends in /v1) and not at a web page or proxy`,
        bodyStart: text.slice(0, 200),
        cause: error,
      });
    }
    const result = fromChatCompletion({ body, model: this.model });
    result.raw = body;
    return result;
  }

  async #generateStreamed(
    params: ChatCompletionCreateParamsBase,
    options: RequestOptions,
  ): Promise<LLMResponse> {
    const stream = this.client.chat.completions.stream(
      { ...params, stream: true, stream_options: { include_usage: true } },
      options,
    );
    const chunks: ChatCompletionChunk[] = [];
    let reasoning = '';
    stream.on('chunk', (chunk) => {
      chunks.push(chunk);
      reasoning += reasoningDelta(chunk);
    });
    let callbackError: { error: unknown } | undefined;
    const onDelta = this.#options.onDelta;
    if (onDelta) {
      stream.on('content', (delta) => {
        if (callbackError) return;
        try {
          onDelta({ text: delta });
        } catch (error) {
          callbackError = { error };
          stream.abort();
        }
      });
    }
    let completion: unknown;
    try {
      completion = await stream.finalChatCompletion();
    } catch (error) {
      // The user's own callback failing is their error, not the model's.
      if (callbackError) throw callbackError.error;
      throw error;
    }
    const result = fromChatCompletion({ body: completion, model: this.model });
    // The SDK keeps only the last fragment of non-standard delta fields, so reasoning is summed here.
    if (reasoning !== '') result.reasoning = reasoning;
    else delete result.reasoning;
    // A stream has no single body: the chunks as received are the raw response.
    result.raw = chunks;
    return result;
  }
}

function createClient(options: OpenAIBackendOptions): OpenAI {
  const env = options.env ?? process.env;
  const baseURL = options.baseURL ?? nonEmpty(env.OPENAI_BASE_URL);
  if (baseURL !== undefined && !isHttpUrl(baseURL))
    throw new LLMConfigError(
      `baseURL ${JSON.stringify(baseURL)} is not an http(s) URL; use the server root with its /v1, e.g. http://localhost:11434/v1`,
    );
  let apiKey = options.apiKey ?? nonEmpty(env.OPENAI_API_KEY);
  if (apiKey === undefined) {
    if (baseURL === undefined)
      throw new MissingEnvError({
        variable: 'OPENAI_API_KEY',
        howToFix:
          'set it to your API key (`export OPENAI_API_KEY=sk-…`) or pass { apiKey }. For a local server (Ollama, vLLM, LM Studio) set OPENAI_BASE_URL instead (e.g. http://localhost:11434/v1): no key is needed then',
      });
    apiKey = PLACEHOLDER_API_KEY;
  }
  const clientOptions: ConstructorParameters<typeof OpenAI>[0] = {
    apiKey,
    // null, not undefined: the SDK would otherwise read OPENAI_BASE_URL from process.env itself.
    baseURL: baseURL ?? null,
  };
  if (options.maxRetries !== undefined) clientOptions.maxRetries = options.maxRetries;
  if (options.timeoutMs !== undefined) clientOptions.timeout = options.timeoutMs;
  return new OpenAI(clientOptions);
}

function reasoningDelta(chunk: ChatCompletionChunk): string {
  const delta = chunk.choices[0]?.delta as Record<string, unknown> | undefined;
  const value = delta?.reasoning ?? delta?.reasoning_content;
  return typeof value === 'string' ? value : '';
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol } = new URL(text);
  return protocol === 'http:' || protocol === 'https:';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function checkInteger({ name, value, min }: { name: string; value: number | undefined; min: number }): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min))
    throw new LLMConfigError(`${name} must be an integer >= ${min}, got ${String(value)}`);
}
