import type { StepData } from '../../core/step.js';
import type { RecordedTrace } from '../../provenance/types.js';
import { type CallView, CUT_MARK, type RunData, type StepView } from './page-data.js';

/** How much of a trace a page embeds. */
export interface EmbedLimits {
  /** Longest string kept whole (characters); longer ones are cut, saying how much is missing. */
  maxString: number;
  /** Bytes of step data this run may still take; steps past it are left out (counted). */
  maxBytes: number;
}

/** One run as a page embeds it: the JSON of its {@link RunData}, what it ended with, its size. */
export interface EmbeddedRun {
  json: string;
  endReason: string;
  stepCount: number;
  bytes: number;
  /** True when every step fit: the same trace embedded with a larger `maxBytes` gives the same JSON. */
  complete: boolean;
}

/**
 * Reads an opened trace into the page's run data (JSON): metadata, artifacts and steps, one step
 * file at a time, each step serialised once. Strings past `maxString` are cut and steps past
 * `maxBytes` are left out (counted), so a page stays bounded whatever the trace holds.
 */
export function embedRun({ trace, limits }: { trace: RecordedTrace; limits: EmbedLimits }): EmbeddedRun {
  const state = { cut: false };
  const { meta } = trace;
  const volatile = trace.readVolatile();
  const headOf = (keep: <T>(value: T) => T): Omit<RunData, 'steps'> => {
    const head: Omit<RunData, 'steps'> = {
      dir: trace.dir,
      format: meta.source,
      task: keep(meta.task),
      endReason: meta.endReason,
      usage: meta.usage,
      stepCount: meta.stepCount,
      callCount: meta.callCount,
      tools: meta.tools.map((tool) => ({ name: tool.name, description: keep(tool.description) })),
      artifacts: keep(trace.artifacts),
      expected: keep(trace.expected),
    };
    if (meta.model !== undefined) head.model = meta.model;
    if (meta.stopReason !== undefined) head.stopReason = keep(meta.stopReason);
    if (meta.finalOutput !== undefined) head.finalOutput = keep(meta.finalOutput);
    if (volatile?.startedAt !== undefined) head.startedAt = volatile.startedAt;
    if (volatile?.endedAt !== undefined) head.endedAt = volatile.endedAt;
    return head;
  };
  // No string can be longer than the JSON holding it: only a long text is walked to cut strings.
  let headJson = JSON.stringify(headOf((value) => value));
  if (headJson.length > limits.maxString)
    headJson = JSON.stringify(headOf((value) => cutStrings(value, limits.maxString, state)));
  const steps: string[] = [];
  let bytes = 0;
  let stepsLeftOut: number | undefined;
  for (let index = 1; index <= meta.stepCount; index++) {
    const view = stepViewOf(trace.readStep(index));
    let step = JSON.stringify(view);
    if (step.length > limits.maxString) step = JSON.stringify(cutStrings(view, limits.maxString, state));
    const size = Buffer.byteLength(step) + 1;
    if (bytes + size > limits.maxBytes) {
      stepsLeftOut = meta.stepCount - index + 1;
      break;
    }
    bytes += size;
    steps.push(step);
  }
  // The head is serialised once; what the steps decided goes after its last member, as
  // `JSON.stringify` of the head with these members set last would put it.
  const tail = `${stepsLeftOut === undefined ? '' : `,"stepsLeftOut":${stepsLeftOut}`}${state.cut ? ',"cut":true' : ''}`;
  const json = `${headJson.slice(0, -1)}${tail},"steps":[${steps.join(',')}]}`;
  return {
    json,
    endReason: meta.endReason,
    stepCount: meta.stepCount,
    bytes: Buffer.byteLength(json),
    complete: stepsLeftOut === undefined,
  };
}

/** A step as the page shows it: each tool call with its result, empty fields dropped. */
export function stepViewOf(step: StepData): StepView {
  // Results come in call order and name the call they answer; the name wins when the order does not match.
  const byId = new Map(step.results.map((result) => [result.callId, result]));
  const view: StepView = {
    index: step.index,
    calls: step.toolCalls.map((call, position) => {
      const inOrder = step.results[position];
      const result = inOrder?.callId === call.id ? inOrder : (byId.get(call.id) ?? inOrder);
      const entry: CallView = {
        id: call.id,
        name: call.name,
        args: call.args,
        hasResult: result !== undefined,
        durationMs: result?.durationMs ?? 0,
      };
      if (call.argsError !== undefined) entry.argsError = call.argsError;
      if (result) {
        if (JSON.stringify(result.args) !== JSON.stringify(call.args)) entry.ranWith = result.args;
        if (result.data !== undefined) entry.data = result.data;
        if (result.error) entry.error = { kind: result.error.kind, message: result.error.message };
      }
      return entry;
    }),
    startedAt: step.startedAt,
    durationMs: step.durationMs,
  };
  if (step.text !== undefined && step.text !== '') view.text = step.text;
  if (step.usage.totalTokens > 0 || step.usage.promptTokens > 0) view.usage = step.usage;
  if (step.context.length > 0) view.context = step.context;
  if (Object.keys(step.metadata).length > 0) view.metadata = step.metadata;
  if (step.doneRejected !== undefined) view.doneRejected = step.doneRejected;
  return view;
}

/** A copy of `value` with every string longer than `max` cut, saying how many characters are missing. */
export function cutStrings<T>(value: T, max: number, state: { cut: boolean }): T {
  if (typeof value === 'string') {
    if (value.length <= max) return value;
    state.cut = true;
    return `${value.slice(0, max)}${CUT_MARK}${value.length - max} more characters]` as T;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item = cutStrings(value[index], max, state);
      if (item === value[index]) continue;
      copy ??= value.slice();
      copy[index] = item;
    }
    return (copy ?? value) as T;
  }
  if (typeof value === 'object' && value !== null) {
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const kept = cutStrings(item, max, state);
      if (kept === item) continue;
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = kept;
    }
    return (copy ?? value) as T;
  }
  return value;
}
