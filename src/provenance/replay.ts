import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LLMBackend, LLMRequest, LLMResponse, ToolSpec } from '../core/llm.js';
import type { Message } from '../core/types.js';
import { TextCallReader } from '../llm/text-tool-calls.js';
import type { Hook } from '../loop/hooks.js';
import { LoopletError } from '../util/errors.js';
import {
  RecordedLLMError,
  type ReplayDivergence,
  ReplayDivergenceError,
  ReplayExhaustedError,
} from './errors.js';
import { callFile } from './layout.js';
import { openTrace } from './read-trace.js';
import { RecordedSteps } from './recorded-steps.js';
import {
  type RecordedToolResult,
  RecordedToolResults,
  type ToolResultQuery,
} from './recorded-tool-results.js';
import { createRedactor, type Redactor, type RedactSetting } from './redaction.js';
import { describeCallCountChange } from './request-change.js';
import { exhaustedDiff, RequestMatcher, unusedCallsDiff } from './request-matcher.js';
import { ProvenanceSink } from './sink.js';
import { ToolCallsCheck } from './tool-calls-check.js';
import type { RecordedTrace } from './types.js';

/**
 * - `replay` (default): serve recorded responses; a request that differs from the recorded one,
 *   or one more than the trace holds, throws. No model is called.
 * - `record`: call `fallback` for every request and record the run (`hook()` + `flush()`).
 * - `auto`: replay while requests match, then call `fallback` for the rest and record the run.
 * - `live`: call `fallback`, record nothing (the same code path, with replay switched off).
 */
export type ReplayMode = 'replay' | 'record' | 'auto' | 'live';

/**
 * What `replay` mode does with a difference from the recording:
 * - `strict` (default): the first difference ends the run (`ReplayDivergenceError`).
 * - `lenient`: the recorded responses are served in order whatever the requests; each difference
 *   is kept in `warnings`. A call the trace does not hold still ends the run (`ReplayExhaustedError`).
 */
export type ReplayStrictness = 'strict' | 'lenient';

/**
 * What replay compares:
 * - `request`: each new model request with the recorded one (default for looplet traces);
 * - `tool-calls`: before each model call, the tool calls the run made at the previous step (names,
 *   arguments, results or errors, in order) with the recorded step (default for Python looplet
 *   traces, whose prompts were built by the Python harness and cannot match);
 * - `none`: nothing; responses are served in order.
 */
export type ReplayCheck = 'request' | 'tool-calls' | 'none';

/** The options of {@link ReplayLLM.fromTrace}. */
export interface ReplayOptions {
  mode?: ReplayMode;
  /** The backend `record`, `auto` and `live` call for what the trace does not hold. */
  fallback?: LLMBackend;
  /** Where `record` and `auto` write the run (default: the replayed directory). */
  recordTo?: string;
  /** The redaction the trace was recorded with (default: on, built-in rules), applied to new requests before comparing. */
  redact?: RedactSetting;
  /** In `replay` mode: end the run at the first difference (`strict`, default) or keep going and collect `warnings` (`lenient`). */
  strictness?: ReplayStrictness;
  /** What is compared (see {@link ReplayCheck}); default `request`, or `tool-calls` for Python looplet traces. */
  check?: ReplayCheck;
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
 * const run = agentLoop({ llm, tools, task });
 * const result = await run.result; // no network
 * llm.finish(run.state); // end-of-run checks: fewer calls than recorded, the last step's tool calls
 * // ReplayDivergenceError in result.error (or llm.diverged) when a changed tool or hook changed a prompt.
 */
export class ReplayLLM implements LLMBackend {
  readonly mode: ReplayMode;
  /** The trace being replayed (undefined in `record` and `live` modes, or when `auto` found none). */
  readonly trace: RecordedTrace | undefined;
  /** What `replay` mode does with a difference. */
  readonly strictness: ReplayStrictness;
  /** What is compared with the recording. */
  readonly check: ReplayCheck;
  /**
   * `replay` mode only: the recorded result of a tool call, for tools defined with
   * `replay: 'recorded'` (see `LLMBackend.recordedToolResult`). A call the trace holds no result
   * for returns undefined and is a divergence: thrown at the next model call (strict; see
   * {@link pendingDivergence} when none comes) or added to {@link warnings} (lenient).
   */
  readonly recordedToolResult?: (call: ToolResultQuery) => RecordedToolResult | undefined;
  readonly #fallback: LLMBackend | undefined;
  readonly #onDivergence: 'record' | 'throw';
  readonly #redactor: Redactor;
  readonly #matcher: RequestMatcher | undefined;
  readonly #toolCalls: ToolCallsCheck | undefined;
  readonly #sink: ProvenanceSink | undefined;
  readonly #backend: LLMBackend;
  readonly #warnings: ReplayDivergence[] = [];
  /** Every summary sentence reported as a warning: a lenient replay says each change once. */
  readonly #reported = new Set<string>();
  #calls = 0;
  #replayed = 0;
  #live = false;
  #divergedAt: number | undefined;
  #diverged: ReplayDivergence | undefined;
  #pending: ReplayDivergence | undefined;
  #finished = false;
  /** The tools of the last request and the loop step of the last response served (for `finish`). */
  #lastTools: readonly ToolSpec[] = [];
  #lastStep = 0;

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
    this.strictness = options.strictness ?? 'strict';
    this.#fallback = options.fallback;
    this.check = options.check ?? (trace?.meta.source === 'python-looplet' ? 'tool-calls' : 'request');
    this.#onDivergence = options.onDivergence ?? 'record';
    this.#redactor = createRedactor(options.redact);
    this.#live = mode === 'record' || mode === 'live' || trace === undefined;
    if (trace && this.check === 'request')
      this.#matcher = new RequestMatcher({
        redactor: this.#redactor,
        traceTools: trace.meta.tools,
        lenient: mode === 'replay' && this.strictness === 'lenient',
      });
    if (trace && mode === 'replay') {
      const steps = new RecordedSteps(trace);
      if (this.check === 'tool-calls')
        this.#toolCalls = new ToolCallsCheck({ steps, redactor: this.#redactor });
      const results = new RecordedToolResults({ steps, redactor: this.#redactor });
      this.recordedToolResult = (call) => {
        const found = results.take(call);
        if (found === undefined) this.#onMissingResult(results.missing(call));
        return found;
      };
    }
    // Python looplet's models wrote their tool calls as text, which its loop read (recovery calls
    // and parse errors included): so does the replay, call for call.
    const reader = trace?.meta.source === 'python-looplet' ? new TextCallReader() : undefined;
    const server: LLMBackend = {
      model: this.model,
      generate: reader
        ? (request) => reader.read(request, (call) => this.#serve(call))
        : (request) => this.#serve(request),
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
    const config = (message: string) => new LoopletError({ message, code: 'REPLAY_CONFIG' });
    if (!['replay', 'record', 'auto', 'live'].includes(mode))
      throw config(`unknown replay mode "${String(mode)}"; use replay, record, auto or live`);
    if (mode !== 'replay' && !options.fallback)
      throw config(`replay mode "${mode}" needs a fallback backend to call for what the trace does not hold`);
    const { strictness = 'strict', check = 'request' } = options;
    if (strictness !== 'strict' && strictness !== 'lenient')
      throw config(`unknown replay strictness "${String(strictness)}"; use strict or lenient`);
    if (strictness === 'lenient' && mode !== 'replay')
      throw config(`strictness "lenient" applies to mode "replay" only, not "${mode}"`);
    if (!['request', 'tool-calls', 'none'].includes(check))
      throw config(`unknown replay check "${String(check)}"; use request, tool-calls or none`);
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

  /**
   * The divergence that ended (or, after {@link finish}, ends) the run: in strict mode the first
   * difference; in both modes a call the trace does not hold. Undefined while the run matches.
   */
  get diverged(): ReplayDivergence | undefined {
    return this.#diverged;
  }

  /** Lenient mode: each difference found, in order (a change is reported once, where it appears). */
  get warnings(): readonly ReplayDivergence[] {
    return this.#warnings;
  }

  /**
   * Strict mode: a divergence found but not thrown yet — a tool call with no recorded result
   * (thrown at the next model call). When the run ends without another call, read it here, or
   * call {@link finish}, which makes it the run's divergence.
   */
  get pendingDivergence(): ReplayDivergence | undefined {
    return this.#pending;
  }

  /** How many recorded model calls the run never asked for (it ended earlier than the recording). */
  get unusedCalls(): number {
    return this.trace && this.mode === 'replay' ? Math.max(0, this.trace.meta.callCount - this.#calls) : 0;
  }

  generate(request: LLMRequest): Promise<LLMResponse> {
    return this.#backend.generate(request);
  }

  /**
   * `replay` mode, once the run has ended (pass `run.state`, or any `{ messages }` holding the
   * final conversation): checks what only the end of a run shows — a pending divergence, the last
   * step's tool calls (`tool-calls` check), fewer model calls than recorded — and returns the
   * run's divergence ({@link diverged}). Strict: the first of these becomes the divergence;
   * lenient: they are added to {@link warnings}. Calling it again changes nothing.
   */
  finish({ messages }: { messages?: readonly Message[] } = {}): ReplayDivergence | undefined {
    const trace = this.trace;
    if (this.mode !== 'replay' || !trace || this.#finished) return this.#diverged;
    this.#finished = true;
    if (this.#diverged) return this.#diverged;
    if (this.#pending) {
      this.#diverged = this.#pending;
      this.#pending = undefined;
      return this.#diverged;
    }
    const last = messages
      ? this.#toolCalls?.atEnd({ step: this.#lastStep, messages, tools: this.#lastTools })
      : undefined;
    const fewer = describeCallCountChange({ recorded: trace.meta.callCount, made: this.#calls });
    let found: ReplayDivergence | undefined = last;
    if (fewer !== undefined && this.#calls < trace.meta.callCount) {
      found = last
        ? { ...last, summary: [...last.summary, fewer] }
        : {
            callIndex: this.#calls + 1,
            summary: [fewer],
            diff: unusedCallsDiff({ trace, from: this.#calls + 1 }),
          };
    }
    if (found) {
      if (this.strictness === 'strict') this.#diverged = found;
      else this.#warn(found);
    }
    return this.#diverged;
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
    this.#lastTools = request.tools;
    if (this.#pending) {
      const pending = this.#pending;
      this.#pending = undefined;
      this.#diverge(pending, 'step');
    }
    if (this.#toolCalls && request.step > 0) {
      const found = this.#toolCalls.beforeCall({
        step: request.step,
        messages: request.messages,
        tools: request.tools,
      });
      if (found) this.#differs(found, 'step');
    }
    if (callIndex > trace.meta.callCount) {
      if (this.mode === 'auto') return this.#goLive(request);
      const divergence: ReplayDivergence = {
        callIndex,
        summary: [describeCallCountChange({ recorded: trace.meta.callCount, made: callIndex })!],
        diff: exhaustedDiff({ request, redactor: this.#redactor, recordedCalls: trace.meta.callCount }),
      };
      this.#diverged ??= divergence;
      throw new ReplayExhaustedError({ ...divergence, recordedCalls: trace.meta.callCount });
    }
    const record = trace.readCallRecordSync(callIndex);
    if (this.#matcher) {
      const mismatch = this.#matcher.match({
        callIndex,
        record,
        full: () => trace.readCallSync(callIndex),
        request,
        label: `recorded ${callFile(callIndex, trace.meta.callCount)}`,
      });
      if (mismatch !== undefined) {
        if (this.mode === 'auto' && this.#onDivergence === 'record') {
          this.#divergedAt = callIndex;
          return this.#goLive(request);
        }
        this.#differs({ callIndex, ...mismatch }, 'model call');
      }
    }
    if (record.error) {
      // `auto` treats a recorded failure as missing and asks the fallback; `replay` fails the same way again.
      if (this.mode === 'auto') return this.#goLive(request);
      throw new RecordedLLMError({ callIndex, recorded: record.error });
    }
    this.#replayed++;
    if (request.step > 0) this.#lastStep = request.step;
    return record.response ?? {};
  }

  /** A difference from the recording: ends the run (strict) or becomes a warning (lenient). */
  #differs(divergence: ReplayDivergence, at: 'model call' | 'step'): void {
    if (this.mode === 'replay' && this.strictness === 'lenient') this.#warn(divergence);
    else this.#diverge(divergence, at);
  }

  #diverge(divergence: ReplayDivergence, at: 'model call' | 'step'): never {
    this.#diverged ??= divergence;
    throw new ReplayDivergenceError({ ...divergence, at });
  }

  /** Adds a warning with the sentences not reported before (none new: nothing is added). */
  #warn(divergence: ReplayDivergence): void {
    const summary = divergence.summary.filter((sentence) => !this.#reported.has(sentence));
    if (summary.length === 0) return;
    for (const sentence of summary) this.#reported.add(sentence);
    this.#warnings.push({ ...divergence, summary });
  }

  #onMissingResult(divergence: ReplayDivergence): void {
    if (this.strictness === 'lenient') this.#warn(divergence);
    else this.#pending ??= divergence;
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
