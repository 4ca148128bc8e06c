import type { LLMBackend } from '../core/llm.js';
import type { LoopState } from '../core/state.js';
import type { Step } from '../core/step.js';
import type { Message, ToolCall, ToolResult } from '../core/types.js';
import { errorMessage, LoopletError } from '../util/errors.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-async.js';
import { type HookDecision, mergeDecisions } from './decision.js';
import {
  decisionFromAnswer,
  describeHook,
  HookAnswerProblem,
  hookName,
  previewAnswer,
} from './hook-answers.js';
import type { RunResult } from './result.js';

/**
 * A hook method's return: a decision, nothing, or a promise of either. `Also` is the shorthand a
 * method takes besides (docs/hooks.md, "Answers"): `checkPermission` and `shouldStop` a boolean,
 * `checkDone` a string (the refusal), `preLoop`, `prePrompt`, `postDispatch` and `onStep` a string
 * (context for the model).
 */
export type HookReturn<Also = never> = SettledReturn<Also> | Promise<SettledReturn<Also>>;

// biome-ignore lint/suspicious/noConfusingVoidType: `void` lets hook methods with no return statement type-check.
type SettledReturn<Also> = HookDecision | Also | undefined | void;

/** A hook method's answer once settled. */
// biome-ignore lint/suspicious/noConfusingVoidType: see HookReturn.
type HookAnswer = HookDecision | string | boolean | undefined | void;

/**
 * A hook is any object with some of these methods. Each method takes one argument object, so
 * fields can be added without breaking hooks. In one step they run in this order:
 * `shouldCompact`/`compact` → `buildBriefing` → `prePrompt` → model call → per tool call
 * `preDispatch` → `checkPermission` → tool → `postDispatch` → `checkDone` (when the done tool was
 * called) → `onStep` → (step yielded) → `shouldStop`. `preLoop` runs once before the
 * first step and `onLoopEnd` exactly once after the last, however the run ends.
 */
export interface Hook {
  /** Shown in errors and traces. */
  readonly name?: string;
  preLoop?(args: { state: LoopState }): HookReturn<string>;
  /** Return true to have `compact` run before this step's model call. */
  shouldCompact?(args: {
    state: LoopState;
    step: number;
  }): boolean | undefined | Promise<boolean | undefined>;
  /** Return a shorter conversation to replace `messages`. Hooks run in order, each on the last one's output. */
  compact?(args: {
    state: LoopState;
    step: number;
    messages: Message[];
    llm: LLMBackend;
  }): Message[] | undefined | Promise<Message[] | undefined>;
  /** Text added to the conversation (as a user message) before the model call. */
  buildBriefing?(args: { state: LoopState; step: number }): string | undefined | Promise<string | undefined>;
  prePrompt?(args: { state: LoopState; step: number }): HookReturn<string>;
  /** May block the call, rewrite its arguments, or supply a result and skip the tool. */
  preDispatch?(args: { state: LoopState; step: number; call: ToolCall }): HookReturn;
  /** Allow or deny the call (after `preDispatch` rewrote it); `false` denies. May be async, e.g. to ask a human. */
  checkPermission?(args: { state: LoopState; step: number; call: ToolCall }): HookReturn<boolean>;
  /** May replace the result or add context for the next model call. */
  postDispatch?(args: {
    state: LoopState;
    step: number;
    call: ToolCall;
    result: ToolResult;
  }): HookReturn<string>;
  /** Sees every finished step (a refused done already marked) before the consumer does (tracers, recorders). */
  onStep?(args: { state: LoopState; step: number; current: Step }): HookReturn<string>;
  /** Runs when the model called the done tool: `block` (or a string, the reason) refuses it and the loop goes on. */
  checkDone?(args: { state: LoopState; step: number; current: Step; output: unknown }): HookReturn<string>;
  /** Return `{ stop }` (or `true`) to end the run after this step. */
  shouldStop?(args: { state: LoopState; step: number; current: Step }): HookReturn<boolean>;
  /** Runs exactly once when the run ends, also after errors, aborts and a consumer's `break`. */
  onLoopEnd?(args: { state: LoopState; result: RunResult }): void | Promise<void>;
}

/** The methods of {@link Hook} that return a {@link HookDecision}. */
export const DECISION_METHODS = [
  'preLoop',
  'prePrompt',
  'preDispatch',
  'checkPermission',
  'postDispatch',
  'onStep',
  'checkDone',
  'shouldStop',
] as const satisfies readonly (keyof Hook)[];

/** A method of {@link Hook} that returns a {@link HookDecision}. */
export type DecisionMethod = (typeof DECISION_METHODS)[number];

/** The methods of {@link Hook}, in the order the loop calls them. */
export const HOOK_METHODS = [
  'preLoop',
  'shouldCompact',
  'compact',
  'buildBriefing',
  'prePrompt',
  'preDispatch',
  'checkPermission',
  'postDispatch',
  'onStep',
  'checkDone',
  'shouldStop',
  'onLoopEnd',
] as const satisfies readonly (keyof Hook)[];

/**
 * A hook threw (or rejected), or answered something its method cannot take (then `returned` holds
 * it). The run ends; `onLoopEnd` still runs; `run.result` rejects with this.
 */
export class HookError extends LoopletError {
  /** Position of the hook in the list it was passed in. */
  readonly hookIndex: number;
  /** Its `name`, else its class name, else `hooks[<index>]`. */
  readonly hookName: string;
  readonly method: string;
  readonly step: number;
  /** What the hook returned, when the error is about its answer rather than a throw. */
  readonly returned?: unknown;

  constructor({
    hook,
    hookIndex,
    method,
    step,
    cause,
  }: {
    hook: Hook;
    hookIndex: number;
    method: string;
    step: number;
    cause: unknown;
  }) {
    const who = describeHook(hook, hookIndex);
    const message =
      cause instanceof HookAnswerProblem
        ? `${who} returned ${previewAnswer(cause.returned)} from ${method} at step ${step}: ${cause.message}`
        : `${who} threw in ${method} at step ${step}: ${errorMessage(cause)}`;
    super({
      message,
      code: cause instanceof HookAnswerProblem ? 'HOOK_ANSWER' : 'HOOK_THREW',
      ...(cause instanceof HookAnswerProblem ? {} : { cause }),
    });
    this.hookIndex = hookIndex;
    this.hookName = hookName(hook, hookIndex);
    this.method = method;
    this.step = step;
    if (cause instanceof HookAnswerProblem) this.returned = cause.returned;
  }
}

type DecisionArgs<M extends DecisionMethod> = Parameters<NonNullable<Hook[M]>>[0];

/**
 * Runs one decision method over hooks in order and merges their decisions (see
 * `mergeDecisions`). A block short-circuits: hooks after it are not called. In `preDispatch`
 * and `checkPermission`, each hook sees the call with the arguments earlier hooks updated; in
 * `postDispatch`, the result earlier hooks replaced.
 *
 * Returns synchronously while every hook answers synchronously, and a promise from the first
 * hook that returns one: most hooks are synchronous, and skipping a microtask per hook point
 * keeps the loop's per-step overhead to a few microseconds.
 */
export function runDecisionHooks<M extends DecisionMethod>(
  hooks: readonly Hook[],
  method: M,
  args: DecisionArgs<M>,
  step: number,
): HookDecision | Promise<HookDecision> {
  // The fold is made only once a hook has something to say: most hook calls answer nothing.
  let fold: DecisionFold | undefined;
  for (let index = 0; index < hooks.length; index++) {
    const out = invokeHook(
      hooks,
      index,
      method,
      fold ? fold.current : (args as Record<string, unknown>),
      step,
    );
    if (out === undefined || out === null) continue;
    if (isPromiseLike(out)) {
      fold ??= new DecisionFold(method, args as Record<string, unknown>);
      return continueAsync(hooks, method, step, fold, index, out);
    }
    const decision = readAnswer(hooks, index, method, step, out);
    if (decision === undefined) continue;
    fold ??= new DecisionFold(method, args as Record<string, unknown>);
    if (fold.absorb(decision)) break;
  }
  return fold ? fold.merged : NO_DECISION;
}

/** The decision of a hook point where no hook said anything. Frozen: callers copy, never mutate. */
const NO_DECISION: HookDecision = Object.freeze({});

async function continueAsync(
  hooks: readonly Hook[],
  method: DecisionMethod,
  step: number,
  fold: DecisionFold,
  pendingIndex: number,
  pending: PromiseLike<HookAnswer>,
): Promise<HookDecision> {
  const first = readAnswer(
    hooks,
    pendingIndex,
    method,
    step,
    await settleHook(hooks, pendingIndex, method, step, pending),
  );
  if (first !== undefined && fold.absorb(first)) return fold.merged;
  for (let index = pendingIndex + 1; index < hooks.length; index++) {
    const out = invokeHook(hooks, index, method, fold.current, step);
    const settled = isPromiseLike<HookAnswer>(out) ? await settleHook(hooks, index, method, step, out) : out;
    const decision = readAnswer(hooks, index, method, step, settled);
    if (decision !== undefined && fold.absorb(decision)) break;
  }
  return fold.merged;
}

/** The decision a hook's settled answer stands for (see `decisionFromAnswer`); a bad answer is a {@link HookError}. */
function readAnswer(
  hooks: readonly Hook[],
  index: number,
  method: DecisionMethod,
  step: number,
  answer: unknown,
): HookDecision | undefined {
  if (answer === undefined || answer === null) return undefined;
  try {
    return decisionFromAnswer(method, answer, hooks[index]!);
  } catch (cause) {
    throw asHookError(hooks[index]!, listIndex(hooks, index), method, step, cause);
  }
}

/** Calls one hook's method (if it has it), turning a synchronous throw into a {@link HookError}. */
function invokeHook(
  hooks: readonly Hook[],
  index: number,
  method: DecisionMethod,
  args: Record<string, unknown>,
  step: number,
): HookReturn<string | boolean> {
  const hook = hooks[index]!;
  const fn = hook[method] as ((a: unknown) => HookReturn<string | boolean>) | undefined;
  if (fn === undefined) return undefined;
  try {
    return fn.call(hook, args);
  } catch (cause) {
    throw asHookError(hook, listIndex(hooks, index), method, step, cause);
  }
}

async function settleHook(
  hooks: readonly Hook[],
  index: number,
  method: DecisionMethod,
  step: number,
  pending: PromiseLike<HookAnswer>,
): Promise<HookAnswer> {
  try {
    return await pending;
  } catch (cause) {
    throw asHookError(hooks[index]!, listIndex(hooks, index), method, step, cause);
  }
}

// The loop keeps, per method, only the hooks that implement it; a HookError must still name the
// hook's position in the list the user passed, so each subset remembers those positions.
const listPositions = new WeakMap<readonly Hook[], readonly number[]>();

/** The hooks of `hooks` that implement `method`, remembering their positions for {@link HookError}. */
export function hooksWith(hooks: readonly Hook[], method: keyof Hook): Hook[] {
  const subset: Hook[] = [];
  const positions: number[] = [];
  hooks.forEach((hook, index) => {
    if (typeof hook[method] !== 'function') return;
    subset.push(hook);
    positions.push(index);
  });
  // Positions equal to the indices (the usual case) need no entry: `listIndex` falls back to the
  // index. Every run groups its hooks, and a WeakMap entry is costly to make and to collect.
  if (positions.some((position, index) => position !== index)) listPositions.set(subset, positions);
  return subset;
}

/** The position in the user's hook list of `hooks[index]` (itself when `hooks` is not a subset). */
export function listIndex(hooks: readonly Hook[], index: number): number {
  return listPositions.get(hooks)?.[index] ?? index;
}

function asHookError(hook: Hook, index: number, method: string, step: number, cause: unknown): HookError {
  if (cause instanceof HookError) return cause;
  return new HookError({ hook, hookIndex: index, method, step, cause });
}

/** The running merge of one hook point's decisions, and the arguments the next hook sees. */
class DecisionFold {
  merged: HookDecision = {};
  current: Record<string, unknown>;
  readonly #method: DecisionMethod;

  constructor(method: DecisionMethod, args: Record<string, unknown>) {
    this.#method = method;
    this.current = args;
  }

  /** Folds one hook's answer in; returns true when the point is now blocked (stop calling hooks). */
  absorb(decision: HookDecision): boolean {
    this.merged = mergeDecisions(this.merged, decision);
    if (this.merged.block !== undefined) return true;
    if (decision.updatedArgs !== undefined && 'call' in this.current) {
      this.current = {
        ...this.current,
        call: { ...(this.current.call as ToolCall), args: decision.updatedArgs },
      };
    }
    if (decision.updatedResult !== undefined && this.#method === 'postDispatch') {
      this.current = {
        ...this.current,
        result: { ...(this.current.result as ToolResult), data: decision.updatedResult, error: undefined },
      };
    }
    return false;
  }
}

/**
 * Calls one non-decision hook method, wrapping a throw or rejection in {@link HookError}.
 * Synchronous answers come back synchronously (see `runDecisionHooks`).
 */
export function callHook<T>(
  hook: Hook,
  index: number,
  method: keyof Hook,
  step: number,
  invoke: () => T | Promise<T>,
  check?: (answer: T) => void,
): MaybePromise<T> {
  let out: T | Promise<T>;
  try {
    out = invoke();
    if (check !== undefined && !isPromiseLike(out)) check(out as T);
  } catch (cause) {
    throw asHookError(hook, index, method, step, cause);
  }
  if (!isPromiseLike<T>(out)) return out as T;
  return settleChecked(hook, index, method, step, out, check);
}

/**
 * `callHook` for the loop's hot path: calls `hooks[index][method](args)` directly, with no closure
 * to make (the position for errors is looked up only when one happens).
 */
export function callHookMethod<M extends 'shouldCompact' | 'buildBriefing'>(
  hooks: readonly Hook[],
  index: number,
  method: M,
  step: number,
  args: unknown,
  check?: (answer: unknown) => void,
): MaybePromise<Awaited<ReturnType<NonNullable<Hook[M]>>>> {
  type Answer = Awaited<ReturnType<NonNullable<Hook[M]>>>;
  const hook = hooks[index]!;
  let out: unknown;
  try {
    out = (hook[method] as (a: unknown) => unknown).call(hook, args);
    if (check !== undefined && !isPromiseLike(out)) check(out);
  } catch (cause) {
    throw asHookError(hook, listIndex(hooks, index), method, step, cause);
  }
  if (!isPromiseLike<Answer>(out)) return out as Answer;
  return settleChecked(hook, listIndex(hooks, index), method, step, out, check);
}

function settleChecked<T>(
  hook: Hook,
  index: number,
  method: keyof Hook,
  step: number,
  pending: PromiseLike<T>,
  check: ((answer: T) => void) | undefined,
): Promise<T> {
  return Promise.resolve(pending)
    .then((answer) => {
      check?.(answer);
      return answer;
    })
    .catch((cause: unknown) => {
      throw asHookError(hook, index, method, step, cause);
    });
}
