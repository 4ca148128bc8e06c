import type { LLMBackend, LLMRequest, LLMResponse, ToolSpec } from '../llm/types.js';
import type { Clock, Message } from '../loop/types.js';
import { type ErrorRecord, errorRecordOf, requestOptionsOf } from './records.js';
import type { Redactor } from './redaction.js';

/** One model call as held in memory until `flush()`: references, serialised only then. */
export interface LoggedCall {
  step: number;
  /** Set for a call that continues `base`'s conversation; `messages` then holds only the new part. */
  base?: number;
  messages: Message[];
  tools: readonly ToolSpec[];
  options?: Record<string, unknown>;
  response?: LLMResponse;
  error?: ErrorRecord;
  durationMs: number;
}

/** What the recorder knows about one conversation (one live `messages` array). */
interface Conversation {
  /** The live messages seen so far (their length, first and last element identify the prefix). */
  length: number;
  first: Message | undefined;
  last: Message | undefined;
  /** The redacted messages, as forwarded and stored. */
  redacted: Message[];
  /** True once a message needed redaction: the request is then forwarded with `redacted`. */
  changed: boolean;
  /** The last call (1-based) made on this conversation. */
  call: number;
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
  readonly #redactor: Redactor;
  readonly #clock: Clock;

  constructor({ redactor, clock }: { redactor: Redactor; clock: Clock }) {
    this.#redactor = redactor;
    this.#clock = clock;
  }

  /** Wraps a backend so every call through it is logged (and redacted before it is forwarded). */
  wrap(llm: LLMBackend): LLMBackend {
    return {
      get model() {
        return llm.model;
      },
      generate: (request) => this.#record(llm, request),
    };
  }

  #record(llm: LLMBackend, request: LLMRequest): Promise<LLMResponse> {
    const started = this.#clock.now();
    const index = this.calls.length + 1;
    const { messages } = request;
    let conversation = this.#conversations.get(messages);
    const call: LoggedCall = {
      step: request.step,
      messages: [],
      tools: request.tools,
      durationMs: 0,
    };
    if (
      conversation !== undefined &&
      messages.length >= conversation.length &&
      messages[0] === conversation.first &&
      messages[conversation.length - 1] === conversation.last
    ) {
      const from = conversation.length;
      for (let at = from; at < messages.length; at++) this.#push(conversation, messages[at]!);
      call.base = conversation.call;
      call.messages = conversation.redacted.slice(from);
    } else {
      conversation = {
        length: 0,
        first: messages[0],
        last: undefined,
        redacted: [],
        changed: false,
        call: index,
      };
      for (const message of messages) this.#push(conversation, message);
      this.#conversations.set(messages, conversation);
      call.messages = conversation.redacted.slice();
    }
    conversation.length = messages.length;
    conversation.last = messages[messages.length - 1];
    conversation.call = index;
    const options = requestOptionsOf(request);
    if (options) call.options = options;
    this.calls.push(call);

    // Every field of the request is forwarded; only the messages are replaced, and only when a
    // secret had to be redacted from them.
    const forwarded: LLMRequest = conversation.changed
      ? { ...request, messages: conversation.redacted }
      : request;
    // Promise callbacks rather than an async function: one frame less on every model call.
    const settled = (): void => {
      call.durationMs = this.#clock.now() - started;
    };
    let pending: Promise<LLMResponse>;
    try {
      pending = llm.generate(forwarded);
    } catch (error) {
      settled();
      call.error = errorRecordOf(error);
      return Promise.reject(error);
    }
    return pending.then(
      (response) => {
        settled();
        call.response = response;
        return response;
      },
      (error: unknown) => {
        settled();
        call.error = errorRecordOf(error);
        throw error;
      },
    );
  }

  #push(conversation: Conversation, message: Message): void {
    const redacted = this.#redactor.value(message);
    if (redacted !== message) conversation.changed = true;
    conversation.redacted.push(redacted);
  }
}
