import type { LLMBackend, LLMRequest, LLMResponse } from '../core/llm.js';
import type { Tool } from '../core/state.js';
import type { StepData } from '../core/step.js';
import type { EndReason, Message, ToolCall, Usage } from '../core/types.js';
import { ScriptedLLM } from '../llm/scripted.js';
import { agentLoop } from '../loop/agent-loop.js';
import { decisionFromAnswer } from '../loop/hook-answers.js';
import { DECISION_METHODS, type DecisionMethod, HOOK_METHODS, type Hook, HookError } from '../loop/hooks.js';
import { fixedClock, sequentialIds } from '../loop/runtime.js';
import { defineTool } from '../tools/define-tool.js';
import { errorMessage } from '../util/errors.js';
import { isPromiseLike } from '../util/maybe-async.js';
import type { ScriptTurn } from './script-arbitraries.js';

/** A hook, or a function making a fresh one (for hooks that keep per-run state in a closure). */
export type HookSource = Hook | (() => Hook);

/** How the consumer drives the run: iterate to the end, `break` after a step, or only await `run.result`. */
export type ExitMode = { kind: 'iterate' } | { kind: 'break'; afterStep: number } | { kind: 'await' };

/**
 * Abort the run while the `nth` (0-based) tool run, model call or hook call is in progress (a
 * hook call: just before the hook method runs, as when a user cancels during an approval). With
 * `ignoreSignal`, that tool or model keeps going and answers late, as code that ignores the
 * signal does.
 */
export interface AbortPlan {
  at: 'tool' | 'model' | 'hook';
  nth: number;
  ignoreSignal: boolean;
}

/** Everything about one observed run except its hooks. */
export interface RunPlan {
  script: ScriptTurn[];
  maxSteps: number;
  exit: ExitMode;
  abort?: AbortPlan;
  maxConsecutiveToolErrors?: number;
}

/** Something that happened during a run, numbered in the order it happened. */
export type RunEvent =
  | {
      seq: number;
      kind: 'hook';
      /** Position of the hook in the scenario's flat list (the same in every arrangement). */
      leaf: number;
      method: string;
      step: number;
      callId?: string;
      callName?: string;
      /** What the method answered (a decision, a briefing…), once settled. */
      answer?: unknown;
      /** The message of what it threw, if it threw. */
      threw?: string;
    }
  | { seq: number; kind: 'model'; index: number; step: number }
  | { seq: number; kind: 'tool'; name: string; callId: string | undefined; step: number; args: unknown }
  | { seq: number; kind: 'abort' };

/** How a run ended, in a form that compares across hook arrangements. */
export type RunOutcome =
  | {
      kind: 'result';
      endReason: EndReason;
      stopReason?: string;
      finalOutput?: unknown;
      usage: Usage;
      error?: string;
    }
  | { kind: 'hook_error'; method: string; step: number; message: string }
  | { kind: 'error'; message: string };

/** What a run did, as seen from outside: the laws compare and inspect these. */
export interface Observation {
  /** The messages of every model call, in order. */
  requests: Message[][];
  /** Every tool run (by the loop or by a hook), in order, with the arguments the tool received. */
  toolRuns: Array<{ name: string; step: number; args: unknown }>;
  /** The steps, as plain data (ids and times are deterministic). */
  steps: StepData[];
  outcome: RunOutcome;
  events: RunEvent[];
}

const HOOK_METHOD_NAMES: ReadonlySet<PropertyKey> = new Set(HOOK_METHODS);

/** Numbers events and keeps them. */
class EventLog {
  readonly events: RunEvent[] = [];
  readonly requests: Message[][] = [];
  readonly toolRuns: Observation['toolRuns'] = [];
  /** Called with the 0-based index of every hook call, before the method runs. */
  beforeHook: (index: number) => void = () => {};
  #seq = 0;
  #hookCalls = 0;

  next(): number {
    return ++this.#seq;
  }

  /** Runs a hook method, logging its call and answer. Keeps a synchronous answer synchronous. */
  hook(
    leaf: number,
    hook: Hook,
    method: string,
    args: Record<string, unknown>,
    invoke: () => unknown,
  ): unknown {
    const call = args.call as ToolCall | undefined;
    const result = args.result as { steps?: unknown[] } | undefined;
    const step =
      typeof args.step === 'number' ? args.step : method === 'onLoopEnd' ? (result?.steps?.length ?? 0) : 0;
    const event: Extract<RunEvent, { kind: 'hook' }> = { seq: this.next(), kind: 'hook', leaf, method, step };
    if (call) {
      event.callId = call.id;
      event.callName = call.name;
    }
    this.events.push(event);
    this.beforeHook(this.#hookCalls++);
    let out: unknown;
    try {
      out = invoke();
    } catch (error) {
      event.threw = errorMessage(error);
      throw error;
    }
    if (!isPromiseLike(out)) {
      event.answer = snapshot(method, out, hook);
      return out;
    }
    return Promise.resolve(out).then(
      (value) => {
        event.answer = snapshot(method, value, hook);
        return value;
      },
      (error: unknown) => {
        event.threw = errorMessage(error);
        throw error;
      },
    );
  }
}

const DECISION_METHOD_NAMES: ReadonlySet<string> = new Set(DECISION_METHODS);

/**
 * A copy of a hook's answer that later mutation cannot change; messages from `compact` are
 * summarised, and a decision method's shorthand (`false` from `checkPermission`…) is the decision
 * the loop reads it as.
 */
function snapshot(method: string, value: unknown, hook: Hook): unknown {
  if (value === undefined || value === null) return undefined;
  if (method === 'compact') return `${(value as unknown[]).length} messages`;
  if (DECISION_METHOD_NAMES.has(method)) {
    try {
      value = decisionFromAnswer(method as DecisionMethod, value, hook);
    } catch {
      // Not a decision: the loop ends the run with a HookError, which the laws see as the outcome.
    }
    if (value === undefined) return undefined;
  }
  try {
    return structuredClone(value);
  } catch {
    return String(value);
  }
}

/**
 * Wraps a hook so its method calls are logged under `leaf`. A Proxy, so a hook calling its own
 * methods through `this` is seen too, and state it keeps on `this` stays on the hook itself.
 */
function instrumentHook(hook: Hook, leaf: number, log: EventLog): Hook {
  return new Proxy(hook, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !HOOK_METHOD_NAMES.has(property)) return value;
      return (args: Record<string, unknown>) =>
        log.hook(leaf, target, String(property), args ?? {}, () =>
          (value as (a: unknown) => unknown).call(receiver, args),
        );
    },
  });
}

/** The tools law runs use when the user gives none: small, pure, with schemas the model can get wrong. */
export function defaultLawTools(): Tool[] {
  return [
    defineTool({
      name: 'lookup',
      description: 'looks a key up',
      parameters: {
        type: 'object',
        properties: { key: { type: 'string', maxLength: 8 } },
        required: ['key'],
        additionalProperties: false,
      },
      run: ({ key }) => `value of ${String(key)}`,
    }),
    defineTool({
      name: 'add',
      description: 'adds two integers',
      parameters: {
        type: 'object',
        properties: {
          a: { type: 'integer', minimum: -99, maximum: 99 },
          b: { type: 'integer', minimum: -99, maximum: 99 },
        },
        required: ['a', 'b'],
        additionalProperties: false,
      },
      run: ({ a, b }) => (a as number) + (b as number),
    }),
  ];
}

/** Resolves hook sources (calling factories) and wraps each for logging. */
function leavesOf(sources: readonly HookSource[], log: EventLog): Hook[] {
  return sources.map((source, leaf) =>
    instrumentHook(typeof source === 'function' ? source() : source, leaf, log),
  );
}

/** Answers a little later than now: after everything the loop already has queued. */
function late<T>(value: () => T | Promise<T>): Promise<T> {
  return new Promise((resolve) => setImmediate(resolve)).then(value);
}

/**
 * Runs the loop once with `ScriptedLLM(plan.script)`, the given hooks (arranged by `arrange`,
 * e.g. composed in groups), deterministic clock and ids, and records everything it can see.
 */
export async function observeRun({
  hooks,
  arrange = (leaves) => leaves,
  plan,
  tools = defaultLawTools(),
  task = 'law check',
}: {
  hooks: readonly HookSource[];
  arrange?: (leaves: Hook[]) => Hook[];
  plan: RunPlan;
  tools?: readonly Tool[];
  task?: string;
}): Promise<Observation> {
  const log = new EventLog();
  const controller = new AbortController();
  const abortNow = () => {
    log.events.push({ seq: log.next(), kind: 'abort' });
    controller.abort(new Error('aborted by the law check'));
  };
  const abort = plan.abort;
  if (abort?.at === 'hook') log.beforeHook = (index) => index === abort.nth && abortNow();
  let toolRuns = 0;
  const observedTools = tools.map(
    (tool): Tool => ({
      ...tool,
      run: (args, ctx) => {
        const index = toolRuns++;
        log.events.push({
          seq: log.next(),
          kind: 'tool',
          name: tool.name,
          callId: ctx?.call?.id,
          step: ctx?.step ?? 0,
          args: structuredClone(args),
        });
        log.toolRuns.push({ name: tool.name, step: ctx?.step ?? 0, args: structuredClone(args) });
        if (abort?.at === 'tool' && abort.nth === index) {
          abortNow();
          if (abort.ignoreSignal) return late(() => tool.run(args, ctx));
        }
        return tool.run(args, ctx);
      },
    }),
  );
  const scripted = new ScriptedLLM(plan.script);
  let modelCalls = 0;
  const llm: LLMBackend = {
    model: 'law-check',
    generate(request: LLMRequest): Promise<LLMResponse> {
      const index = modelCalls++;
      log.events.push({ seq: log.next(), kind: 'model', index, step: request.step });
      log.requests.push(structuredClone([...request.messages]));
      if (abort?.at === 'model' && abort.nth === index) {
        abortNow();
        if (abort.ignoreSignal) return late(() => scripted.generate(request));
      }
      return scripted.generate(request);
    },
  };

  const run = agentLoop({
    llm,
    tools: observedTools,
    task,
    hooks: arrange(leavesOf(hooks, log)),
    maxSteps: plan.maxSteps,
    signal: controller.signal,
    clock: fixedClock(),
    ids: sequentialIds(),
    ...(plan.maxConsecutiveToolErrors ? { maxConsecutiveToolErrors: plan.maxConsecutiveToolErrors } : {}),
  });
  try {
    if (plan.exit.kind === 'iterate') {
      for await (const _ of run);
    } else if (plan.exit.kind === 'break') {
      const { afterStep } = plan.exit;
      for await (const step of run) if (step.index >= afterStep) break;
    }
  } catch {
    // The same error rejects `run.result`, read below.
  }
  let outcome: RunOutcome;
  try {
    const result = await run.result;
    outcome = { kind: 'result', endReason: result.endReason, usage: { ...result.usage } };
    if (result.stopReason !== undefined) outcome.stopReason = result.stopReason;
    if ('finalOutput' in result) outcome.finalOutput = structuredClone(result.finalOutput);
    if (result.error !== undefined) outcome.error = result.error.message;
  } catch (error) {
    outcome =
      error instanceof HookError
        ? { kind: 'hook_error', method: error.method, step: error.step, message: errorMessage(error.cause) }
        : { kind: 'error', message: errorMessage(error) };
  }
  return {
    requests: log.requests,
    toolRuns: log.toolRuns,
    steps: JSON.parse(JSON.stringify(run.state.steps)) as StepData[],
    outcome,
    events: log.events,
  };
}

/** The parts of two observations that must be equal when two hook arrangements are equivalent. */
export function comparable(observation: Observation): Record<string, unknown> {
  return {
    requests: observation.requests,
    toolRuns: observation.toolRuns,
    steps: observation.steps,
    outcome: observation.outcome,
    hookCalls: observation.events.flatMap((event) =>
      event.kind === 'hook' ? [{ ...event, seq: undefined }] : [],
    ),
  };
}
