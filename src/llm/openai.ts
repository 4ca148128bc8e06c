import type OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { LLMBackend, LLMRequest, LLMResponse } from '../core/llm.js';
import { type Attempt, readBodyText, runAttempts } from './attempts.js';
import { type CallLimits, DEFAULT_CALL_LIMITS, resolveCallLimits } from './call-limits.js';
import { checkBaseURL, nonEmpty } from './config.js';
import { LLMConfigError, LLMResponseError, MissingEnvError } from './errors.js';
import { classifyOpenAIError } from './openai-errors.js';
import { excerpt, fromChatCompletion, toChatMessages, toChatTools } from './openai-messages.js';
import { loadOpenAISdk, type OpenAISdk } from './openai-sdk.js';
import { secretScrubber, withoutCredentials } from './secrets.js';

/**
 * The API key sent when `OPENAI_BASE_URL` (or `baseURL`) is set but no key is: local servers
 * (Ollama, vLLM, LM Studio, llama.cpp) accept any key, and the SDK refuses to start without one.
 */
export const PLACEHOLDER_API_KEY = 'looplet-no-key';

const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** The options of {@link OpenAIBackend}. Options override the environment. */
export interface OpenAIBackendOptions extends Partial<CallLimits> {
  /** Model name sent in every request (`gpt-4o-mini`, `llama3.1`, `openai/gpt-oss-20b`…). */
  model: string;
  /** Server root including `/v1`, e.g. `http://localhost:11434/v1`. Default: `OPENAI_BASE_URL`, else OpenAI. */
  baseURL?: string;
  /** API key. Default: `OPENAI_API_KEY`; a placeholder when only a base URL is set (local servers). */
  apiKey?: string;
  /** A ready `OpenAI` client (custom fetch, proxy, Azure…). `baseURL` and `apiKey` are then ignored. */
  client?: OpenAI;
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
 * backoff, time limits on the whole answer, optional streaming. The SDK (an optional peer
 * dependency) is loaded on the first call.
 *
 * @example
 * const llm = OpenAIBackend.fromEnv();                 // OPENAI_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL
 * const local = new OpenAIBackend({ model: 'llama3.1', baseURL: 'http://localhost:11434/v1' });
 */
export class OpenAIBackend implements LLMBackend {
  readonly model: string;
  /** The server root requests go to (`…/v1`); calls post to `${baseURL}/chat/completions`. */
  readonly baseURL: string;
  readonly #options: OpenAIBackendOptions;
  readonly #apiKey: string | undefined;
  readonly #limits: CallLimits;
  readonly #scrub: (text: string) => string;
  #client: OpenAI | undefined;

  constructor(options: OpenAIBackendOptions) {
    if (typeof options.model !== 'string' || options.model.trim() === '')
      throw new LLMConfigError({
        message:
          'OpenAIBackend needs a model name: pass { model: "gpt-4o-mini" } or use OpenAIBackend.fromEnv() with OPENAI_MODEL set',
      });
    if (options.onDelta && !options.stream)
      throw new LLMConfigError({
        message: 'onDelta receives streamed text only: also pass { stream: true }',
      });
    this.model = options.model;
    this.#options = options;
    const { client } = options;
    // A client the user built keeps its own retry count and timeout unless options say otherwise.
    const defaults = client
      ? { ...DEFAULT_CALL_LIMITS, maxRetries: client.maxRetries, timeoutMs: client.timeout }
      : DEFAULT_CALL_LIMITS;
    this.#limits = resolveCallLimits({ options, defaults });
    if (client) {
      this.#client = client;
      this.baseURL = client.baseURL;
      this.#apiKey = client.apiKey ?? undefined;
    } else {
      const env = options.env ?? process.env;
      this.baseURL = checkedBaseURL(options.baseURL ?? nonEmpty(env.OPENAI_BASE_URL));
      this.#apiKey = apiKeyFor({ options, env, baseURL: this.baseURL });
    }
    this.#scrub = secretScrubber([this.#apiKey]);
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

  async generate(request: LLMRequest): Promise<LLMResponse> {
    const sdk = await loadOpenAISdk();
    const client = this.#clientOf(sdk);
    const params = this.#params(request);
    const where = `POST ${withoutCredentials(this.baseURL)}/chat/completions (model "${this.model}")`;
    return runAttempts({
      limits: this.#limits,
      signal: request.signal,
      where,
      attempt: (attempt) => {
        const options = this.#requestOptions(attempt);
        return this.#options.stream
          ? this.#generateStreamed({ client, params, options, attempt })
          : this.#generateOnce({ client, params, options, attempt });
      },
      classify: (error, attempt) => classifyOpenAIError({ error, attempt, sdk, where, scrub: this.#scrub }),
    });
  }

  #clientOf(sdk: OpenAISdk): OpenAI {
    this.#client ??= new sdk.OpenAI({
      apiKey: this.#apiKey ?? PLACEHOLDER_API_KEY,
      baseURL: this.baseURL,
      maxRetries: 0,
      timeout: this.#limits.timeoutMs,
    });
    return this.#client;
  }

  /** Looplet makes the retries and bounds the whole answer; the SDK makes one request per attempt. */
  #requestOptions(attempt: Attempt): RequestOptions {
    return {
      maxRetries: 0,
      timeout: this.#limits.timeoutMs,
      signal: attempt.signal,
      // The header the SDK sends on its own retries, so servers see the same thing.
      headers: { ...this.#options.headers, 'X-Stainless-Retry-Count': String(attempt.number - 1) },
    };
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

  async #generateOnce({
    client,
    params,
    options,
    attempt,
  }: {
    client: OpenAI;
    params: ChatCompletionCreateParamsBase;
    options: RequestOptions;
    attempt: Attempt;
  }): Promise<LLMResponse> {
    // The body is read here rather than by the SDK, so that its pace is watched and a non-JSON
    // body can be quoted in the error.
    const response = await client.chat.completions.create({ ...params, stream: false }, options).asResponse();
    attempt.responded({ status: response.status, stream: false });
    const text = await readBodyText({ response, attempt });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const start = this.#scrub(text.slice(0, 200));
      const what =
        text.trim() === ''
          ? 'an empty body'
          : `a body that is not JSON (${(error as Error).message}); it starts with: ${excerpt(this.#scrub(text.replace(/\s+/g, ' ')), 120)}`;
      throw new LLMResponseError({
        message: `${withoutCredentials(this.baseURL)}/chat/completions answered ${response.status} with ${what}. Check that the base URL points at an OpenAI-compatible API (it usually ends in /v1) and not at a web page or proxy`,
        bodyStart: start,
        status: response.status,
      });
    }
    const result = fromChatCompletion({ body, model: this.model });
    result.raw = body;
    return result;
  }

  async #generateStreamed({
    client,
    params,
    options,
    attempt,
  }: {
    client: OpenAI;
    params: ChatCompletionCreateParamsBase;
    options: RequestOptions;
    attempt: Attempt;
  }): Promise<LLMResponse> {
    const stream = client.chat.completions.stream(
      { ...params, stream: true, stream_options: { include_usage: true } },
      options,
    );
    const chunks: ChatCompletionChunk[] = [];
    let reasoning = '';
    stream.on('connect', () => attempt.responded({ status: 200, stream: true }));
    stream.on('chunk', (chunk) => {
      attempt.chunk();
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

function checkedBaseURL(baseURL: string | undefined): string {
  if (baseURL === undefined) return OPENAI_BASE_URL;
  checkBaseURL({ url: baseURL, example: 'http://localhost:11434/v1 (with its /v1)' });
  return baseURL;
}

function apiKeyFor({
  options,
  env,
  baseURL,
}: {
  options: OpenAIBackendOptions;
  env: Readonly<Record<string, string | undefined>>;
  baseURL: string;
}): string {
  const apiKey = options.apiKey ?? nonEmpty(env.OPENAI_API_KEY);
  if (apiKey !== undefined) return apiKey;
  if (baseURL === OPENAI_BASE_URL)
    throw new MissingEnvError({
      variable: 'OPENAI_API_KEY',
      howToFix:
        'set it to your API key (`export OPENAI_API_KEY=sk-…`) or pass { apiKey }. For a local server (Ollama, vLLM, LM Studio) set OPENAI_BASE_URL instead (e.g. http://localhost:11434/v1): no key is needed then',
    });
  return PLACEHOLDER_API_KEY;
}

function reasoningDelta(chunk: ChatCompletionChunk): string {
  const delta = chunk.choices[0]?.delta as Record<string, unknown> | undefined;
  const value = delta?.reasoning ?? delta?.reasoning_content;
  return typeof value === 'string' ? value : '';
}
