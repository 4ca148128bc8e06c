import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../core/canonical-json.js';
import type { LLMBackend, ToolSpec } from '../core/llm.js';
import type { LoopState, Tool } from '../core/state.js';
import type { Clock } from '../core/types.js';
import type { Hook } from '../loop/hooks.js';
import type { RunResult } from '../loop/result.js';
import { defaultClock } from '../loop/runtime.js';
import { LoopletError } from '../util/errors.js';
import { packageFile } from '../util/package-files.js';
import { type DirFile, writeDirAtomic } from './atomic-dir.js';
import { TraceWriteError } from './errors.js';
import { ARTIFACTS_FILE, callFile, EXPECTED_FILE, stepFile, TRACE_FILE, VOLATILE_FILE } from './layout.js';
import { CallLog } from './recording-llm.js';
import type { CallRecord, RequestRecord, TraceFileRecord, VolatileRecord } from './records.js';
import { responseRecordOf, stepRecordOf, TRACE_SCHEMA_VERSION } from './records.js';
import { createRedactor, type Redactor, type RedactSetting, snapshotJson } from './redaction.js';
import { checkRecord, type TraceRecordKind } from './trace-schema.js';

/** The options of {@link ProvenanceSink}. */
export interface ProvenanceSinkOptions {
  /** The trace directory `flush()` writes (created, or replaced when it already holds a trace). */
  dir: string;
  /**
   * Secret redaction of everything written (on by default): built-in rules for API keys, tokens,
   * private keys, URL passwords and sensitive field names, plus your own `patterns` and `keys`.
   * `false` turns it off.
   */
  redact?: RedactSetting;
  /**
   * Also redact each request before it is forwarded to the backend, so the model provider never
   * sees a secret found by `redact`. Off by default: recording then changes nothing the model
   * sees (a recorded run is the run you would have had without the recorder), and costs no scan
   * per call. On, every new message is scanned once, at the call that first sends it.
   */
  redactRequests?: boolean;
  /** Times the model calls and the run for `volatile.json` (default: the wall clock). */
  clock?: Clock;
  /** Also fsync every file and directory on flush, to survive power loss (slower). Default false. */
  durable?: boolean;
}

/** A run the sink saw end. */
interface EndedRun {
  state: LoopState;
  result: RunResult;
  endedAt: number;
}

/**
 * Records one run into a trace directory: every model request and raw response (through
 * `wrapLLM`), every step and the result (through `hook()`), written by `flush()` as canonical
 * JSON, atomically. One sink records one run.
 *
 * @example
 * const sink = new ProvenanceSink({ dir: 'traces/greet/alice' });
 * const run = agentLoop({ llm: sink.wrapLLM(llm), tools, task, hooks: [sink.hook()] });
 * for await (const step of run) console.log(step.pretty());
 * await sink.flush();
 */
export class ProvenanceSink {
  readonly dir: string;
  /** Collector outputs, written to `artifacts.json`. Set before `flush()`. */
  artifacts: Record<string, unknown> = {};
  /** Grader-only data, written to `expected.json`; never shown to the agent. Set before `flush()`. */
  expected: Record<string, unknown> = {};
  readonly #redactor: Redactor;
  readonly #clock: Clock;
  readonly #durable: boolean;
  readonly #log: CallLog;
  #startedAt: number | undefined;
  #ended: EndedRun | undefined;

  constructor({
    dir,
    redact,
    redactRequests = false,
    clock = defaultClock,
    durable = false,
  }: ProvenanceSinkOptions) {
    if (typeof dir !== 'string' || dir === '')
      throw new TraceWriteError({ dir: String(dir), problem: '`dir` must be a non-empty path' });
    this.dir = path.resolve(dir);
    this.#redactor = createRedactor(redact);
    this.#clock = clock;
    this.#durable = durable;
    this.#log = new CallLog({ upstream: createRedactor(redactRequests ? redact : false), clock });
  }

  /**
   * Wraps a model backend so every call is recorded: the request (every field, forwarded as it is
   * unless `redactRequests` is set) and the raw response, or the error it threw.
   */
  wrapLLM(llm: LLMBackend): LLMBackend {
    return this.#log.wrap(llm);
  }

  /** The hook that records the run's steps and result. Add it to `agentLoop({ hooks })`. */
  hook(): Hook {
    return {
      name: 'ProvenanceSink',
      preLoop: () => {
        this.#startedAt ??= this.#clock.now();
      },
      onLoopEnd: ({ state, result }) => {
        if (this.#ended)
          throw new LoopletError({
            message: `this ProvenanceSink (${this.dir}) already recorded a run; create one sink per run`,
            code: 'SINK_REUSED',
          });
        this.#ended = { state, result, endedAt: this.#clock.now() };
      },
    };
  }

  /** The recorded run's result, once it has ended. */
  get result(): RunResult | undefined {
    return this.#ended?.result;
  }

  /** How many model calls have been recorded so far. */
  get callCount(): number {
    return this.#log.calls.length;
  }

  /**
   * Writes the trace directory atomically (temporary directory + rename) and returns its path.
   * Throws {@link TraceWriteError} when the run has not ended or the write fails.
   */
  async flush(): Promise<string> {
    writeDirAtomic({ dir: this.dir, files: this.files(), durable: this.#durable });
    return this.dir;
  }

  /**
   * The files `flush()` writes, serialised (for tests and tools that store traces elsewhere).
   * Throws {@link TraceWriteError} when the run has not ended, when a step has no recorded model
   * call (the backend was not wrapped with `wrapLLM`: such a trace could never be replayed), or
   * when a file would not pass the trace schema its readers check.
   */
  files(): DirFile[] {
    const ended = this.#ended;
    if (!ended)
      throw new TraceWriteError({
        dir: this.dir,
        problem:
          'the run has not ended: pass sink.hook() in agentLoop({ hooks }) and await run.result (or finish iterating) before flush()',
      });
    const { state, result } = ended;
    const calls = this.#log.calls;
    const steps = result.steps;
    this.#checkEveryStepHasACall(steps.map((step) => step.index));
    // Everything written is a redacted snapshot: plain JSON data, read once, secrets replaced.
    const files: DirFile[] = [];
    const add = (kind: TraceRecordKind, file: string, value: unknown): unknown => {
      const data = snapshotJson(this.#redactor, value);
      const issue = checkRecord(kind, data);
      if (issue)
        throw new TraceWriteError({
          dir: this.dir,
          problem: `${file}${issue.field ? ` (field ${issue.field})` : ''} ${issue.message}, so no reader would accept it; the value came from the run (a tool result, hook decision, task or artifact) and is not JSON data of the expected shape`,
        });
      files.push({ path: file, content: canonicalJson(data) });
      return data;
    };

    const tools = specsOf(state.tools);
    const meta: TraceFileRecord = {
      schemaVersion: TRACE_SCHEMA_VERSION,
      task: state.task,
      endReason: result.endReason,
      stepCount: steps.length,
      callCount: calls.length,
      tools,
      usage: result.usage,
    };
    if (result.stopReason !== undefined) meta.stopReason = result.stopReason;
    if ('finalOutput' in result) meta.finalOutput = result.finalOutput;
    const model = state.llm.model;
    if (model !== undefined) meta.model = model;
    const written = add('trace', TRACE_FILE, meta) as { tools: unknown };
    const toolsJson = canonicalJson(written.tools);
    const sameAsTraceTools = new Map<readonly ToolSpec[], boolean>();

    for (const step of steps) add('step', stepFile(step.index, steps.length), stepRecordOf(step));
    for (const [offset, call] of calls.entries()) {
      const request = (
        call.base === undefined
          ? { step: call.step, messages: call.messages }
          : { step: call.step, base: call.base, append: call.messages }
      ) as RequestRecord;
      let same = sameAsTraceTools.get(call.tools);
      if (same === undefined) {
        same = canonicalJson(snapshotJson(this.#redactor, call.tools)) === toolsJson;
        sameAsTraceTools.set(call.tools, same);
      }
      if (!same) request.tools = [...call.tools];
      if (call.options) request.options = call.options;
      const record: CallRecord = { request };
      if (call.error) record.error = call.error;
      else if (call.response) record.response = responseRecordOf(call.response);
      add('call', callFile(offset + 1, calls.length), record);
    }
    add('artifacts', ARTIFACTS_FILE, this.artifacts);
    add('expected', EXPECTED_FILE, this.expected);
    add('volatile', VOLATILE_FILE, this.#volatile(ended));
    return files;
  }

  /** A step without a recorded model call means the backend was not wrapped: say so, with the fix. */
  #checkEveryStepHasACall(steps: readonly number[]): void {
    if (steps.length === 0) return;
    const recorded = new Set(this.#log.calls.map((call) => call.step));
    const missing = steps.filter((step) => !recorded.has(step));
    if (missing.length === 0) return;
    const which =
      missing.length === steps.length
        ? `none of the run's ${steps.length} step(s) has a recorded model call`
        : `step(s) ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''} have no recorded model call`;
    throw new TraceWriteError({
      dir: this.dir,
      problem: `${which}, so the trace could never be replayed: pass the model backend through the sink, agentLoop({ llm: sink.wrapLLM(llm), hooks: [sink.hook()] })`,
    });
  }

  #volatile({ state, result, endedAt }: EndedRun): VolatileRecord {
    return {
      runId: state.runId,
      startedAt: isoTime(this.#startedAt ?? result.steps[0]?.startedAt ?? endedAt),
      endedAt: isoTime(endedAt),
      host: os.hostname(),
      looplet: loopletVersion(),
      node: process.version,
      steps: result.steps.map((step) => ({
        startedAt: step.startedAt,
        durationMs: step.durationMs,
        toolDurationsMs: step.results.map((toolResult) => toolResult.durationMs),
      })),
      calls: this.#log.calls.map((call) => ({ durationMs: call.durationMs })),
    };
  }
}

/** The tools as the loop shows them to the model. */
export function specsOf(tools: ReadonlyMap<string, Tool>): ToolSpec[] {
  return [...tools.values()].map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: tool.jsonSchema,
  }));
}

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

let version: string | undefined;
function loopletVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as {
        version?: string;
      };
      version = pkg.version ?? 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
