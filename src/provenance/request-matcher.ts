import { canonicalJson } from '../core/canonical-json.js';
import type { LLMRequest, ToolSpec } from '../core/llm.js';
import type { Message } from '../core/types.js';
import { type CallRecord, requestOptionsOf, type TraceCall } from './records.js';
import type { Redactor } from './redaction.js';
import { describeRequestChange } from './request-change.js';
import {
  CallIdNumbering,
  normalizeMessage,
  type RequestView,
  renderMessage,
  renderRequest,
  unifiedDiff,
} from './request-view.js';
import type { RecordedTrace } from './types.js';

/** How a new request differs from the recorded one: in words, and as a diff. */
export interface RequestMismatch {
  /** What changed, most important first (see `describeRequestChange`). */
  summary: string[];
  /** Unified diff of the two requests as transcripts, recorded `-`, new `+`. */
  diff: string;
}

/**
 * Decides whether a new request equals a recorded one. What counts (docs/provenance.md):
 * every message (role, text, tool calls with their names and arguments, tool results), in order;
 * the tool specs (name, description, parameters, in order); any other request field (temperature…).
 * What does not count: tool-call ids (compared by order of appearance), the `step` number, the
 * abort signal, and secrets (both sides are redacted the same way).
 *
 * Comparing is incremental: when the recorded call continues the previous one and the new request
 * only appended to the previous conversation, only the appended messages are compared, so a
 * replay costs O(new messages) per call. With `lenient`, comparing stays incremental after a
 * mismatch, so each change is reported once, at the call where it appears: a later mismatch
 * shows only the messages added since the previous call.
 */
export class RequestMatcher {
  readonly #redactor: Redactor;
  readonly #traceTools: readonly ToolSpec[];
  readonly #lenient: boolean;
  /** A mismatch was reported: later ones are described from the messages added since. */
  #mismatched = false;
  #traceToolsJson: string | undefined;
  readonly #toolsJson = new WeakMap<readonly ToolSpec[], string>();
  #previous:
    | {
        call: number;
        messages: readonly Message[];
        length: number;
        first: Message | undefined;
        last: Message | undefined;
      }
    | undefined;
  #recordedIds = new CallIdNumbering();
  #newIds = new CallIdNumbering();

  constructor({
    redactor,
    traceTools,
    lenient = false,
  }: {
    redactor: Redactor;
    traceTools: readonly ToolSpec[];
    /** Go on comparing after a mismatch (lenient replay): see the class comment. */
    lenient?: boolean;
  }) {
    this.#redactor = redactor;
    this.#traceTools = traceTools;
    this.#lenient = lenient;
  }

  /**
   * Compares `request` with recorded call `callIndex`. Returns undefined when they match, else
   * what changed in words and a unified diff of the two requests rendered as transcripts.
   */
  match({
    callIndex,
    record,
    full,
    request,
    label,
  }: {
    callIndex: number;
    record: CallRecord;
    /** Reads the recorded call with its full request (only needed when not incremental, or for the diff). */
    full: () => TraceCall;
    request: LLMRequest;
    /** How the recorded side is named in the diff (e.g. the call file). */
    label: string;
  }): RequestMismatch | undefined {
    const { messages } = request;
    const previous = this.#previous;
    const incremental =
      previous !== undefined &&
      record.request.base === previous.call &&
      callIndex === previous.call + 1 &&
      messages === previous.messages &&
      messages.length >= previous.length &&
      messages[0] === previous.first &&
      messages[previous.length - 1] === previous.last;
    let same: boolean;
    if (incremental) {
      same = this.#sameMessages(record.request.append ?? [], messages.slice(previous.length));
    } else {
      this.#recordedIds = new CallIdNumbering();
      this.#newIds = new CallIdNumbering();
      same = this.#sameMessages(full().request.messages, messages);
    }
    same = same && this.#sameTools(record.request.tools, request.tools);
    const options = requestOptionsOf(request);
    same =
      same &&
      canonicalJson(this.#redactor.value(record.request.options ?? {})) ===
        canonicalJson(this.#redactor.value(options ?? {}));
    this.#previous = {
      call: callIndex,
      messages,
      length: messages.length,
      first: messages[0],
      last: messages[messages.length - 1],
    };
    if (same) return undefined;
    // An earlier change was reported already: describe and show only what this call added.
    const continuation = incremental && this.#mismatched;
    const fresh: RequestView = {
      messages: (continuation ? messages.slice(previous.length) : messages).map((message) =>
        this.#redactor.value(message),
      ),
      tools: this.#redactor.value(request.tools),
      options: options && this.#redactor.value(options),
    };
    const recorded: RequestView = continuation
      ? {
          messages: record.request.append ?? [],
          tools: record.request.tools ?? this.#traceTools,
          options: record.request.options,
        }
      : full().request;
    this.#mismatched = true;
    if (!this.#lenient) this.#previous = undefined;
    return {
      summary: describeRequestChange({ recorded, fresh, step: request.step, continuation }),
      diff: unifiedDiff({
        before: renderRequest(recorded),
        after: renderRequest(fresh),
        beforeName: continuation ? `${label} (messages added since call ${previous.call})` : label,
        afterName: continuation ? 'new request (messages added since the previous call)' : 'new request',
      }),
    };
  }

  #sameMessages(recorded: readonly Message[], fresh: readonly Message[]): boolean {
    if (recorded.length !== fresh.length) return false;
    for (let index = 0; index < recorded.length; index++) {
      const a = canonicalJson(normalizeMessage(recorded[index]!, this.#recordedIds));
      const b = canonicalJson(normalizeMessage(this.#redactor.value(fresh[index]!), this.#newIds));
      if (a !== b) return false;
    }
    return true;
  }

  #sameTools(recorded: readonly ToolSpec[] | undefined, fresh: readonly ToolSpec[]): boolean {
    let recordedJson: string;
    if (recorded === undefined) {
      this.#traceToolsJson ??= canonicalJson(this.#traceTools);
      recordedJson = this.#traceToolsJson;
    } else recordedJson = canonicalJson(recorded);
    let freshJson = this.#toolsJson.get(fresh);
    if (freshJson === undefined) {
      freshJson = canonicalJson(this.#redactor.value(fresh));
      this.#toolsJson.set(fresh, freshJson);
    }
    return recordedJson === freshJson;
  }
}

/** The diff shown when a run asks for a call the trace does not hold. */
export function exhaustedDiff({
  request,
  redactor,
  recordedCalls,
}: {
  request: LLMRequest;
  redactor: Redactor;
  recordedCalls: number;
}): string {
  return unifiedDiff({
    before: '',
    after: renderRequest({
      messages: request.messages.map((message) => redactor.value(message)),
      tools: request.tools,
      options: requestOptionsOf(request),
    }),
    beforeName: `recorded (the trace ends after ${recordedCalls} call(s))`,
    afterName: 'new request',
  });
}

/**
 * The diff shown when a run ended before the recording did: the first recorded response it never
 * asked for (what the model answered next), and how many more there are.
 */
export function unusedCallsDiff({ trace, from }: { trace: RecordedTrace; from: number }): string {
  const record = trace.readCallRecord(from);
  const lines: string[] = [];
  if (record.error) lines.push('[error]', `${record.error.name}: ${record.error.message}`);
  else {
    const assistant: Message = { role: 'assistant' };
    if (record.response?.text) assistant.content = record.response.text;
    if (record.response?.toolCalls) assistant.toolCalls = record.response.toolCalls;
    lines.push(...renderMessage(assistant, new CallIdNumbering()));
  }
  const more = trace.meta.callCount - from;
  if (more > 0) lines.push(`… and ${more} more recorded call(s)`);
  return unifiedDiff({
    before: `${lines.join('\n')}\n`,
    after: '',
    beforeName: `recorded call #${from} (its response)`,
    afterName: `new run (ended after ${from - 1} model call(s))`,
  });
}
