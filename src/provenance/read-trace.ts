import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ToolSpec } from '../core/llm.js';
import type { StepData } from '../core/step.js';
import type { Message } from '../core/types.js';
import { interruptedReplaceCopy } from './atomic-dir.js';
import { TraceReadError } from './errors.js';
import { assertRecord, parseJson, readText, readTextSync } from './json-file.js';
import {
  ARTIFACTS_FILE,
  CALLS_DIR,
  callFile,
  EXPECTED_FILE,
  STEPS_DIR,
  stepFile,
  TRACE_FILE,
  VOLATILE_FILE,
} from './layout.js';
import { migrationsFor, TRACE_MIGRATIONS, type TraceMigration } from './migrate.js';
import { isPythonTraceDir, openPythonTrace } from './python-reader.js';
import type { TraceMeta } from './records.js';
import {
  type CallRecord,
  type StepRecord,
  stepDataOf,
  type TraceCall,
  type VolatileRecord,
} from './records.js';
import type { RecordedTrace } from './types.js';

/** Where to read a trace from, and (for tests and plugins) which migrations to apply. */
export interface ReadTraceOptions {
  dir: string;
  /** Migrations from older format versions (default: the ones this package ships). */
  migrations?: readonly TraceMigration[];
}

/**
 * Opens a trace directory: format v1 (`trace.json`) or a Python looplet trace
 * (`trajectory.json`). Metadata, artifacts and expected data are read now; steps and model calls
 * are read lazily, one file at a time. Throws {@link TraceReadError} (naming the file and field)
 * for a missing, truncated or malformed trace and `TraceVersionError` for a newer format.
 *
 * @example
 * const trace = await readTrace('traces/greeter/alice');
 * console.log(trace.meta.endReason);
 * for await (const step of trace.steps()) console.log(step.index, step.toolCalls.map((c) => c.name));
 */
export async function readTrace(source: string | ReadTraceOptions): Promise<RecordedTrace> {
  return openTrace(source);
}

/** Synchronous {@link readTrace}. */
export function openTrace(source: string | ReadTraceOptions): RecordedTrace {
  const { dir, migrations = TRACE_MIGRATIONS } = typeof source === 'string' ? { dir: source } : source;
  const root = path.resolve(dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    // A replace interrupted (or still under way) between its two renames left the trace aside:
    // read that copy, without moving it — the next write puts it back.
    const copy = interruptedReplaceCopy(root);
    if (copy !== undefined) return openTrace(typeof source === 'string' ? copy : { ...source, dir: copy });
    throw new TraceReadError({
      file: root,
      problem: 'does not exist',
      hint: 'give the path of a trace directory',
    });
  }
  if (!isDirectory)
    throw new TraceReadError({
      file: root,
      problem: 'is not a directory',
      hint: 'give the path of a trace directory',
    });
  if (existsSync(path.join(root, TRACE_FILE))) return new V1Trace(root, migrations);
  if (isPythonTraceDir(root)) return openPythonTrace(root);
  const partial = [STEPS_DIR, CALLS_DIR, VOLATILE_FILE].some((name) => existsSync(path.join(root, name)));
  throw new TraceReadError({
    file: path.join(root, TRACE_FILE),
    problem: partial
      ? 'is missing: the directory holds part of a trace (was the write interrupted?)'
      : 'is missing: this is not a trace directory (no trace.json, and no trajectory.json from Python looplet)',
  });
}

const MESSAGE_CACHE_SIZE = 8;

/** A format-v1 trace directory. */
class V1Trace implements RecordedTrace {
  readonly dir: string;
  readonly meta: TraceMeta;
  readonly artifacts: Record<string, unknown>;
  readonly expected: Record<string, unknown>;
  readonly #migrations: TraceMigration[];
  #volatile: VolatileRecord | null | undefined;
  /** Full message lists of recently read calls: walking calls in order reads each file once. */
  readonly #messages = new Map<number, Message[]>();

  constructor(dir: string, migrations: readonly TraceMigration[]) {
    this.dir = dir;
    const file = path.join(dir, TRACE_FILE);
    let raw = parseJson(file, readTextSync(dir, TRACE_FILE)!) as Record<string, unknown>;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new TraceReadError({ file, problem: 'must hold a JSON object' });
    this.#migrations = migrationsFor({ file, found: raw.schemaVersion, migrations });
    for (const migration of this.#migrations) raw = migration.meta(raw);
    assertRecord('trace', file, raw);
    this.meta = { ...(raw as unknown as Omit<TraceMeta, 'source'>), source: 'looplet' };
    this.artifacts = this.#optionalObject(ARTIFACTS_FILE, 'artifacts');
    this.expected = this.#optionalObject(EXPECTED_FILE, 'expected');
  }

  #optionalObject(name: string, kind: 'artifacts' | 'expected'): Record<string, unknown> {
    const text = readTextSync(this.dir, name, true);
    if (text === undefined) return {};
    const file = path.join(this.dir, name);
    const value = parseJson(file, text);
    assertRecord(kind, file, value);
    return value as Record<string, unknown>;
  }

  #stepName(index: number): string {
    if (!Number.isInteger(index) || index < 1 || index > this.meta.stepCount)
      throw new TraceReadError({
        file: path.join(this.dir, STEPS_DIR),
        problem: `there is no step ${index}: the trace has ${this.meta.stepCount} step(s), numbered from 1`,
      });
    return stepFile(index, this.meta.stepCount);
  }

  #stepFrom(index: number, name: string, text: string | undefined): StepData {
    const file = path.join(this.dir, name);
    let raw = parseJson(file, text!) as Record<string, unknown>;
    for (const migration of this.#migrations) if (migration.step) raw = migration.step(raw);
    assertRecord('step', file, raw);
    const record = raw as unknown as StepRecord;
    if (record.index !== index)
      throw new TraceReadError({
        file,
        field: 'index',
        problem: `is ${record.index}, but the file is step ${index}`,
      });
    return stepDataOf(record, this.readVolatile()?.steps[index - 1]);
  }

  readStepSync(index: number): StepData {
    const name = this.#stepName(index);
    return this.#stepFrom(index, name, readTextSync(this.dir, name));
  }

  async readStep(index: number): Promise<StepData> {
    const name = this.#stepName(index);
    return this.#stepFrom(index, name, await readText(this.dir, name));
  }

  async *steps(): AsyncGenerator<StepData> {
    // Synchronous reads: for many small files they are several times faster than fs.promises.
    for (let index = 1; index <= this.meta.stepCount; index++) yield this.readStepSync(index);
  }

  readCallRecordSync(index: number): CallRecord {
    if (!Number.isInteger(index) || index < 1 || index > this.meta.callCount)
      throw new TraceReadError({
        file: path.join(this.dir, CALLS_DIR),
        problem: `there is no model call ${index}: the trace has ${this.meta.callCount} call(s), numbered from 1`,
      });
    const name = callFile(index, this.meta.callCount);
    const file = path.join(this.dir, name);
    let raw = parseJson(file, readTextSync(this.dir, name)!) as Record<string, unknown>;
    for (const migration of this.#migrations) if (migration.call) raw = migration.call(raw);
    assertRecord('call', file, raw);
    const record = raw as unknown as CallRecord;
    const base = record.request.base;
    if (base !== undefined && base >= index)
      throw new TraceReadError({
        file,
        field: 'request.base',
        problem: `is ${base}, but a call can only continue an earlier call (< ${index})`,
      });
    return record;
  }

  readCallSync(index: number): TraceCall {
    const record = this.readCallRecordSync(index);
    const call: TraceCall = {
      index,
      step: record.request.step,
      request: {
        messages: this.#messagesOf(index, record).slice(),
        tools: record.request.tools ?? (this.meta.tools as ToolSpec[]),
      },
    };
    if (record.request.options) call.request.options = record.request.options;
    if (record.response) call.response = record.response;
    if (record.error) call.error = record.error;
    const durationMs: unknown = this.readVolatile()?.calls[index - 1]?.durationMs;
    if (typeof durationMs === 'number') call.durationMs = durationMs;
    return call;
  }

  async readCall(index: number): Promise<TraceCall> {
    return this.readCallSync(index);
  }

  async *calls(): AsyncGenerator<TraceCall> {
    for (let index = 1; index <= this.meta.callCount; index++) yield this.readCallSync(index);
  }

  /** The full message list of call `index`, following `base` links back to a full request. */
  #messagesOf(index: number, record: CallRecord): Message[] {
    const cached = this.#messages.get(index);
    if (cached) return cached;
    const appends: Message[][] = [];
    let current = record;
    let at = index;
    let messages: Message[];
    for (;;) {
      const { base, append, messages: full } = current.request;
      if (full) {
        messages = full;
        break;
      }
      appends.push(append!);
      at = base!;
      const known = this.#messages.get(at);
      if (known) {
        messages = known;
        break;
      }
      current = this.readCallRecordSync(at);
    }
    for (let part = appends.length - 1; part >= 0; part--) messages = messages.concat(appends[part]!);
    this.#messages.set(index, messages);
    if (this.#messages.size > MESSAGE_CACHE_SIZE) this.#messages.delete(this.#messages.keys().next().value!);
    return messages;
  }

  readVolatile(): VolatileRecord | undefined {
    if (this.#volatile === undefined) {
      // Volatile data is informative only: a damaged volatile.json does not make the trace
      // unreadable (`looplet validate` checks it against the schema). Only its shape is checked
      // here: it holds an entry per step, and validating them all would cost more than reading.
      this.#volatile = null;
      try {
        const text = readTextSync(this.dir, VOLATILE_FILE, true);
        if (text !== undefined) {
          const value = JSON.parse(text) as Partial<VolatileRecord> | null;
          if (value && Array.isArray(value.steps) && Array.isArray(value.calls))
            this.#volatile = value as VolatileRecord;
        }
      } catch {
        this.#volatile = null;
      }
    }
    return this.#volatile ?? undefined;
  }
}
