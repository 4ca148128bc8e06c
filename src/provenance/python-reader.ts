import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LLMResponse, ToolSpec } from '../core/llm.js';
import type { StepData } from '../core/step.js';
import { type EndReason, emptyUsage, type Message, type Task, type ToolError } from '../core/types.js';
import { TraceReadError } from './errors.js';
import { parseJson, readTextSync } from './json-file.js';
import { toolsFromPythonPrompt } from './python-tools.js';
import type { CallRecord, ErrorRecord, TraceCall, VolatileRecord } from './records.js';
import { TRACE_SCHEMA_VERSION, type TraceMeta } from './records.js';
import type { RecordedTrace } from './types.js';

// Reads trace directories written by Python looplet 0.3 (`ProvenanceSink.flush()` there):
//   trajectory.json, steps/step_NN.json (1-based), call_NN_prompt.txt / call_NN_response.txt
//   (0-based), manifest.jsonl, artifacts.json, expected.json.
// Python steps hold one tool call each; its responses are text (`{"tool": …, "args": …}`) that
// the loop parses into tool calls, so a Python trace replays through `agentLoop`.

const TRAJECTORY_FILE = 'trajectory.json';

/** True when `dir` looks like a Python looplet trace. */
export function isPythonTraceDir(dir: string): boolean {
  return existsSync(path.join(dir, TRAJECTORY_FILE));
}

type Json = Record<string, unknown>;

/** Opens a Python looplet trace directory as a {@link RecordedTrace}. */
export function openPythonTrace(dir: string): RecordedTrace {
  return new PythonTrace(dir);
}

class PythonTrace implements RecordedTrace {
  readonly dir: string;
  readonly meta: TraceMeta;
  readonly artifacts: Record<string, unknown>;
  readonly expected: Record<string, unknown>;
  readonly #trajectory: Json;
  readonly #steps: unknown[];
  readonly #manifest: Json[];

  constructor(dir: string) {
    this.dir = dir;
    const file = path.join(dir, TRAJECTORY_FILE);
    const trajectory = parseJson(file, readTextSync(dir, TRAJECTORY_FILE)!);
    if (!isObject(trajectory)) throw new TraceReadError({ file, problem: 'must hold a JSON object' });
    this.#trajectory = trajectory;
    const steps = trajectory.steps ?? [];
    if (!Array.isArray(steps))
      throw new TraceReadError({ file, field: 'steps', problem: 'must be an array' });
    this.#steps = steps;
    this.#manifest = this.#readManifest();
    const stepCount = optionalCount(file, trajectory, 'step_count') ?? steps.length;
    const callCount = optionalCount(file, trajectory, 'llm_call_count') ?? this.#manifest.length;
    const termination = trajectory.termination_reason ?? 'unknown';
    if (typeof termination !== 'string')
      throw new TraceReadError({ file, field: 'termination_reason', problem: 'must be a string' });
    const task = trajectory.task ?? {};
    if (!isObject(task) && typeof task !== 'string')
      throw new TraceReadError({ file, field: 'task', problem: 'must be an object or a string' });

    const { endReason, stopReason } = endReasonOf(termination);
    this.meta = {
      schemaVersion: TRACE_SCHEMA_VERSION,
      source: 'python-looplet',
      task: taskOf(task),
      endReason,
      stepCount,
      callCount,
      tools: [],
      usage: emptyUsage(),
    };
    if (callCount > 0) this.meta.tools = this.#tools();
    if (stopReason !== undefined) this.meta.stopReason = stopReason;
    const last = steps[steps.length - 1];
    if (endReason === 'done' && isObject(last) && isObject(last.tool_call) && last.tool_call.tool === 'done')
      this.meta.finalOutput = last.tool_call.args ?? {};
    this.artifacts = this.#optionalObject('artifacts.json');
    this.expected = this.#optionalObject('expected.json');
  }

  #optionalObject(name: string): Record<string, unknown> {
    const text = readTextSync(this.dir, name, true);
    if (text === undefined) return {};
    const file = path.join(this.dir, name);
    const value = parseJson(file, text);
    if (!isObject(value)) throw new TraceReadError({ file, problem: 'must hold a JSON object' });
    return value;
  }

  #readManifest(): Json[] {
    const text = readTextSync(this.dir, 'manifest.jsonl', true);
    if (text === undefined) {
      const calls = this.#trajectory.llm_calls;
      return Array.isArray(calls) ? calls.filter(isObject) : [];
    }
    const file = path.join(this.dir, 'manifest.jsonl');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, index) => {
        const entry = parseJson(`${file}:${index + 1}`, line);
        if (!isObject(entry))
          throw new TraceReadError({ file, field: `line ${index + 1}`, problem: 'must be an object' });
        return entry;
      });
  }

  #tools(): ToolSpec[] {
    let first: CallRecord['request'];
    try {
      first = this.readCallRecordSync(1).request;
    } catch {
      return []; // A missing call file is reported when the call is read (and by `validate`).
    }
    if (first.tools && first.tools.length > 0) return first.tools;
    const user = first.messages?.find((message) => message.role === 'user');
    return user ? toolsFromPythonPrompt(user.content) : [];
  }

  #checkStep(index: number): void {
    if (!Number.isInteger(index) || index < 1 || index > this.meta.stepCount)
      throw new TraceReadError({
        file: path.join(this.dir, 'steps'),
        problem: `there is no step ${index}: the trace has ${this.meta.stepCount} step(s), numbered from 1`,
      });
  }

  readStepSync(index: number): StepData {
    this.#checkStep(index);
    const name = `steps/step_${String(index).padStart(2, '0')}.json`;
    const text = readTextSync(this.dir, name, true);
    const file = path.join(this.dir, text === undefined ? TRAJECTORY_FILE : name);
    const raw = text === undefined ? this.#steps[index - 1] : parseJson(file, text);
    if (raw === undefined)
      throw new TraceReadError({ file: path.join(this.dir, name), problem: 'is missing' });
    return stepOf(file, index, raw);
  }

  async readStep(index: number): Promise<StepData> {
    return this.readStepSync(index);
  }

  async *steps(): AsyncGenerator<StepData> {
    for (let index = 1; index <= this.meta.stepCount; index++) yield this.readStepSync(index);
  }

  readCallRecordSync(index: number): CallRecord {
    if (!Number.isInteger(index) || index < 1 || index > this.meta.callCount)
      throw new TraceReadError({
        file: this.dir,
        problem: `there is no model call ${index}: the trace has ${this.meta.callCount} call(s), numbered from 1`,
      });
    const number = String(index - 1).padStart(2, '0');
    const promptName = `call_${number}_prompt.txt`;
    const responseName = `call_${number}_response.txt`;
    const prompt = parsePrompt(readTextSync(this.dir, promptName)!);
    const entry = this.#manifest[index - 1];
    const step = typeof entry?.step_num === 'number' ? entry.step_num : prompt.step;
    const record: CallRecord = { request: { step, messages: prompt.messages } };
    if (prompt.tools) record.request.tools = prompt.tools;
    if (prompt.options) record.request.options = prompt.options;
    const response = parseResponse(path.join(this.dir, responseName), readTextSync(this.dir, responseName)!);
    if ('error' in response) record.error = response.error;
    else record.response = response.response;
    return record;
  }

  readCallSync(index: number): TraceCall {
    const record = this.readCallRecordSync(index);
    const call: TraceCall = {
      index,
      step: record.request.step,
      request: { messages: record.request.messages ?? [], tools: record.request.tools ?? [] },
    };
    if (record.request.options) call.request.options = record.request.options;
    if (record.response) call.response = record.response;
    if (record.error) call.error = record.error;
    const durationMs = this.#manifest[index - 1]?.duration_ms;
    if (typeof durationMs === 'number') call.durationMs = durationMs;
    return call;
  }

  async readCall(index: number): Promise<TraceCall> {
    return this.readCallSync(index);
  }

  async *calls(): AsyncGenerator<TraceCall> {
    for (let index = 1; index <= this.meta.callCount; index++) yield this.readCallSync(index);
  }

  readVolatile(): VolatileRecord {
    const trajectory = this.#trajectory;
    const volatile: VolatileRecord = {
      steps: this.#steps.filter(isObject).map((step) => ({
        startedAt: typeof step.timestamp === 'number' ? step.timestamp * 1000 : 0,
        durationMs: typeof step.duration_ms === 'number' ? step.duration_ms : 0,
        toolDurationsMs: [
          isObject(step.tool_result) && typeof step.tool_result.duration_ms === 'number'
            ? step.tool_result.duration_ms
            : 0,
        ],
      })),
      calls: this.#manifest.map((entry) => ({
        durationMs: typeof entry.duration_ms === 'number' ? entry.duration_ms : 0,
      })),
    };
    if (typeof trajectory.run_id === 'string') volatile.runId = trajectory.run_id;
    if (typeof trajectory.started_at === 'number')
      volatile.startedAt = new Date(trajectory.started_at * 1000).toISOString();
    if (typeof trajectory.ended_at === 'number')
      volatile.endedAt = new Date(trajectory.ended_at * 1000).toISOString();
    return volatile;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
  return { ...task, goal: typeof task.goal === 'string' ? task.goal : '' };
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

const ERROR_KINDS: Record<string, ToolError['kind']> = {
  permission_denied: 'denied',
  validation: 'invalid_args',
  parse: 'invalid_args',
  cancelled: 'aborted',
};

/** A Python step record (one tool call and its result) as `StepData`. */
function stepOf(file: string, index: number, raw: unknown): StepData {
  if (!isObject(raw)) throw new TraceReadError({ file, problem: 'must hold a JSON object' });
  const call = raw.tool_call;
  if (!isObject(call) || typeof call.tool !== 'string')
    throw new TraceReadError({ file, field: 'tool_call.tool', problem: 'must be a string' });
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
    toolResult.error = { kind: ERROR_KINDS[kind] ?? 'tool_threw', message: result.error };
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

const SYSTEM_MARK = '\n## SYSTEM PROMPT\n\n';
const USER_MARK = '\n## USER PROMPT\n\n';
const TOOLS_MARK = '\n\n## TOOLS\n\n';

/** A `call_NN_prompt.txt`: `# key=value` header lines, then system and user prompt sections. */
function parsePrompt(text: string): {
  step: number;
  messages: Message[];
  tools?: ToolSpec[];
  options?: Record<string, unknown>;
} {
  const step = Number(/^# step=(\d+)/m.exec(text)?.[1] ?? 0);
  const options: Record<string, unknown> = {};
  const settings = /^# temperature=(\S+) max_tokens=(\d+)/m.exec(text);
  if (settings) {
    options.temperature = Number(settings[1]);
    options.max_tokens = Number(settings[2]);
  }
  const userAt = text.indexOf(USER_MARK);
  const systemAt = text.indexOf(SYSTEM_MARK);
  let user = userAt >= 0 ? text.slice(userAt + USER_MARK.length) : text;
  let tools: ToolSpec[] | undefined;
  const toolsAt = user.lastIndexOf(TOOLS_MARK);
  if (toolsAt >= 0) {
    try {
      const listed = JSON.parse(user.slice(toolsAt + TOOLS_MARK.length)) as unknown;
      if (Array.isArray(listed)) {
        tools = listed.filter(isObject).map((tool) => ({
          name: String(tool.name ?? ''),
          description: String(tool.description ?? ''),
          parameters: (isObject(tool.input_schema)
            ? tool.input_schema
            : isObject(tool.parameters)
              ? tool.parameters
              : {}) as Json,
        }));
        user = user.slice(0, toolsAt);
      }
    } catch {
      // Not a tool listing: the text is part of the prompt.
    }
  }
  const messages: Message[] = [];
  if (systemAt >= 0 && (userAt < 0 || systemAt < userAt))
    messages.push({
      role: 'system',
      content: text.slice(systemAt + SYSTEM_MARK.length, userAt >= 0 ? userAt - 1 : undefined),
    });
  messages.push({ role: 'user', content: user });
  const parsed: ReturnType<typeof parsePrompt> = { step, messages };
  if (tools) parsed.tools = tools;
  if (Object.keys(options).length > 0) parsed.options = options;
  return parsed;
}

/** A `call_NN_response.txt`: a header line, an optional `## ERROR` section, then the response. */
function parseResponse(file: string, text: string): { response: LLMResponse } | { error: ErrorRecord } {
  const errorAt = text.indexOf('\n## ERROR\n');
  const match = /\n## RESPONSE( \(content blocks\)| \(repr\))?\n\n/.exec(text);
  if (errorAt >= 0) {
    const message = text.slice(errorAt + '\n## ERROR\n'.length, match ? match.index : undefined).trim();
    const named = /^([A-Za-z_][\w.]*): ([\s\S]*)$/.exec(message);
    return { error: named ? { name: named[1]!, message: named[2]! } : { name: 'Error', message } };
  }
  if (!match) throw new TraceReadError({ file, problem: 'has no "## RESPONSE" section' });
  const body = text.slice(match.index + match[0].length);
  if (match[1] !== ' (content blocks)') return { response: { text: body === '(empty)' ? '' : body } };
  const blocks = parseJson(file, body);
  if (!Array.isArray(blocks))
    throw new TraceReadError({ file, field: 'RESPONSE', problem: 'must be a JSON list of blocks' });
  const response: LLMResponse = {};
  const texts: string[] = [];
  for (const block of blocks.filter(isObject)) {
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    if (block.type === 'tool_use' && typeof block.name === 'string') {
      response.toolCalls ??= [];
      response.toolCalls.push({
        id: typeof block.id === 'string' ? block.id : '',
        name: block.name,
        args: isObject(block.input) ? block.input : {},
      });
    }
  }
  if (texts.length > 0) response.text = texts.join('\n');
  return { response };
}
