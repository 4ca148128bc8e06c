import { canonicalJson } from '../core/canonical-json.js';
import type { ToolSpec } from '../core/llm.js';
import type { Message } from '../core/types.js';
import { CallIdNumbering, type CallView, normalizeMessage, type RequestView } from './request-view.js';

// What changed between a recorded model request and a new one, in the words a reviewer would
// use ("the result of `add` at step 1 changed"), most important first. Replay puts these above the
// raw diff of a divergence; docs/provenance.md lists every sentence.

/** The options of {@link describeRequestChange}. */
export interface RequestChangeInput {
  /** The request as recorded (redacted, as traces store it). */
  recorded: RequestView;
  /** The new request, redacted the same way. */
  fresh: RequestView;
  /**
   * The loop step of the new request: its last model turn is step `step − 1`, so steps are named
   * right also after compaction shortened the conversation. Default (or 0, a call made by a hook):
   * the first model turn in the messages is step 1.
   */
  step?: number;
  /**
   * The messages are the part appended since an earlier call, not a whole conversation: they do
   * not start with the system prompt and the task. Default false.
   */
  continuation?: boolean;
}

/**
 * Compares two model requests structurally and says what changed, most important first: the
 * system prompt, the task, the tools, then each step's tool calls, results and hook context,
 * then the request options. Tool-call ids never count (calls are paired with their results on
 * each side, then compared in order). Returns `[]` when the requests are the same.
 *
 * @example
 * describeRequestChange({ recorded, fresh, step: 2 });
 * // ['the result of `greet` at step 1 changed']
 */
export function describeRequestChange({
  recorded,
  fresh,
  step,
  continuation = false,
}: RequestChangeInput): string[] {
  const before = conversationOf(recorded.messages, continuation);
  const after = conversationOf(fresh.messages, continuation);
  const turnCount = after.turns.length;
  // The new request's last turn is step `step − 1`; without a step, turns count from 1.
  const stepOf = (turn: number) => (step !== undefined && step > 0 ? step - turnCount + turn : turn + 1);

  const changes: string[] = [];
  if (!sameStrings(before.system, after.system)) changes.push('the system prompt changed');
  if (before.task !== after.task) changes.push('the task (first user message) changed');
  changes.push(...describeToolsChange(recorded.tools, fresh.tools));
  if (!sameStrings(before.context, after.context))
    changes.push(`context added by a hook before step ${stepOf(0)} changed`);
  const shared = Math.min(before.turns.length, after.turns.length);
  for (let turn = 0; turn < shared; turn++) {
    const was = before.turns[turn]!;
    const now = after.turns[turn]!;
    const at = stepOf(turn);
    if (was.text !== now.text) changes.push(`the model's text at step ${at} changed`);
    changes.push(...describeCallsChange({ step: at, recorded: was.calls, fresh: now.calls }));
    if (!sameStrings(was.context, now.context))
      changes.push(`context added by a hook after step ${at} changed`);
  }
  const extraTurns = after.turns.length - before.turns.length;
  if (extraTurns !== 0)
    changes.push(
      `the request holds ${Math.abs(extraTurns)} ${extraTurns > 0 ? 'more' : 'fewer'} model turn(s) than the recorded one`,
    );
  changes.push(...describeOptionsChange(recorded.options, fresh.options));
  if (changes.length === 0 && !sameMessages(recorded.messages, fresh.messages))
    changes.push('the conversation changed'); // e.g. a tool message whose call is not in the request
  return [...new Set(changes)];
}

/**
 * The tool calls of one step compared in order: a call missing or added, another tool called,
 * changed arguments, a changed result (or one that is now, or no longer, an error).
 */
export function describeCallsChange({
  step,
  recorded,
  fresh,
}: {
  step: number;
  recorded: readonly CallView[];
  fresh: readonly CallView[];
}): string[] {
  const changes: string[] = [];
  for (let index = 0; index < Math.max(recorded.length, fresh.length); index++) {
    const was = recorded[index];
    const now = fresh[index];
    if (now === undefined) {
      changes.push(`the call to \`${was!.name}\` at step ${step} is missing`);
      continue;
    }
    if (was === undefined) {
      changes.push(`step ${step} makes an extra call to \`${now.name}\``);
      continue;
    }
    if (was.name !== now.name) {
      changes.push(`step ${step} calls \`${now.name}\` where the recording called \`${was.name}\``);
      continue;
    }
    const tool = `\`${now.name}\` at step ${step}`;
    if (canonicalJson(was.args) !== canonicalJson(now.args)) changes.push(`the arguments of ${tool} changed`);
    if (was.result === now.result) continue;
    const wasError = errorKindOf(was.result);
    const nowError = errorKindOf(now.result);
    if (now.result === undefined) changes.push(`the result of ${tool} is missing`);
    else if (nowError !== undefined && wasError === undefined)
      changes.push(`the result of ${tool} is now an error: ${nowError}`);
    else if (wasError !== undefined && nowError === undefined)
      changes.push(`the result of ${tool} is no longer an error (it was: ${wasError})`);
    else changes.push(`the result of ${tool} changed`);
  }
  // Parallel calls of one tool can change alike: each sentence is said once.
  return [...new Set(changes)];
}

/**
 * The model calls a run made against the recorded count, in words: "the agent made one more model
 * call than recorded", "… 2 fewer model calls …". Undefined when they are equal.
 */
export function describeCallCountChange({
  recorded,
  made,
}: {
  recorded: number;
  made: number;
}): string | undefined {
  const extra = made - recorded;
  if (extra === 0) return undefined;
  const count = Math.abs(extra);
  const calls = count === 1 ? 'one' : String(count);
  return `the agent made ${calls} ${extra > 0 ? 'more' : 'fewer'} model call${count === 1 ? '' : 's'} than recorded`;
}

/** Tools added, removed, or with a changed description or parameters (by name), or reordered. */
function describeToolsChange(recorded: readonly ToolSpec[], fresh: readonly ToolSpec[]): string[] {
  const was = new Map(recorded.map((tool) => [tool.name, tool]));
  const now = new Map(fresh.map((tool) => [tool.name, tool]));
  const changes: string[] = [];
  for (const name of now.keys())
    if (!was.has(name)) changes.push(`tool \`${name}\` was added to the request`);
  for (const name of was.keys())
    if (!now.has(name)) changes.push(`tool \`${name}\` was removed from the request`);
  for (const [name, tool] of now) {
    const old = was.get(name);
    if (old === undefined) continue;
    if (old.description !== tool.description) changes.push(`the description of tool \`${name}\` changed`);
    if (canonicalJson(old.parameters) !== canonicalJson(tool.parameters))
      changes.push(`the parameters of tool \`${name}\` changed`);
  }
  if (changes.length === 0) {
    const order = (tools: readonly ToolSpec[]) => tools.map((tool) => tool.name).join('\n');
    if (order(recorded) !== order(fresh)) changes.push('the order of the tools changed');
  }
  return changes;
}

/** Request options (temperature, max tokens…) added, removed or changed. */
function describeOptionsChange(
  recorded: Record<string, unknown> | undefined,
  fresh: Record<string, unknown> | undefined,
): string[] {
  const was = recorded ?? {};
  const now = fresh ?? {};
  const changes: string[] = [];
  for (const key of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
    if (!(key in now)) changes.push(`request option \`${key}\` was removed`);
    else if (!(key in was)) changes.push(`request option \`${key}\` was added`);
    else if (canonicalJson(was[key]) !== canonicalJson(now[key]))
      changes.push(`request option \`${key}\` changed`);
  }
  return changes;
}

/** One model turn: the assistant message, its calls paired with their results, and the context after it. */
interface Turn {
  text: string | undefined;
  calls: CallView[];
  context: string[];
}

/** A conversation split the way the loop builds it. */
interface Conversation {
  system: string[];
  task: string | undefined;
  /** User messages before the first model turn, besides the task (hook context). */
  context: string[];
  turns: Turn[];
}

function conversationOf(messages: readonly Message[], continuation: boolean): Conversation {
  const conversation: Conversation = { system: [], task: undefined, context: [], turns: [] };
  let turn: Turn | undefined;
  let results = new Map<string, string>();
  let pending: Array<{ id: string; call: CallView }> = [];
  const settle = () => {
    for (const { id, call } of pending) call.result = results.get(id);
    pending = [];
    results = new Map();
  };
  for (const message of messages) {
    switch (message.role) {
      case 'assistant':
        settle();
        turn = { text: message.content || undefined, calls: [], context: [] };
        for (const call of message.toolCalls ?? []) {
          const view: CallView = { name: call.name, args: call.args, result: undefined };
          turn.calls.push(view);
          pending.push({ id: call.id, call: view });
        }
        conversation.turns.push(turn);
        break;
      case 'tool':
        // The first result for an id counts; ids themselves are never compared.
        if (!results.has(message.toolCallId)) results.set(message.toolCallId, message.content);
        break;
      case 'system':
        if (turn) turn.context.push(`[system] ${message.content}`);
        else conversation.system.push(message.content);
        break;
      case 'user':
        if (turn) turn.context.push(message.content);
        else if (!continuation && conversation.task === undefined) conversation.task = message.content;
        else conversation.context.push(message.content);
        break;
    }
  }
  settle();
  return conversation;
}

/** The kind of a tool error as the loop writes it for the model (`Error (kind): …`), if it is one. */
function errorKindOf(result: string | undefined): string | undefined {
  return result === undefined ? undefined : /^Error \(([\w-]+)\): /.exec(result)?.[1];
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Messages compared with tool-call ids replaced by their order of appearance on each side. */
function sameMessages(a: readonly Message[], b: readonly Message[]): boolean {
  const strip = (messages: readonly Message[]) => {
    const ids = new CallIdNumbering();
    return canonicalJson(messages.map((message) => normalizeMessage(message, ids)));
  };
  return strip(a) === strip(b);
}
