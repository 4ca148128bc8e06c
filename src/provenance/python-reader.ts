import { isDeepStrictEqual } from 'node:util';
import { PARSE_ERROR_CALL, type ToolSpec } from '../core/llm.js';
import type { StepData } from '../core/step.js';
import { type EndReason, emptyUsage, type Task, type ToolError } from '../core/types.js';
import { TraceReadError } from './errors.js';
import { parseJson } from './json-file.js';
import { isObject, parsePrompt, parseResponse } from './python-call-files.js';
import { toolsFromPythonPrompt } from './python-tools.js';
import type { CallRecord, TraceCall, VolatileRecord } from './records.js';
import { TRACE_SCHEMA_VERSION, type TraceMeta } from './records.js';
import { PYTHON_TRACE_FILE } from './trace-completeness.js';
import type { TraceFiles } from './trace-files.js';
import type { RecordedTrace } from './types.js';

// Reads trace directories written by Python looplet 0.3 (`ProvenanceSink.flush()` there):
//   trajectory.json (metadata, every step, every call's manifest entry), steps/step_NN.json,
//   call_NN_prompt.txt / call_NN_response.txt (0-based), manifest.jsonl, artifacts.json,
//   expected.json.
// Like Python's own reader (`EvalContext.from_trajectory_dir`), opening a trace reads
// trajectory.json, artifacts.json and expected.json only: steps come from trajectory.json (the
// step files hold the same records; they are read only when trajectory.json has no `steps`), and
// call files only when a call (or the tool list, recovered from the first prompt) is asked for.
// Python steps hold one tool call each; its responses are text (`{"tool": …, "args": …}`) that
// the loop parses into tool calls, so a Python trace replays through `agentLoop`.

type Json = Record<string, unknown>;

/** Opens a Python looplet trace directory (its `trajectory.json` exists) as a {@link RecordedTrace}. */
export function openPythonTrace(files: TraceFiles): RecordedTrace {
  return new PythonTrace(files);
}

class PythonTrace implements RecordedTrace {
  readonly dir: string;
  readonly meta: TraceMeta;
  readonly artifacts: Record<string, unknown>;
  readonly expected: Record<string, unknown>;
  readonly #files: TraceFiles;
  readonly #trajectory: Json;
  /** The step records of trajectory.json, or undefined when it has none (then: steps/step_NN.json). */
  readonly #steps: unknown[] | undefined;
  #manifest: Json[] | undefined;

  constructor(files: TraceFiles) {
    this.dir = files.root;
    this.#files = files;
    const file = files.path(PYTHON_TRACE_FILE);
    const trajectory = files.readJson(PYTHON_TRACE_FILE);
    if (!isObject(trajectory)) throw new TraceReadError({ file, problem: 'must hold a JSON object' });
    this.#trajectory = trajectory;
    if (trajectory.steps !== undefined && !Array.isArray(trajectory.steps))
      throw new TraceReadError({ file, field: 'steps', problem: 'must be an array' });
    this.#steps = trajectory.steps;
    const stepCount = this.#steps?.length ?? optionalCount(file, trajectory, 'step_count') ?? 0;
    const callCount =
      optionalCount(file, trajectory, 'llm_call_count') ??
      (Array.isArray(trajectory.llm_calls) ? trajectory.llm_calls.length : this.#callEntries().length);
    const task = trajectory.task ?? {};
    if (!isObject(task) && typeof task !== 'string')
      throw new TraceReadError({ file, field: 'task', problem: 'must be an object or a string' });
    const metadata = metadataOf(file, trajectory);
    const termination = metadata.termination_reason;
    if (termination !== undefined && typeof termination !== 'string')
      throw new TraceReadError({ file, field: 'termination_reason', problem: 'must be a string' });

    let tools: ToolSpec[] | undefined;
    const readTools = () => {
      tools ??= callCount > 0 ? this.#tools() : [];
      return tools;
    };
    this.meta = {
      schemaVersion: TRACE_SCHEMA_VERSION,
      source: 'python-looplet',
      task: taskOf(task),
      endReason: 'hook_stop',
      stepCount,
      callCount,
      // Recovered from the first prompt, which is read only when the tools are asked for.
      get tools() {
        return readTools();
      },
      usage: emptyUsage(),
      metadata,
    };
    if (typeof trajectory.run_id === 'string') this.meta.runId = trajectory.run_id;
    this.#setEnd(termination || undefined);
    this.artifacts = this.#optionalObject('artifacts.json');
    this.expected = this.#expected(file);
  }

  /**
   * End reason and final output, as Python reads them: after `done` (whatever the terminal tool
   * is called: `done`, `submit`…) the last step's arguments are the output; with no termination
   * reason, the last `done` call's arguments (and the run counts as done when that call ended it).
   */
  #setEnd(termination: string | undefined): void {
    const count = this.meta.stepCount;
    const last = count > 0 ? this.#rawStep(count) : undefined;
    const toolOf = (step: unknown) =>
      isObject(step) && isObject(step.tool_call) ? step.tool_call.tool : undefined;
    let terminal: unknown;
    if (termination === undefined) {
      this.meta.stopReason = 'unknown';
      if (toolOf(last) === 'done') {
        this.meta.endReason = 'done';
        delete this.meta.stopReason;
        terminal = last;
      } else if (this.#steps) terminal = this.#steps.findLast((step) => toolOf(step) === 'done');
    } else {
      const { endReason, stopReason } = endReasonOf(termination);
      this.meta.endReason = endReason;
      if (stopReason !== undefined) this.meta.stopReason = stopReason;
      // Python ends a run whose model call failed as budget_exhausted after an `__llm_error__` step.
      if (endReason === 'max_steps' && toolOf(last) === PYTHON_LLM_ERROR_STEP) {
        this.meta.endReason = 'llm_error';
        const error = isObject(last) && isObject(last.tool_result) ? last.tool_result.error : undefined;
        if (typeof error === 'string' && error !== '') this.meta.stopReason = error;
      }
      if (termination === 'done') terminal = last;
    }
    const args = isObject(terminal) && isObject(terminal.tool_call) ? terminal.tool_call.args : undefined;
    if (isObject(args)) this.meta.finalOutput = args;
  }

  #optionalObject(name: string): Record<string, unknown> {
    const value = this.#files.readJson(name, { optional: true });
    if (value === undefined) return {};
    if (!isObject(value))
      throw new TraceReadError({ file: this.#files.path(name), problem: 'must hold a JSON object' });
    return value;
  }

  /** `expected.json`, or the `expected` older Python eval runs kept in trajectory.json. */
  #expected(trajectoryFile: string): Record<string, unknown> {
    const inline = this.#trajectory.expected;
    if (inline !== undefined && inline !== null && !isObject(inline))
      throw new TraceReadError({ file: trajectoryFile, field: 'expected', problem: 'must be an object' });
    const stored = this.#optionalObject('expected.json');
    if (this.#files.kind('expected.json') === undefined) return isObject(inline) ? inline : {};
    if (isObject(inline) && !isDeepStrictEqual(inline, stored))
      throw new TraceReadError({
        file: this.#files.path('expected.json'),
        problem:
          'conflicts with the `expected` stored in trajectory.json (Python looplet refuses such a trace too)',
        hint: 'keep one of the two',
      });
    return stored;
  }

  /** The manifest entries of the model calls: trajectory.json's `llm_calls`, else manifest.jsonl. */
  #callEntries(): Json[] {
    if (this.#manifest) return this.#manifest;
    const inline = this.#trajectory.llm_calls;
    if (Array.isArray(inline)) {
      this.#manifest = inline.filter(isObject);
      return this.#manifest;
    }
    const text = this.#files.readText('manifest.jsonl', { optional: true });
    const file = this.#files.path('manifest.jsonl');
    this.#manifest = (text ?? '')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, index) => {
        const entry = parseJson(`${file}:${index + 1}`, line);
        if (!isObject(entry))
          throw new TraceReadError({ file, field: `line ${index + 1}`, problem: 'must be an object' });
        return entry;
      });
    return this.#manifest;
  }

  #tools(): ToolSpec[] {
    let first: ReturnType<typeof parsePrompt>;
    try {
      first = this.#prompt(1); // The prompt alone: the response and the manifest say nothing of tools.
    } catch {
      return []; // A missing call file is reported when the call is read (and by `validate`).
    }
    if (first.tools && first.tools.length > 0) return first.tools;
    const user = first.messages?.find((message) => message.role === 'user');
    return user ? toolsFromPythonPrompt(user.content) : [];
  }

  /** The prompt file of model call `index` (from 1), parsed. */
  #prompt(index: number): ReturnType<typeof parsePrompt> {
    return parsePrompt(this.#files.readText(callFile(index, 'prompt'))!);
  }

  #checkStep(index: number): void {
    if (!Number.isInteger(index) || index < 1 || index > this.meta.stepCount)
      throw new TraceReadError({
        file: this.#files.path('steps'),
        problem: `there is no step ${index}: the trace has ${this.meta.stepCount} step(s), numbered from 1`,
      });
  }

  /** Where step `index` is stored: trajectory.json, or its step file when trajectory.json has no steps. */
  #stepFile(index: number): string {
    return this.#steps ? PYTHON_TRACE_FILE : `steps/step_${String(index).padStart(2, '0')}.json`;
  }

  #rawStep(index: number): unknown {
    if (this.#steps) return this.#steps[index - 1];
    return this.#files.readJson(this.#stepFile(index));
  }

  readStep(index: number): StepData {
    this.#checkStep(index);
    const name = this.#stepFile(index);
    return stepOf({
      file: this.#files.path(name),
      field: this.#steps ? `steps[${index - 1}]` : undefined,
      index,
      raw: this.#rawStep(index),
    });
  }

  *steps(): Generator<StepData> {
    for (let index = 1; index <= this.meta.stepCount; index++) yield this.readStep(index);
  }

  readCallRecord(index: number): CallRecord {
    if (!Number.isInteger(index) || index < 1 || index > this.meta.callCount)
      throw new TraceReadError({
        file: this.dir,
        problem: `there is no model call ${index}: the trace has ${this.meta.callCount} call(s), numbered from 1`,
      });
    const responseName = callFile(index, 'response');
    const prompt = this.#prompt(index);
    const entry = this.#callEntries()[index - 1];
    const step = typeof entry?.step_num === 'number' ? entry.step_num : prompt.step;
    const record: CallRecord = { request: { step, messages: prompt.messages } };
    if (prompt.tools) record.request.tools = prompt.tools;
    if (prompt.options) record.request.options = prompt.options;
    const response = parseResponse(this.#files.path(responseName), this.#files.readText(responseName)!);
    if ('error' in response) record.error = response.error;
    else record.response = response.response;
    return record;
  }

  readCall(index: number): TraceCall {
    const record = this.readCallRecord(index);
    const call: TraceCall = {
      index,
      step: record.request.step,
      request: { messages: record.request.messages ?? [], tools: record.request.tools ?? [] },
    };
    if (record.request.options) call.request.options = record.request.options;
    if (record.response) call.response = record.response;
    if (record.error) call.error = record.error;
    const durationMs = this.#callEntries()[index - 1]?.duration_ms;
    if (typeof durationMs === 'number') call.durationMs = durationMs;
    return call;
  }

  *calls(): Generator<TraceCall> {
    for (let index = 1; index <= this.meta.callCount; index++) yield this.readCall(index);
  }

  /** Times and durations; a time no date can hold (`started_at: 1e300`) is a `TraceReadError`. */
  readVolatile(): VolatileRecord {
    const trajectory = this.#trajectory;
    const steps = Array.from({ length: this.meta.stepCount }, (_, index) => this.#rawStep(index + 1));
    const volatile: VolatileRecord = {
      steps: steps.filter(isObject).map((step) => ({
        startedAt: typeof step.timestamp === 'number' ? step.timestamp * 1000 : 0,
        durationMs: typeof step.duration_ms === 'number' ? step.duration_ms : 0,
        toolDurationsMs: [
          isObject(step.tool_result) && typeof step.tool_result.duration_ms === 'number'
            ? step.tool_result.duration_ms
            : 0,
        ],
      })),
      calls: this.#callEntries().map((entry) => ({
        durationMs: typeof entry.duration_ms === 'number' ? entry.duration_ms : 0,
      })),
    };
    if (typeof trajectory.run_id === 'string') volatile.runId = trajectory.run_id;
    const file = this.#files.path(PYTHON_TRACE_FILE);
    if (typeof trajectory.started_at === 'number')
      volatile.startedAt = isoTime(file, 'started_at', trajectory.started_at);
    if (typeof trajectory.ended_at === 'number')
      volatile.endedAt = isoTime(file, 'ended_at', trajectory.ended_at);
    return volatile;
  }
}

/** Epoch seconds as an ISO 8601 time; a typed error for a number no date can hold. */
function isoTime(file: string, field: string, seconds: number): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime()))
    throw new TraceReadError({
      file,
      field,
      problem: `is ${String(seconds).slice(0, 40)}, which is not a time (seconds since 1970, as Python's time.time() gives)`,
    });
  return date.toISOString();
}

/**
 * Python's `EvalContext.metadata`: the trajectory's `metadata` object with its top-level
 * `run_id`, `started_at`, `ended_at` and `termination_reason` laid over it (when set).
 */
function metadataOf(file: string, trajectory: Json): Record<string, unknown> {
  const metadata: Record<string, unknown> = isObject(trajectory.metadata) ? { ...trajectory.metadata } : {};
  for (const key of ['run_id', 'started_at', 'ended_at', 'termination_reason'])
    if (trajectory[key] !== undefined && trajectory[key] !== null) metadata[key] = trajectory[key];
  if (metadata.termination_reason !== undefined && typeof metadata.termination_reason !== 'string')
    throw new TraceReadError({ file, field: 'termination_reason', problem: 'must be a string' });
  return metadata;
}

function optionalCount(file: string, record: Json, field: string): number | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new TraceReadError({ file, field, problem: 'must be a non-negative integer' });
  return value;
}

function taskOf(task: Json | string): Task {
  if (typeof task === 'string') return task;
  // Python tasks often say `description` where ours say `goal`.
  const goal =
    typeof task.goal === 'string' ? task.goal : typeof task.description === 'string' ? task.description : '';
  return { ...task, goal };
}

/** Python termination reasons, as looplet end reasons. */
function endReasonOf(termination: string): { endReason: EndReason; stopReason?: string } {
  if (termination === 'done') return { endReason: 'done' };
  if (termination === 'budget_exhausted' || termination.startsWith('max_steps'))
    return { endReason: 'max_steps', stopReason: termination };
  if (termination === 'cancelled') return { endReason: 'aborted', stopReason: termination };
  if (termination === 'error' || termination === 'llm_error')
    return { endReason: 'llm_error', stopReason: termination };
  return { endReason: 'hook_stop', stopReason: termination };
}

/** The step Python looplet records when a model call failed after its retries. */
const PYTHON_LLM_ERROR_STEP = '__llm_error__';

const ERROR_KINDS: Record<string, ToolError['kind']> = {
  permission_denied: 'denied',
  validation: 'invalid_args',
  parse: 'invalid_args',
  cancelled: 'aborted',
};

/** A Python step record (one tool call and its result) as `StepData`. */
function stepOf({
  file,
  field,
  index,
  raw,
}: {
  file: string;
  /** Where the record is inside `file` (`steps[3]` of trajectory.json); undefined for a step file. */
  field: string | undefined;
  index: number;
  raw: unknown;
}): StepData {
  const at = (name: string) => (field === undefined ? name : `${field}.${name}`);
  if (raw === undefined) throw new TraceReadError({ file, problem: 'is missing' });
  if (!isObject(raw))
    throw new TraceReadError({ file, ...(field ? { field } : {}), problem: 'must hold a JSON object' });
  const call = raw.tool_call;
  if (!isObject(call) || typeof call.tool !== 'string')
    throw new TraceReadError({ file, field: at('tool_call.tool'), problem: 'must be a string' });
  const result = isObject(raw.tool_result) ? raw.tool_result : {};
  const args = isObject(call.args) ? call.args : {};
  const id = typeof call.call_id === 'string' && call.call_id !== '' ? call.call_id : `call_${index}`;
  const metadata: Record<string, unknown> = isObject(raw.metadata) ? { ...raw.metadata } : {};
  if (typeof call.reasoning === 'string' && call.reasoning !== '') metadata.reasoning = call.reasoning;
  const toolResult: StepData['results'][number] = {
    callId: id,
    name: typeof result.tool === 'string' ? result.tool : call.tool,
    args,
    durationMs: typeof result.duration_ms === 'number' ? result.duration_ms : 0,
  };
  if (typeof result.error === 'string' && result.error !== '') {
    const kind = typeof result.error_kind === 'string' ? result.error_kind : '';
    // A parse-error step is the answer to a call no tool was found in: as our loop answers it.
    const fallback = call.tool === PARSE_ERROR_CALL ? 'invalid_args' : 'tool_threw';
    toolResult.error = { kind: ERROR_KINDS[kind] ?? fallback, message: result.error };
  } else if ('data' in result) toolResult.data = result.data;
  return {
    index: typeof raw.step_num === 'number' ? raw.step_num : index,
    toolCalls: [{ id, name: call.tool, args }],
    results: [toolResult],
    usage: emptyUsage(),
    context: typeof raw.context_before === 'string' && raw.context_before !== '' ? [raw.context_before] : [],
    metadata,
    startedAt: typeof raw.timestamp === 'number' ? raw.timestamp * 1000 : 0,
    durationMs: typeof raw.duration_ms === 'number' ? raw.duration_ms : 0,
  };
}

/** The name of model call `index`'s (from 1) prompt or response file: Python numbers them from 0. */
function callFile(index: number, kind: 'prompt' | 'response'): string {
  return `call_${String(index - 1).padStart(2, '0')}_${kind}.txt`;
}
