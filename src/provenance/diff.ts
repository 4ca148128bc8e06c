import { canonicalJson, canonicalJsonLine } from '../core/canonical-json.js';
import type { Message, ToolCall } from '../core/types.js';
import { callFile, stepFile } from './layout.js';
import { type CallRecord, type StepRecord, stepRecordOf } from './records.js';
import {
  CallIdNumbering,
  normalizeMessage,
  renderMessage,
  renderTools,
  unifiedDiff,
} from './request-view.js';
import { TraceFiles } from './trace-files.js';
import type { RecordedTrace } from './types.js';

/** One difference between two traces. */
export interface TraceDifference {
  /**
   * `meta` (a field of trace.json), `step` (a step's tool calls, results, text, context…),
   * `request` or `response` (of a model call), `artifacts`, `expected`, `volatile`.
   */
  kind: 'meta' | 'step' | 'request' | 'response' | 'artifacts' | 'expected' | 'volatile';
  /** The step number (for `step`), or the model call number (for `request` and `response`). */
  index?: number;
  /** The step a model call belongs to. */
  step?: number;
  /** One line saying what differs. */
  summary: string;
  /** A unified diff, trace a (`-`) against trace b (`+`). */
  diff: string;
}

/**
 * Compares two traces step by step and yields their differences in step order: metadata first,
 * then for each step the model calls made up to it (prompt and response) and the step itself,
 * then artifacts and expected data. Volatile data (times, durations, run id, host) is compared
 * only with `includeVolatile`. Tool-call ids are compared by order of appearance, as in replay.
 * Files are read one at a time, so memory stays bounded whatever the trace length.
 *
 * @example
 * for await (const difference of diffTraces({ a: await readTrace('a'), b: await readTrace('b') }))
 *   console.log(difference.summary);
 */
export async function* diffTraces({
  a,
  b,
  includeVolatile = false,
}: {
  a: RecordedTrace;
  b: RecordedTrace;
  includeVolatile?: boolean;
}): AsyncGenerator<TraceDifference> {
  yield* diffMeta(a, b, includeVolatile);
  // Most of two traces is usually byte-identical: skip that prefix without parsing it.
  const firstStep = firstDifferent(a, b, 'step');
  const firstCall = firstDifferent(a, b, 'call');
  const steps = new StepComparer(a, b);
  const calls = new CallComparer(a, b, firstCall);
  const stepCount = Math.max(a.meta.stepCount, b.meta.stepCount);
  for (let index = firstStep; index <= stepCount; index++) {
    yield* calls.upTo(index);
    const difference = steps.compare(index);
    if (difference) yield difference;
  }
  yield* calls.upTo(Number.POSITIVE_INFINITY);
  for (const kind of ['artifacts', 'expected'] as const) {
    const diff = jsonDiff(a[kind], b[kind], `a/${kind}.json`, `b/${kind}.json`);
    if (diff) yield { kind, summary: `${kind}.json differs`, diff };
  }
  if (includeVolatile) {
    const diff = jsonDiff(
      a.readVolatile() ?? {},
      b.readVolatile() ?? {},
      'a/volatile.json',
      'b/volatile.json',
    );
    if (diff) yield { kind: 'volatile', summary: 'volatile.json differs', diff };
  }
}

function* diffMeta(a: RecordedTrace, b: RecordedTrace, includeVolatile: boolean): Generator<TraceDifference> {
  const left = stableMeta(a, includeVolatile);
  const right = stableMeta(b, includeVolatile);
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  for (const key of keys) {
    const diff = jsonDiff(left[key], right[key], `a/trace.json ${key}`, `b/trace.json ${key}`);
    if (diff)
      yield {
        kind: 'meta',
        summary: `trace.json ${key}: ${short(left[key])} → ${short(right[key])}`,
        diff,
      };
  }
}

/** Python traces keep run id and times in their metadata: volatile, compared only when asked. */
const VOLATILE_METADATA = ['run_id', 'started_at', 'ended_at'];

function stableMeta(trace: RecordedTrace, includeVolatile: boolean): Record<string, unknown> {
  const meta: Record<string, unknown> = { ...trace.meta };
  if (includeVolatile) return meta;
  delete meta.runId;
  if (meta.metadata !== undefined) {
    const metadata = { ...(meta.metadata as Record<string, unknown>) };
    for (const key of VOLATILE_METADATA) delete metadata[key];
    meta.metadata = metadata;
  }
  return meta;
}

/** Compares steps; byte-identical step files are taken as equal without parsing. */
class StepComparer {
  readonly #a: RecordedTrace;
  readonly #b: RecordedTrace;
  /** Ids are numbered from the first differing step on (the identical prefix has identical ids). */
  #ids: [CallIdNumbering, CallIdNumbering] | undefined;

  constructor(a: RecordedTrace, b: RecordedTrace) {
    this.#a = a;
    this.#b = b;
  }

  compare(index: number): TraceDifference | undefined {
    const inA = index <= this.#a.meta.stepCount;
    const inB = index <= this.#b.meta.stepCount;
    const left = inA ? stepRecordOf(this.#a.readStep(index)) : undefined;
    const right = inB ? stepRecordOf(this.#b.readStep(index)) : undefined;
    this.#ids ??= [new CallIdNumbering(), new CallIdNumbering()];
    if (
      left &&
      right &&
      canonicalJson(normalizeStep(left, this.#ids[0])) === canonicalJson(normalizeStep(right, this.#ids[1]))
    )
      return undefined;
    const diff = unifiedDiff({
      before: left ? canonicalJson(left) : '',
      after: right ? canonicalJson(right) : '',
      beforeName: `a/${stepFile(index, this.#a.meta.stepCount)}`,
      afterName: `b/${stepFile(index, this.#b.meta.stepCount)}`,
    });
    const summary = !left
      ? `step ${index} only in b`
      : !right
        ? `step ${index} only in a`
        : `step ${index}: ${stepChange(left, right)}`;
    return { kind: 'step', index, summary, diff };
  }
}

/** What changed in a step, in words. */
function stepChange(a: StepRecord, b: StepRecord): string {
  const calls = (step: StepRecord) =>
    step.toolCalls.map((call) => `${call.name}(${canonicalJsonLine(call.args)})`).join(' ');
  if (calls(a) !== calls(b)) return 'tool calls differ';
  if (canonicalJson(a.results) !== canonicalJson(b.results)) return 'tool results differ';
  if (a.text !== b.text) return 'model text differs';
  return 'differs';
}

function normalizeStep(step: StepRecord, ids: CallIdNumbering): StepRecord {
  return {
    ...step,
    toolCalls: step.toolCalls.map((call) => ({ ...call, id: ids.of(call.id) })),
    results: step.results.map((result) => ({ ...result, callId: ids.of(result.callId) })),
  };
}

/** Compares model calls in order: requests (incrementally, like replay) and responses. */
class CallComparer {
  readonly #a: RecordedTrace;
  readonly #b: RecordedTrace;
  #next: number;
  #ids: [CallIdNumbering, CallIdNumbering] | undefined;
  /** Whether the full message list of call n is equal in both traces (for calls that continue it). */
  readonly #sameMessages = new Map<number, boolean>();

  constructor(a: RecordedTrace, b: RecordedTrace, first: number) {
    this.#a = a;
    this.#b = b;
    this.#next = first;
    // Calls before `first` are byte-identical, so their message lists are equal.
    for (let index = 1; index < first; index++) this.#sameMessages.set(index, true);
  }

  /** Compares the calls made up to (and in) `step`. */
  *upTo(step: number): Generator<TraceDifference> {
    const count = Math.max(this.#a.meta.callCount, this.#b.meta.callCount);
    while (this.#next <= count) {
      const index = this.#next;
      const recordA = index <= this.#a.meta.callCount ? this.#a.readCallRecord(index) : undefined;
      const recordB = index <= this.#b.meta.callCount ? this.#b.readCallRecord(index) : undefined;
      const callStep = (recordA ?? recordB)!.request.step;
      if (callStep > step) return;
      this.#next++;
      yield* this.#compare(index, callStep, recordA, recordB);
    }
  }

  *#compare(
    index: number,
    step: number,
    a: CallRecord | undefined,
    b: CallRecord | undefined,
  ): Generator<TraceDifference> {
    const names = {
      beforeName: `a/${callFile(index, this.#a.meta.callCount)}`,
      afterName: `b/${callFile(index, this.#b.meta.callCount)}`,
    };
    if (!a || !b) {
      const only = (a ?? b)!;
      const lines = (only.request.messages ?? only.request.append ?? []).flatMap((message) =>
        renderMessage(message),
      );
      const text = `${lines.join('\n')}\n`;
      yield {
        kind: 'request',
        index,
        step,
        summary: `model call ${index} only in ${a ? 'a' : 'b'}`,
        diff: unifiedDiff({ before: a ? text : '', after: b ? text : '', ...names }),
      };
      return;
    }
    this.#ids ??= [new CallIdNumbering(), new CallIdNumbering()];
    const [idsA, idsB] = this.#ids;
    const sameShape =
      (a.request.messages !== undefined && b.request.messages !== undefined) ||
      (a.request.base !== undefined && a.request.base === b.request.base);
    if (sameShape) {
      const partA = a.request.messages ?? a.request.append ?? [];
      const partB = b.request.messages ?? b.request.append ?? [];
      const partSame = sameMessages(partA, partB, idsA, idsB);
      const prefixSame = a.request.base === undefined || (this.#sameMessages.get(a.request.base) ?? false);
      this.#sameMessages.set(index, partSame && prefixSame);
      if (!partSame)
        yield {
          kind: 'request',
          index,
          step,
          summary:
            a.request.base === undefined
              ? `model call ${index} (step ${step}): the prompt differs`
              : `model call ${index} (step ${step}): the messages added since call ${a.request.base} differ`,
          diff: unifiedDiff({ before: renderPart(partA), after: renderPart(partB), ...names }),
        };
    } else {
      const fullA = this.#a.readCall(index).request.messages;
      const fullB = this.#b.readCall(index).request.messages;
      const same = sameMessages(fullA, fullB, new CallIdNumbering(), new CallIdNumbering());
      this.#sameMessages.set(index, same);
      if (!same)
        yield {
          kind: 'request',
          index,
          step,
          summary: `model call ${index} (step ${step}): the prompt differs`,
          diff: unifiedDiff({ before: renderPart(fullA), after: renderPart(fullB), ...names }),
        };
    }
    const toolsA = a.request.tools ?? this.#a.meta.tools;
    const toolsB = b.request.tools ?? this.#b.meta.tools;
    if (canonicalJson(toolsA) !== canonicalJson(toolsB))
      yield {
        kind: 'request',
        index,
        step,
        summary: `model call ${index} (step ${step}): the tools differ`,
        diff: unifiedDiff({
          before: `${renderTools(toolsA).join('\n')}\n`,
          after: `${renderTools(toolsB).join('\n')}\n`,
          ...names,
        }),
      };
    const optionsDiff = jsonDiff(
      a.request.options ?? {},
      b.request.options ?? {},
      names.beforeName,
      names.afterName,
    );
    if (optionsDiff)
      yield {
        kind: 'request',
        index,
        step,
        summary: `model call ${index} (step ${step}): the request options differ`,
        diff: optionsDiff,
      };
    const answerA = canonicalJson(normalizeAnswer(a, idsA));
    const answerB = canonicalJson(normalizeAnswer(b, idsB));
    if (answerA !== answerB)
      yield {
        kind: 'response',
        index,
        step,
        summary: `model call ${index} (step ${step}): the ${a.error || b.error ? 'outcome' : 'response'} differs`,
        diff: unifiedDiff({
          before: canonicalJson(a.error ? { error: a.error } : { response: a.response }),
          after: canonicalJson(b.error ? { error: b.error } : { response: b.response }),
          ...names,
        }),
      };
  }
}

function sameMessages(
  a: readonly Message[],
  b: readonly Message[],
  idsA: CallIdNumbering,
  idsB: CallIdNumbering,
): boolean {
  let same = a.length === b.length;
  // Every message is numbered, even after a difference, so later calls stay comparable.
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const left = a[index] ? canonicalJson(normalizeMessage(a[index]!, idsA)) : undefined;
    const right = b[index] ? canonicalJson(normalizeMessage(b[index]!, idsB)) : undefined;
    if (left !== right) same = false;
  }
  return same;
}

function normalizeAnswer(record: CallRecord, ids: CallIdNumbering): unknown {
  if (record.error) return { error: record.error };
  const response = record.response ?? {};
  if (!response.toolCalls) return { response };
  return {
    response: {
      ...response,
      toolCalls: response.toolCalls.map((call: ToolCall) => ({
        ...call,
        id: call.id ? ids.of(call.id) : '',
      })),
    },
  };
}

function renderPart(messages: readonly Message[]): string {
  return `${messages.flatMap((message) => renderMessage(message)).join('\n')}\n`;
}

function jsonDiff(a: unknown, b: unknown, beforeName: string, afterName: string): string {
  const before = a === undefined ? '' : canonicalJson(a);
  const after = b === undefined ? '' : canonicalJson(b);
  return unifiedDiff({ before, after, beforeName, afterName });
}

function short(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = canonicalJsonLine(value);
  return text.length <= 60 ? text : `${text.slice(0, 59)}…`;
}

/**
 * The first step (or call) whose file is not byte-identical in both traces: 1 when either trace
 * is not a format-v1 trace (only those are compared as bytes), one past the shorter trace when
 * all shared files are identical.
 */
function firstDifferent(a: RecordedTrace, b: RecordedTrace, kind: 'step' | 'call'): number {
  const v1 = (trace: RecordedTrace) => trace.meta.source === 'looplet';
  if (!v1(a) || !v1(b)) return 1;
  const countOf = (trace: RecordedTrace) => (kind === 'step' ? trace.meta.stepCount : trace.meta.callCount);
  const nameOf = kind === 'step' ? stepFile : callFile;
  const shared = Math.min(countOf(a), countOf(b));
  const filesA = new TraceFiles({ root: a.dir });
  const filesB = new TraceFiles({ root: b.dir });
  for (let index = 1; index <= shared; index++) {
    const left = rawFile(filesA, nameOf(index, countOf(a)));
    if (left === undefined || left !== rawFile(filesB, nameOf(index, countOf(b)))) return index;
  }
  return shared + 1;
}

function rawFile(files: TraceFiles, name: string): string | undefined {
  try {
    return files.readText(name);
  } catch {
    return undefined; // The reader reports the problem when the comparison reads the file.
  }
}
