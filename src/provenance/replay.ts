import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LLMBackend, LLMRequest, LLMResponse } from '../core/llm.js';
import { withToolCallsFromText } from '../llm/text-tool-calls.js';
import type { Hook } from '../loop/hooks.js';
import { LoopletError } from '../util/errors.js';
import { RecordedLLMError, ReplayDivergenceError, ReplayExhaustedError } from './errors.js';
import { callFile } from './layout.js';
import { openTrace } from './read-trace.js';
import { createRedactor, type Redactor, type RedactSetting } from './redaction.js';
import { exhaustedDiff, RequestMatcher } from './request-matcher.js';
import { ProvenanceSink } from './sink.js';
import type { RecordedTrace } from './types.js';

/**
 * - `replay` (default): serve recorded responses; a request that differs from the recorded one,
 *   or one more than the trace holds, throws. No model is called.
 * - `record`: call `fallback` for every request and record the run (`hook()` + `flush()`).
 * - `auto`: replay while requests match, then call `fallback` for the rest and record the run.
 * - `live`: call `fallback`, record nothing (the same code path, with replay switched off).
 */
export type ReplayMode = 'replay' | 'record' | 'auto' | 'live';

/** The options of {@link ReplayLLM.fromTrace}. */
export interface ReplayOptions {
  mode?: ReplayMode;
  /** The backend `record`, `auto` and `live` call for what the trace does not hold. */
  fallback?: LLMBackend;
  /** Where `record` and `auto` write the run (default: the replayed directory). */
  recordTo?: string;
  /** The redaction the trace was recorded with (default: on, built-in rules), applied to new requests before comparing. */
  redact?: RedactSetting;
  /**
   * `request` (default for looplet traces) compares each new request with the recorded one;
   * `none` serves responses without comparing (default for Python looplet traces, whose prompts
   * were built by the Python harness and cannot match a TypeScript loop's).
   */
  check?: 'request' | 'none';
  /**
   * In `auto` mode, what a request that differs from the recorded one does: `record` (default)
   * switches to `fallback` from that call on; `throw` throws {@link ReplayDivergenceError}, so
   * only a missing tail is filled in (this is what `resumeFromTrace` uses).
   */
  onDivergence?: 'record' | 'throw';
}

/**
 * A model backend that answers from a recorded trace: captured-response replay. Tools, hooks
 * and state run fresh; only the model is replayed, with every tool call of every response intact.
 *
 * @example
 * const llm = ReplayLLM.fromTrace('traces/greeter/alice');
 * const result = await agentLoop({ llm, tools, task }).result; // no network
 * // ReplayDivergenceError in result.error when a changed tool or hook changed a prompt.
 */
export class ReplayLLM implements LLMBackend {
  readonly mode: ReplayMode;
  /** The trace being replayed (undefined in `record` and `live` modes, or when `auto` found none). */
  readonly trace: RecordedTrace | undefined;
  readonly #fallback: LLMBackend | undefined;
  readonly #check: 'request' | 'none';
  readonly #onDivergence: 'record' | 'throw';
  readonly #redactor: Redactor;
  readonly #matcher: RequestMatcher | undefined;
  readonly #sink: ProvenanceSink | undefined;
  readonly #backend: LLMBackend;
  #calls = 0;
  #replayed = 0;
  #live = false;
  #divergedAt: number | undefined;

  private constructor({
    mode,
    trace,
    options,
    recordTo,
  }: {
    mode: ReplayMode;
    trace: RecordedTrace | undefined;
    options: ReplayOptions;
    recordTo: string | undefined;
  }) {
    this.mode = mode;
    this.trace = trace;
    this.#fallback = options.fallback;
    this.#check = options.check ?? (trace?.meta.source === 'python-looplet' ? 'none' : 'request');
    this.#onDivergence = options.onDivergence ?? 'record';
    this.#redactor = createRedactor(options.redact);
    this.#live = mode === 'record' || mode === 'live' || trace === undefined;
    if (trace && this.#check === 'request')
      this.#matcher = new RequestMatcher({ redactor: this.#redactor, traceTools: trace.meta.tools });
    const server: LLMBackend = {
      model: this.model,
      generate: (request) => this.#serve(request),
    };
    if ((mode === 'record' || mode === 'auto') && recordTo) {
      this.#sink = new ProvenanceSink({ dir: recordTo, redact: options.redact });
      this.#backend = this.#sink.wrapLLM(server);
    } else this.#backend = server;
  }

  /**
   * Opens a trace directory (format v1 or Python looplet) for replay. `auto` and `record`
   * accept a directory that does not exist yet.
   */
  static fromTrace(source: string | RecordedTrace, options: ReplayOptions = {}): ReplayLLM {
    const mode = options.mode ?? 'replay';
    if (!['replay', 'record', 'auto', 'live'].includes(mode))
      throw new LoopletError({
        message: `unknown replay mode "${String(mode)}"; use replay, record, auto or live`,
        code: 'REPLAY_CONFIG',
      });
    if (mode !== 'replay' && !options.fallback)
      throw new LoopletError({
        message: `replay mode "${mode}" needs a fallback backend to call for what the trace does not hold`,
        code: 'REPLAY_CONFIG',
      });
    const dir = typeof source === 'string' ? path.resolve(source) : source.dir;
    const needsTrace = mode === 'replay' || (mode === 'auto' && existsSync(dir));
    const trace = typeof source === 'string' ? (needsTrace ? openTrace(dir) : undefined) : source;
    return new ReplayLLM({ mode, trace, options, recordTo: options.recordTo ?? dir });
  }

  /** The recorded model name (or the fallback's, for what is not replayed). */
  get model(): string | undefined {
    return this.trace?.meta.model ?? this.#fallback?.model;
  }

  /** How many calls were answered from the trace. */
  get replayed(): number {
    return this.#replayed;
  }

  /** The 1-based call at which `auto` mode stopped replaying because the request differed. */
  get divergedAt(): number | undefined {
    return this.#divergedAt;
  }

  generate(request: LLMRequest): Promise<LLMResponse> {
    return this.#backend.generate(request);
  }

  /** The hook that records the run in `record` and `auto` modes; an empty hook otherwise. */
  hook(): Hook {
    return this.#sink ? this.#sink.hook() : { name: 'ReplayLLM' };
  }

  /** In `record` and `auto` modes, writes the recorded run (see `ProvenanceSink.flush`); returns its path. */
  async flush(): Promise<string | undefined> {
    return this.#sink?.flush();
  }

  /** The sink `record` and `auto` modes write through (to set `artifacts` or `expected`). */
  get sink(): ProvenanceSink | undefined {
    return this.#sink;
  }

  async #serve(request: LLMRequest): Promise<LLMResponse> {
    const callIndex = ++this.#calls;
    const trace = this.trace;
    if (this.#live || !trace) return this.#callFallback(request);
    if (callIndex > trace.meta.callCount) {
      if (this.mode === 'auto') return this.#goLive(request);
      throw new ReplayExhaustedError({
        callIndex,
        recordedCalls: trace.meta.callCount,
        diff: exhaustedDiff({ request, redactor: this.#redactor, recordedCalls: trace.meta.callCount }),
      });
    }
    const record = trace.readCallRecordSync(callIndex);
    if (this.#matcher) {
      const diff = this.#matcher.match({
        callIndex,
        record,
        full: () => trace.readCallSync(callIndex),
        request,
        label: `recorded ${callFile(callIndex, trace.meta.callCount)}`,
      });
      if (diff !== undefined) {
        if (this.mode === 'auto' && this.#onDivergence === 'record') {
          this.#divergedAt = callIndex;
          return this.#goLive(request);
        }
        throw new ReplayDivergenceError({ callIndex, diff });
      }
    }
    if (record.error) {
      // `auto` treats a recorded failure as missing and asks the fallback; `replay` fails the same way again.
      if (this.mode === 'auto') return this.#goLive(request);
      throw new RecordedLLMError({ callIndex, recorded: record.error });
    }
    this.#replayed++;
    const response = record.response ?? {};
    // Python looplet's models wrote their tool calls as text, which its loop parsed: so does the replay.
    return trace.meta.source === 'python-looplet' ? withToolCallsFromText(response, request.tools) : response;
  }

  #goLive(request: LLMRequest): Promise<LLMResponse> {
    this.#live = true;
    return this.#callFallback(request);
  }

  #callFallback(request: LLMRequest): Promise<LLMResponse> {
    if (!this.#fallback)
      throw new LoopletError({ message: 'no fallback backend to call', code: 'REPLAY_CONFIG' });
    return this.#fallback.generate(request);
  }
}
