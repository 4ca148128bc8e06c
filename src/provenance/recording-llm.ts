import type { LLMBackend, LLMRequest, LLMResponse, ToolSpec } from '../core/llm.js';
import type { Clock, Message } from '../core/types.js';
import { type ErrorRecord, errorRecordOf, requestOptionsOf } from './records.js';
import { type Redactor, redactMessage } from './redaction.js';

/** What the recorder knows about one conversation (one live `messages` array). */
interface Conversation {
  /** The live array (append-only between calls: compaction replaces it rather than editing it). */
  readonly live: readonly Message[];
  /** Its length, first and last element at the last call: they tell whether it only grew since. */
  length: number;
  first: Message | undefined;
  last: Message | undefined;
  /**
   * The messages with secrets redacted, created when the first secret is found (until then the
   * live array is what was sent). Same indices as `live`.
   */
  redacted: Message[] | undefined;
  /** The last call (1-based) made on this conversation. */
  call: number;
}

/**
 * One model call as held in memory until `flush()`: references and a range of its conversation,
 * serialised only then, so recording a call allocates almost nothing.
 */
export class LoggedCall {
  readonly step: number;
  /** Set for a call that continues `base`'s conversation: the stored messages are then the new part. */
  readonly base: number | undefined;
  readonly tools: readonly ToolSpec[];
  readonly options: Record<string, unknown> | undefined;
  response: LLMResponse | undefined;
  error: ErrorRecord | undefined;
  durationMs = 0;
  readonly #conversation: Conversation;
  readonly #from: number;
  readonly #to: number;

  constructor({
    step,
    base,
    tools,
    options,
    conversation,
    from,
    to,
  }: {
    step: number;
    base: number | undefined;
    tools: readonly ToolSpec[];
    options: Record<string, unknown> | undefined;
    conversation: Conversation;
    from: number;
    to: number;
  }) {
    this.step = step;
    this.base = base;
    this.tools = tools;
    this.options = options;
    this.#conversation = conversation;
    this.#from = from;
    this.#to = to;
  }

  /** The stored messages (as forwarded; `flush()` redacts them): all of them, or those appended since `base`. */
  get messages(): Message[] {
    return (this.#conversation.redacted ?? this.#conversation.live).slice(this.#from, this.#to);
  }
}

/**
 * The calls of one recording, shared by every backend a sink wraps. Requests are snapshotted
 * during `generate` in O(new messages): the loop's `messages` array only grows between calls
 * (compaction replaces it), so a call stores what was appended since the previous call on the
 * same array, or the whole list when the array is new.
 */
export class CallLog {
  readonly calls: LoggedCall[] = [];
  readonly #conversations = new WeakMap<readonly Message[], Conversation>();
  /** The redaction applied before a request is forwarded (usually none: see `redactRequests`). */
  readonly #upstream: Redactor;
  readonly #clock: Clock;

  constructor({ upstream, clock }: { upstream: Redactor; clock: Clock }) {
    this.#upstream = upstream;
    this.#clock = clock;
  }

  /** Wraps a backend so every call through it is logged (and redacted, if asked, before it is forwarded). */
  wrap(llm: LLMBackend): LLMBackend {
    const wrapped: LLMBackend = {
      get model() {
        return llm.model;
      },
      generate: (request) => this.#record(llm, request),
    };
    // A replaying backend's recorded tool results are forwarded (nothing to record: they are step data).
    if (llm.recordedToolResult) wrapped.recordedToolResult = (call) => llm.recordedToolResult?.(call);
    return wrapped;
  }

  #record(llm: LLMBackend, request: LLMRequest): Promise<LLMResponse> {
    const started = this.#clock.now();
    const index = this.calls.length + 1;
    const { messages } = request;
    let conversation = this.#conversations.get(messages);
    let from = 0;
    let base: number | undefined;
    if (
      conversation !== undefined &&
      messages.length >= conversation.length &&
      messages[0] === conversation.first &&
      messages[conversation.length - 1] === conversation.last
    ) {
      from = conversation.length;
      base = conversation.call;
    } else {
      conversation = {
        live: messages,
        length: 0,
        first: messages[0],
        last: undefined,
        redacted: undefined,
        call: 0,
      };
      this.#conversations.set(messages, conversation);
    }
    this.#redactNew(conversation, from);
    conversation.length = messages.length;
    conversation.last = messages[messages.length - 1];
    conversation.call = index;
    const call = new LoggedCall({
      step: request.step,
      base,
      tools: request.tools,
      options: requestOptionsOf(request),
      conversation,
      from,
      to: messages.length,
    });
    this.calls.push(call);

    // Every field of the request is forwarded; only the messages are replaced, and only when a
    // secret had to be redacted from them.
    const forwarded: LLMRequest =
      conversation.redacted === undefined ? request : { ...request, messages: conversation.redacted };
    let pending: Promise<LLMResponse>;
    try {
      pending = llm.generate(forwarded);
    } catch (error) {
      call.durationMs = this.#clock.now() - started;
      call.error = errorRecordOf(error);
      return Promise.reject(error);
    }
    // The caller gets the backend's own promise: recording adds no step to its await. The
    // handlers below are registered first, so the call is recorded before the caller resumes;
    // they do not rethrow, and the caller's await handles a rejection.
    pending.then(
      (response) => {
        call.durationMs = this.#clock.now() - started;
        call.response = response;
      },
      (error: unknown) => {
        call.durationMs = this.#clock.now() - started;
        call.error = errorRecordOf(error);
      },
    );
    return pending;
  }

  /** Redacts the messages appended from `from` on, creating the redacted copy at the first secret. */
  #redactNew(conversation: Conversation, from: number): void {
    if (!this.#upstream.enabled) return;
    const { live } = conversation;
    for (let at = from; at < live.length; at++) {
      const message = live[at]!;
      const redacted = redactMessage(this.#upstream, message);
      if (conversation.redacted) conversation.redacted.push(redacted);
      else if (redacted !== message) {
        conversation.redacted = live.slice(0, at);
        conversation.redacted.push(redacted);
      }
    }
  }
}
