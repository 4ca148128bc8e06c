import { statSync } from 'node:fs';
import path from 'node:path';
import type { ToolSpec } from '../core/llm.js';
import type { StepData } from '../core/step.js';
import type { Message } from '../core/types.js';
import { interruptedReplaceCopy } from './atomic-dir.js';
import { TraceReadError } from './errors.js';
import { assertRecord } from './json-file.js';
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
import { openPythonTrace } from './python-reader.js';
import type { TraceMeta } from './records.js';
import {
  type CallRecord,
  type StepRecord,
  stepDataOf,
  type TraceCall,
  type VolatileRecord,
} from './records.js';
import { PYTHON_TRACE_FILE } from './trace-completeness.js';
import { TraceFiles } from './trace-files.js';
import type { RecordedTrace } from './types.js';

/** Where to read a trace from, how much to read at most, and (for tests and plugins) which migrations to apply. */
export interface ReadTraceOptions {
  dir: string;
  /**
   * Largest trace file to read, in bytes (default: `LOOPLET_MAX_FILE_BYTES` from the environment,
   * else 64 MiB). A larger file is a `TraceReadError` (code `TRACE_FILE_TOO_LARGE`).
   */
  maxFileBytes?: number;
  /** Your own migrations from older format versions, applied after the ones this package ships. */
  migrations?: readonly TraceMigration[];
}

/**
 * Opens a trace directory: format v1 (`trace.json`) or a Python looplet trace
 * (`trajectory.json`). Metadata, artifacts and expected data are read now; steps and model calls
 * are read lazily, one file at a time, all synchronously (several times faster than `fs.promises`
 * for many small files; `await readTrace(...)` works too). Throws {@link TraceReadError} (naming the file and field)
 * for a missing, truncated or malformed trace and `TraceVersionError` for a newer format.
 *
 * A trace is untrusted input: a symbolic link, a FIFO or a device inside it, a file over the size
 * cap or JSON nested over 1,000 levels is refused with a `TraceReadError` naming the file. The
 * directory itself may be a symbolic link (it is the path you gave).
 *
 * @example
 * const trace = readTrace('traces/greeter/alice');
 * console.log(trace.meta.endReason);
 * for (const step of trace.steps()) console.log(step.index, step.toolCalls.map((c) => c.name));
 */
export function readTrace(source: string | ReadTraceOptions): RecordedTrace {
  const options = typeof source === 'string' ? { dir: source } : source;
  const { dir } = options;
  const migrations = options.migrations ? [...TRACE_MIGRATIONS, ...options.migrations] : TRACE_MIGRATIONS;
  const root = path.resolve(dir);
  let isDirectory = false;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    // A replace interrupted (or still under way) between its two renames left the trace aside:
    // read that copy, without moving it — the next write puts it back.
    const copy = interruptedReplaceCopy(root);
    if (copy !== undefined) return readTrace({ ...options, dir: copy });
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
  const files = new TraceFiles({ root, maxFileBytes: options.maxFileBytes });
  // Whatever `trace.json` is (a file, a link, a directory), it makes this a v1 trace: the reader
  // then says what is wrong with it.
  if (files.kind(TRACE_FILE) !== undefined) return new V1Trace(files, migrations);
  if (files.kind(PYTHON_TRACE_FILE) !== undefined) return openPythonTrace(files);
  const partial = [STEPS_DIR, CALLS_DIR, VOLATILE_FILE].some((name) => files.kind(name) !== undefined);
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
  readonly #files: TraceFiles;
  readonly #migrations: TraceMigration[];
  #volatile: VolatileRecord | null | undefined;
  /** Full message lists of recently read calls: walking calls in order reads each file once. */
  readonly #messages = new Map<number, Message[]>();

  constructor(files: TraceFiles, migrations: readonly TraceMigration[]) {
    this.dir = files.root;
    this.#files = files;
    const file = files.path(TRACE_FILE);
    let raw = files.readJson(TRACE_FILE) as Record<string, unknown>;
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
    const value = this.#files.readJson(name, { optional: true });
    if (value === undefined) return {};
    assertRecord(kind, this.#files.path(name), value);
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

  #stepFrom(index: number, name: string): StepData {
    const file = this.#files.path(name);
    let raw = this.#files.readJson(name) as Record<string, unknown>;
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

  readStep(index: number): StepData {
    return this.#stepFrom(index, this.#stepName(index));
  }

  *steps(): Generator<StepData> {
    for (let index = 1; index <= this.meta.stepCount; index++) yield this.readStep(index);
  }

  readCallRecord(index: number): CallRecord {
    if (!Number.isInteger(index) || index < 1 || index > this.meta.callCount)
      throw new TraceReadError({
        file: path.join(this.dir, CALLS_DIR),
        problem: `there is no model call ${index}: the trace has ${this.meta.callCount} call(s), numbered from 1`,
      });
    const name = callFile(index, this.meta.callCount);
    const file = this.#files.path(name);
    let raw = this.#files.readJson(name) as Record<string, unknown>;
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

  readCall(index: number): TraceCall {
    const record = this.readCallRecord(index);
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

  *calls(): Generator<TraceCall> {
    for (let index = 1; index <= this.meta.callCount; index++) yield this.readCall(index);
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
      current = this.readCallRecord(at);
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
        const value = this.#files.readJson(VOLATILE_FILE, {
          optional: true,
        }) as Partial<VolatileRecord> | null;
        if (value && Array.isArray(value.steps) && Array.isArray(value.calls))
          this.#volatile = value as VolatileRecord;
      } catch {
        this.#volatile = null;
      }
    }
    return this.#volatile ?? undefined;
  }
}
