import { parseTextToolCalls } from '../llm/text-tool-calls.js';
import type { LLMBackend, LLMResponse, ToolSpec } from '../llm/types.js';
import type { Tool } from '../tools/define-tool.js';
import { DONE_TOOL_NAME, doneTool } from '../tools/done-tool.js';
import { LoopletError } from '../util/errors.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-async.js';
import { type DispatchContext, dispatchCalls } from './dispatch.js';
import {
  callHook,
  HOOK_METHODS,
  type Hook,
  hooksWith,
  listIndex,
  runDecisionHooks,
  runLoopEndHooks,
} from './hooks.js';
import { DEFAULT_SYSTEM_PROMPT, initialMessages, toolResultContent } from './prompt.js';
import type { RunResult } from './result.js';
import { defaultClock, randomIds } from './runtime.js';
import type { LoopState } from './state.js';
import { Step } from './step.js';
import {
  addUsage,
  type Clock,
  type EndReason,
  emptyUsage,
  type IdGenerator,
  type Message,
  type Task,
  type ToolCall,
  type Usage,
} from './types.js';

/** The options of {@link agentLoop}. */
export interface AgentLoopOptions {
  /** The model: `OpenAIBackend`, `ScriptedLLM`, `ReplayLLM` or any {@link LLMBackend}. */
  llm: LLMBackend;
  /** Tools the model may call. A `done` tool is added when none is given. */
  tools?: readonly Tool[];
  task: Task;
  hooks?: readonly Hook[];
  /** Most model calls in one run (default 20); reaching it ends the run with `max_steps`. */
  maxSteps?: number;
  /** Aborting ends the run with `aborted`; tools get the signal too. */
  signal?: AbortSignal;
  /** System prompt (default: {@link DEFAULT_SYSTEM_PROMPT}). */
  system?: string;
  /** Steps in a row whose tool calls all failed before the run ends with `tool_error_limit` (default 5). */
  maxConsecutiveToolErrors?: number;
  /** Time source; inject a fixed clock for deterministic traces. */
  clock?: Clock;
  /** Id source; inject `sequentialIds()` for deterministic traces. */
  ids?: IdGenerator;
  /** Initial contents of `state.data`, the scratch space hooks and tools share. */
  data?: Record<string, unknown>;
}

/** A running loop: iterate it for steps, await `result` for the outcome. Iterable once. */
export interface AgentRun extends AsyncIterable<Step> {
  /**
   * Settles when the run has ended and every `onLoopEnd` has run. Rejects only when a hook threw
   * (with a `HookError`). Awaiting it without iterating runs the loop to the end.
   */
  readonly result: Promise<RunResult>;
  /** The live state hooks see. */
  readonly state: LoopState;
}

/** Invalid `agentLoop` options (duplicate tool names, a bad `maxSteps`…). */
export class LoopConfigError extends LoopletError {
  constructor(message: string) {
    super({ message, code: 'LOOP_CONFIG' });
  }
}

/** A run's outcome, decided inside the loop. */
interface Ending {
  endReason: EndReason;
  stopReason?: string;
  finalOutput?: unknown;
  error?: Error;
}

/** Hooks grouped by method once per run, so a step only visits hooks that implement something. */
type HooksByMethod = { [M in (typeof HOOK_METHODS)[number]]: Hook[] };

/**
 * Starts an agent run. Nothing happens until the returned run is iterated (or its `result`
 * awaited). Each iteration yields one {@link Step}: a model call and the tool calls it made.
 *
 * @example
 * const run = agentLoop({ llm, tools: [greet], task: { goal: 'Greet Alice' } });
 * for await (const step of run) console.log(step.pretty());
 * console.log((await run.result).endReason);
 */
export function agentLoop(options: AgentLoopOptions): AgentRun {
  const tools = toolMap(options.tools ?? []);
  const maxSteps = options.maxSteps ?? 20;
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new LoopConfigError(`maxSteps must be a positive integer, got ${String(maxSteps)}`);
  const maxToolErrors = options.maxConsecutiveToolErrors ?? 5;
  const hooks = [...(options.hooks ?? [])];
  hooks.forEach((hook, index) => {
    if (typeof hook !== 'object' || hook === null)
      throw new LoopConfigError(`hooks[${index}] is not an object with hook methods`);
  });
  const clock = options.clock ?? defaultClock;
  const ids = options.ids ?? randomIds();
  const controller = new AbortController();
  const userSignal = options.signal;
  if (userSignal) {
    if (userSignal.aborted) controller.abort(userSignal.reason);
    else userSignal.addEventListener('abort', () => controller.abort(userSignal.reason), { once: true });
  }
  const state: LoopState = {
    runId: ids('run'),
    task: options.task,
    messages: initialMessages({ system: options.system ?? DEFAULT_SYSTEM_PROMPT, task: options.task }),
    steps: [],
    usage: emptyUsage(),
    maxSteps,
    tools,
    llm: options.llm,
    data: { ...options.data },
    signal: controller.signal,
  };

  let settle!: { resolve: (result: RunResult) => void; reject: (error: unknown) => void };
  const result = new Promise<RunResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A run nobody awaits must not crash the process with an unhandled rejection.
  result.catch(() => {});

  let started = false;
  const start = () => {
    if (started)
      throw new LoopConfigError(
        'an agent run can be iterated only once; call agentLoop() again for a new run',
      );
    started = true;
    return runSteps({
      options,
      state,
      tools,
      hooks: groupHooks(hooks),
      maxSteps,
      maxToolErrors,
      clock,
      ids,
      controller,
      settle,
    });
  };

  return {
    state,
    get result() {
      // Awaiting the result without iterating drains the run; a consumer that iterates in the
      // same tick (the usual `for await`) takes precedence.
      setImmediate(() => {
        if (!started) void drain(start());
      });
      return result;
    },
    [Symbol.asyncIterator]: () => start(),
  };
}

async function drain(steps: AsyncGenerator<Step>): Promise<void> {
  try {
    for await (const _ of steps);
  } catch {
    // The error is delivered through `result`.
  }
}

function toolMap(list: readonly Tool[]): Map<string, Tool> {
  const map = new Map<string, Tool>();
  for (const [index, tool] of list.entries()) {
    if (!tool || typeof tool.name !== 'string' || !tool.schema)
      throw new LoopConfigError(`tools[${index}] is not a tool: build it with defineTool()`);
    if (map.has(tool.name))
      throw new LoopConfigError(
        `two tools are named "${tool.name}" (tools[${index}]); tool names must be unique`,
      );
    map.set(tool.name, tool);
  }
  if (!map.has(DONE_TOOL_NAME)) map.set(DONE_TOOL_NAME, doneTool());
  return map;
}

function groupHooks(hooks: Hook[]): HooksByMethod {
  const grouped = {} as HooksByMethod;
  for (const method of HOOK_METHODS) grouped[method] = hooksWith(hooks, method);
  return grouped;
}

interface RunContext {
  options: AgentLoopOptions;
  state: LoopState;
  tools: Map<string, Tool>;
  hooks: HooksByMethod;
  maxSteps: number;
  maxToolErrors: number;
  clock: Clock;
  ids: IdGenerator;
  controller: AbortController;
  settle: { resolve: (result: RunResult) => void; reject: (error: unknown) => void };
}

async function* runSteps(run: RunContext): AsyncGenerator<Step> {
  const { state, hooks, clock, controller } = run;
  const signal = controller.signal;
  const specs: ToolSpec[] = [...run.tools.values()].map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: tool.jsonSchema,
  }));
  const toolNames = new Set(run.tools.keys());
  const aborted = run.options.signal
    ? new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
    : undefined;
  const dispatch: DispatchContext = {
    state,
    tools: run.tools,
    preDispatchHooks: hooks.preDispatch,
    permissionHooks: hooks.checkPermission,
    postDispatchHooks: hooks.postDispatch,
    clock,
    signal,
    aborted,
  };
  const abortable = <T>(promise: Promise<T>): Promise<T | typeof ABORTED> => {
    if (!aborted) return promise;
    promise.catch(() => {});
    return Promise.race([promise, aborted.then((): typeof ABORTED => ABORTED)]);
  };

  let ending: Ending | undefined;
  let thrown: unknown;
  let consecutiveErrorSteps = 0;
  try {
    if (hooks.preLoop.length > 0) {
      let decision = runDecisionHooks(hooks.preLoop, 'preLoop', { state }, 0);
      if (decision instanceof Promise) decision = await decision;
      if (decision.additionalContext !== undefined)
        state.messages.push({ role: 'user', content: decision.additionalContext });
      if (decision.stop !== undefined) ending = { endReason: 'hook_stop', stopReason: decision.stop };
    }
    for (let step = 1; ending === undefined; step++) {
      if (signal.aborted) {
        ending = abortEnding(signal);
        break;
      }
      const startedAt = clock.now();
      const stepContext: string[] = [];
      // prePrompt context is sent before the model call; only what hooks add later is sent after it.
      let contextSent = 0;
      let stepMetadata: Record<string, unknown> = {};
      let pendingStop: string | undefined;

      if (hooks.shouldCompact.length > 0) {
        const compacted = maybeCompact(run, step);
        if (isPromiseLike(compacted)) await compacted;
      }
      if (hooks.buildBriefing.length > 0) {
        const briefings: string[] = [];
        for (const [index, hook] of hooks.buildBriefing.entries()) {
          let briefing = callHook(hook, listIndex(hooks.buildBriefing, index), 'buildBriefing', step, () =>
            hook.buildBriefing!({ state, step }),
          );
          if (isPromiseLike(briefing)) briefing = await briefing;
          if (briefing) briefings.push(briefing);
        }
        // One message, as `composeHooks` gives: a list of hooks and its composition must prompt alike.
        if (briefings.length > 0) state.messages.push({ role: 'user', content: briefings.join('\n') });
      }
      if (hooks.prePrompt.length > 0) {
        let decision = runDecisionHooks(hooks.prePrompt, 'prePrompt', { state, step }, step);
        if (decision instanceof Promise) decision = await decision;
        if (decision.additionalContext !== undefined) {
          state.messages.push({ role: 'user', content: decision.additionalContext });
          contextSent = stepContext.push(decision.additionalContext);
        }
        if (decision.metadata) stepMetadata = { ...stepMetadata, ...decision.metadata };
        if (decision.stop !== undefined) {
          ending = { endReason: 'hook_stop', stopReason: decision.stop };
          break;
        }
      }

      // Hooks before the model call may take long (approvals, compaction): an abort meanwhile must not cost a call.
      if (signal.aborted) {
        ending = abortEnding(signal);
        break;
      }
      let response: LLMResponse | typeof ABORTED;
      try {
        response = await abortable(
          run.options.llm.generate({ messages: state.messages, tools: specs, step, signal }),
        );
      } catch (error) {
        ending = signal.aborted ? abortEnding(signal) : llmErrorEnding(error);
        break;
      }
      if (response === ABORTED) {
        ending = abortEnding(signal);
        break;
      }
      addUsage(state.usage, response.usage);

      const calls = toolCallsOf(response, toolNames, run.ids);
      const assistant: Message = { role: 'assistant' };
      if (response.text) assistant.content = response.text;
      // The conversation keeps the calls as the model sent them; `calls` is updated below with the
      // arguments the tools actually ran with (hook rewrites, schema defaults) for the step record.
      if (calls.length > 0) assistant.toolCalls = calls.slice();
      state.messages.push(assistant);

      let outcomes = dispatchCalls(dispatch, step, calls);
      if (isPromiseLike(outcomes)) outcomes = await outcomes;
      const results = new Array(outcomes.length);
      let doneOutput: { value: unknown } | undefined;
      let errors = 0;
      for (let index = 0; index < outcomes.length; index++) {
        const outcome = outcomes[index]!;
        results[index] = outcome.result;
        calls[index] = outcome.call;
        state.messages.push({
          role: 'tool',
          toolCallId: outcome.result.callId,
          name: outcome.result.name,
          content: toolResultContent(outcome.result),
        });
        for (const text of outcome.context) stepContext.push(text);
        if (outcome.metadata) stepMetadata = { ...stepMetadata, ...outcome.metadata };
        pendingStop ??= outcome.stop;
        if (outcome.result.error) errors++;
        else if (outcome.result.name === DONE_TOOL_NAME) doneOutput ??= { value: outcome.result.args };
      }
      if (calls.length === 0) doneOutput = { value: response.text ?? '' };

      const current = new Step({
        index: step,
        ...(response.text ? { text: response.text } : {}),
        toolCalls: calls,
        results,
        usage: response.usage ?? ZERO_USAGE,
        context: stepContext,
        metadata: stepMetadata,
        startedAt,
        durationMs: clock.now() - startedAt,
      });
      state.steps.push(current);
      if (hooks.onStep.length > 0) {
        let decision = runDecisionHooks(hooks.onStep, 'onStep', { state, step, current }, step);
        if (decision instanceof Promise) decision = await decision;
        if (decision.additionalContext !== undefined) stepContext.push(decision.additionalContext);
        if (decision.metadata) Object.assign(current.metadata, decision.metadata);
        pendingStop ??= decision.stop;
      }
      // Context is added after the tool messages: providers require tool results to follow the call.
      if (stepContext.length > contextSent)
        state.messages.push({ role: 'user', content: stepContext.slice(contextSent).join('\n') });

      // Decided before the step is yielded, so a consumer that breaks out after it still sees the stop.
      if (pendingStop !== undefined) ending = { endReason: 'hook_stop', stopReason: pendingStop };
      yield current;
      if (ending !== undefined) break;
      if (doneOutput !== undefined) {
        const rejection =
          hooks.checkDone.length > 0
            ? await runDecisionHooks(
                hooks.checkDone,
                'checkDone',
                { state, step, current, output: doneOutput.value },
                step,
              )
            : undefined;
        if (rejection?.stop !== undefined) {
          ending = { endReason: 'hook_stop', stopReason: rejection.stop };
          break;
        }
        if (rejection?.block === undefined) {
          ending = { endReason: 'done', finalOutput: doneOutput.value };
          break;
        }
        current.doneRejected = rejection.block;
        state.messages.push({ role: 'user', content: `Not done yet: ${rejection.block}` });
      }
      if (hooks.shouldStop.length > 0) {
        let decision = runDecisionHooks(hooks.shouldStop, 'shouldStop', { state, step, current }, step);
        if (decision instanceof Promise) decision = await decision;
        if (decision.additionalContext !== undefined)
          state.messages.push({ role: 'user', content: decision.additionalContext });
        if (decision.stop !== undefined) {
          ending = { endReason: 'hook_stop', stopReason: decision.stop };
          break;
        }
      }
      consecutiveErrorSteps = calls.length > 0 && errors === calls.length ? consecutiveErrorSteps + 1 : 0;
      // Abort first: calls the abort cut short are failures, but the run ended because of the abort.
      if (signal.aborted) {
        ending = abortEnding(signal);
      } else if (consecutiveErrorSteps >= run.maxToolErrors) {
        ending = {
          endReason: 'tool_error_limit',
          stopReason: `${consecutiveErrorSteps} steps in a row had only failing tool calls`,
        };
      } else if (step >= run.maxSteps) {
        ending = {
          endReason: 'max_steps',
          stopReason: `reached maxSteps (${run.maxSteps}) without finishing`,
        };
      }
    }
  } catch (error) {
    thrown = error;
  } finally {
    await finish(run, ending, thrown);
  }
}

const ABORTED: unique symbol = Symbol('aborted');
const ZERO_USAGE: Usage = Object.freeze(emptyUsage());

function abortEnding(signal: AbortSignal): Ending {
  const reason =
    signal.reason instanceof Error
      ? signal.reason.message
      : signal.reason === undefined
        ? 'aborted'
        : String(signal.reason);
  return { endReason: 'aborted', stopReason: reason };
}

function llmErrorEnding(error: unknown): Ending {
  const asError = error instanceof Error ? error : new Error(String(error));
  const endReason: EndReason =
    (asError as { endReason?: unknown }).endReason === 'replay_exhausted' ? 'replay_exhausted' : 'llm_error';
  return { endReason, stopReason: asError.message, error: asError };
}

function toolCallsOf(response: LLMResponse, toolNames: ReadonlySet<string>, ids: IdGenerator): ToolCall[] {
  if (response.toolCalls && response.toolCalls.length > 0) {
    return response.toolCalls.map((call) => (call.id ? call : { ...call, id: ids('call') }));
  }
  const parsed = parseTextToolCalls({ text: response.text, toolNames });
  return parsed ? parsed.map((call) => ({ id: ids('call'), name: call.name, args: call.args })) : [];
}

/** Asks `shouldCompact` hooks (synchronously when they answer so) and runs `compact` when one says yes. */
function maybeCompact(run: RunContext, step: number): MaybePromise<void> {
  const { state, hooks } = run;
  const ask = (index: number): MaybePromise<void> => {
    for (; index < hooks.shouldCompact.length; index++) {
      const hook = hooks.shouldCompact[index]!;
      const wanted = callHook(hook, listIndex(hooks.shouldCompact, index), 'shouldCompact', step, () =>
        hook.shouldCompact!({ state, step }),
      );
      const next = index + 1;
      if (isPromiseLike(wanted)) return wanted.then((yes) => (yes ? compact(run, step) : ask(next)));
      if (wanted) return compact(run, step);
    }
  };
  return ask(0);
}

async function compact(run: RunContext, step: number): Promise<void> {
  const { state, hooks } = run;
  let messages = state.messages;
  for (const [index, hook] of hooks.compact.entries()) {
    messages =
      (await callHook(hook, listIndex(hooks.compact, index), 'compact', step, () =>
        hook.compact!({ state, step, messages, llm: state.llm }),
      )) ?? messages;
  }
  state.messages = messages;
}

/** Builds the result, runs `onLoopEnd` exactly once, and settles `run.result`. */
async function finish(run: RunContext, ending: Ending | undefined, thrown: unknown): Promise<void> {
  const { state } = run;
  const resolved: Ending =
    thrown !== undefined
      ? {
          endReason: 'hook_stop',
          stopReason: `error: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
          error: thrown instanceof Error ? thrown : new Error(String(thrown)),
        }
      : (ending ?? { endReason: 'aborted', stopReason: 'the consumer stopped iterating' });
  const result: RunResult = { endReason: resolved.endReason, steps: state.steps, usage: state.usage };
  if (resolved.stopReason !== undefined) result.stopReason = resolved.stopReason;
  if ('finalOutput' in resolved) result.finalOutput = resolved.finalOutput;
  if (resolved.error !== undefined) result.error = resolved.error;
  if (ending === undefined && thrown === undefined)
    run.controller.abort(new Error('the consumer stopped iterating'));
  let endError: unknown;
  try {
    await runLoopEndHooks(run.hooks.onLoopEnd, { state, result });
  } catch (error) {
    endError = error;
  }
  const failure = thrown ?? endError;
  if (failure !== undefined) {
    run.settle.reject(failure);
    throw failure;
  }
  run.settle.resolve(result);
}
