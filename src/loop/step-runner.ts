import type { LLMRequest, LLMResponse, ToolSpec } from '../core/llm.js';
import type { LoopState } from '../core/state.js';
import { Step, type StepData } from '../core/step.js';
import {
  addUsage,
  emptyUsage,
  type Message,
  type ToolCall,
  type ToolResult,
  type Usage,
} from '../core/types.js';
import { DONE_TOOL_NAME } from '../tools/done-tool.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-async.js';
import { collectBriefing } from './briefing-point.js';
import { AbortFlag, CallScope } from './call-scope.js';
import { maybeCompact } from './compaction-point.js';
import type { HookDecision } from './decision.js';
import { type DispatchContext, type DispatchOutcome, dispatchCalls } from './dispatch.js';
import { abortEnding, type Ending, llmErrorEnding } from './ending.js';
import { runDecisionHooks } from './hooks.js';
import { toolResultContent } from './prompt.js';
import type { HooksByMethod, RunContext } from './run-context.js';
import { assistantMessage, refuseDone, toolCallsOf } from './step-conversation.js';

/**
 * The phases of a step, for the step loop (`runSteps`) to drive: before the model call
 * (compaction, briefing, `prePrompt`), after it (dispatch, the Step, `checkDone`, `onStep`) and
 * after the step is yielded (`shouldStop`, the limits). Each phase finishes synchronously when
 * its hooks and tools do, and returns a promise only when it has to wait: the generator then
 * awaits once per model call and once per yield. Keeping the step's work out of the generator
 * also keeps it fast: V8 optimises these small methods as a run goes, while a large generator is
 * optimised late (tens of milliseconds of compiling) and only from its next call on, so a long
 * run (or a process's first) would run in the interpreter throughout.
 */
export class StepRunner {
  /** How the run ends, once decided. */
  ending: Ending | undefined;
  readonly #run: RunContext;
  readonly #state: LoopState;
  readonly #hooks: HooksByMethod;
  readonly #abort: AbortFlag;
  readonly #specs: ToolSpec[];
  /** Only a signal from outside can fire during a call (a consumer's `break` happens between steps). */
  readonly #raceAbort: boolean;
  /** The tools that finish the run; a user's own tool named done finishes it as the built-in one does. */
  readonly #terminal: ReadonlySet<string>;
  readonly #beforeHooks: boolean;
  readonly #dispatch: DispatchContext;
  // Reused for every step: Step's constructor copies its fields, so one scratch object spares an
  // object per step.
  readonly #fields: StepData;
  #consecutiveErrorSteps = 0;

  // The current step, reset when it starts. Fields rather than a per-step object: they pass from
  // phase to phase without argument lists or an allocation.
  /** NaN until a step starts (a number field from the start, so the object keeps one shape). */
  #startedAt = Number.NaN;
  #context: string[] = [];
  /** prePrompt context is sent before the model call; only what hooks add later is sent after it. */
  #contextSent = 0;
  #metadata: Record<string, unknown> = {};
  #pendingStop: string | undefined;
  /** One argument object for the hook points before the model call (hooks must not keep it). */
  #before: { state: LoopState; step: number } | undefined;
  /** One argument object for onStep and shouldStop. */
  #after: { state: LoopState; step: number; current: Step } | undefined;
  /** The calls as the tools ran them (hook rewrites, schema defaults). */
  #calls: ToolCall[] = [];
  #results: ToolResult[] = [];
  #errors = 0;
  /** What the run finishes with if this step's done is accepted (undefined when nothing was done). */
  #doneOutput: { value: unknown } | undefined;
  #doneMessage: Message | undefined;
  #doneIndex = -1;
  #doneAccepted = false;

  constructor(run: RunContext) {
    this.ending = undefined;
    this.#run = run;
    this.#state = run.state;
    this.#hooks = run.hooks;
    this.#abort = new AbortFlag(run.controller.signal);
    const tools = [...run.tools.values()];
    this.#specs = tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      parameters: tool.jsonSchema,
    }));
    // Without a signal from outside, nothing aborts the run mid-call: nothing needs racing.
    this.#raceAbort = run.options.signal !== undefined;
    this.#terminal = new Set(tools.filter((t) => t.terminal || t.name === DONE_TOOL_NAME).map((t) => t.name));
    const hooks = run.hooks;
    this.#beforeHooks = hooks.shouldCompact.length + hooks.buildBriefing.length + hooks.prePrompt.length > 0;
    this.#dispatch = {
      state: run.state,
      tools: run.tools,
      preDispatchHooks: hooks.preDispatch,
      permissionHooks: hooks.checkPermission,
      postDispatchHooks: hooks.postDispatch,
      clock: run.clock,
      signal: run.controller.signal,
      abort: this.#abort,
      raceAbort: this.#raceAbort,
    };
    this.#fields = {
      index: 0,
      text: undefined,
      toolCalls: [],
      results: [],
      usage: ZERO_USAGE,
      context: [],
      metadata: {},
      startedAt: 0,
      durationMs: 0,
    };
  }

  /** Runs the `preLoop` hooks, once, before the first step. */
  preLoop(): Promise<void> | undefined {
    const hooks = this.#hooks.preLoop;
    if (hooks.length === 0) return undefined;
    const decision = runDecisionHooks(hooks, 'preLoop', { state: this.#state }, 0);
    if (decision instanceof Promise) return decision.then((settled) => this.#afterPreLoop(settled));
    this.#afterPreLoop(decision);
    return undefined;
  }

  #afterPreLoop(decision: HookDecision): void {
    if (decision.additionalContext !== undefined)
      this.#state.messages.push({ role: 'user', content: decision.additionalContext });
    if (decision.stop !== undefined) this.ending = { endReason: 'hook_stop', stopReason: decision.stop };
  }

  /** Starts a step and runs the hook points before its model call; may decide the ending. */
  beforeModel(step: number): Promise<void> | undefined {
    if (this.#abort.aborted) {
      this.ending = abortEnding(this.#run.controller.signal);
      return undefined;
    }
    this.#startedAt = this.#run.clock.now();
    this.#context = [];
    this.#contextSent = 0;
    this.#metadata = {};
    this.#pendingStop = undefined;
    this.#before = this.#beforeHooks ? { state: this.#state, step } : undefined;
    if (this.#hooks.shouldCompact.length > 0) {
      const compacted = maybeCompact(this.#run, step, this.#before!);
      if (compacted !== undefined) return compacted.then(() => this.#brief(step));
    }
    return this.#brief(step);
  }

  #brief(step: number): Promise<void> | undefined {
    if (this.#hooks.buildBriefing.length > 0) {
      const briefing = collectBriefing(this.#hooks.buildBriefing, step, this.#before!);
      if (isPromiseLike(briefing))
        return briefing.then((text) => {
          this.#addBriefing(text);
          return this.#prePrompt(step);
        });
      this.#addBriefing(briefing);
    }
    return this.#prePrompt(step);
  }

  #addBriefing(briefing: string | undefined): void {
    if (briefing !== undefined) this.#state.messages.push({ role: 'user', content: briefing });
  }

  #prePrompt(step: number): Promise<void> | undefined {
    const hooks = this.#hooks.prePrompt;
    if (hooks.length === 0) return undefined;
    const decision = runDecisionHooks(hooks, 'prePrompt', this.#before!, step);
    if (decision instanceof Promise) return decision.then((settled) => this.#afterPrePrompt(settled));
    this.#afterPrePrompt(decision);
    return undefined;
  }

  #afterPrePrompt(decision: HookDecision): void {
    if (decision.additionalContext !== undefined) {
      this.#state.messages.push({ role: 'user', content: decision.additionalContext });
      this.#contextSent = this.#context.push(decision.additionalContext);
    }
    if (decision.metadata) this.#metadata = { ...this.#metadata, ...decision.metadata };
    if (decision.stop !== undefined) this.ending = { endReason: 'hook_stop', stopReason: decision.stop };
  }

  /**
   * False when the run ends before this step's model call: a hook stopped it, or it was aborted
   * while hooks ran (approvals, compaction may take long: an abort meanwhile must not cost a call).
   */
  readyForModel(): boolean {
    if (this.ending === undefined && this.#abort.aborted)
      this.ending = abortEnding(this.#run.controller.signal);
    return this.ending === undefined;
  }

  /**
   * The scope of this step's model call: its own signal (listeners a backend leaves on it go with
   * it), made only when one can fire during the call.
   */
  callScope(): CallScope | undefined {
    return this.#raceAbort ? new CallScope(this.#run.controller.signal) : undefined;
  }

  modelRequest(step: number, scope: CallScope | undefined): LLMRequest {
    return { messages: this.#state.messages, tools: this.#specs, step, signal: scope?.signal };
  }

  /** The model call threw: the run ends. */
  modelFailed(error: unknown): void {
    const signal = this.#run.controller.signal;
    this.ending = this.#abort.aborted ? abortEnding(signal) : llmErrorEnding(error);
  }

  /** The run was aborted during the model call. */
  modelInterrupted(): void {
    this.ending = abortEnding(this.#run.controller.signal);
  }

  /** Runs the response's tool calls and the hooks after them; settles with the finished step. */
  afterModel(step: number, response: LLMResponse): MaybePromise<Step> {
    const state = this.#state;
    addUsage(state.usage, response.usage);
    // The conversation keeps the calls as the model sent them; the step records the calls as the
    // tools ran them (hook rewrites, schema defaults), copied only when one differs.
    const sent = toolCallsOf(response, this.#run.ids);
    state.messages.push(assistantMessage(response.text, sent));
    this.#calls = sent;
    this.#errors = 0;
    this.#doneOutput = undefined;
    this.#doneMessage = undefined;
    this.#doneIndex = -1;
    this.#doneAccepted = false;
    if (sent.length === 0) {
      this.#results = [];
      this.#doneOutput = { value: response.text ?? '' };
      return this.#recordStep(step, response);
    }
    const outcomes = dispatchCalls(this.#dispatch, step, sent);
    if (isPromiseLike(outcomes))
      return outcomes.then((settled) => {
        this.#collect(settled);
        return this.#recordStep(step, response);
      });
    this.#collect(outcomes);
    return this.#recordStep(step, response);
  }

  /** Takes each call's outcome into the step and the conversation, in call order. */
  #collect(outcomes: DispatchOutcome[]): void {
    const messages = this.#state.messages;
    const sent = this.#calls;
    const results: ToolResult[] = new Array(outcomes.length);
    for (let index = 0; index < outcomes.length; index++) {
      const outcome = outcomes[index]!;
      const result = outcome.result;
      results[index] = result;
      if (outcome.call !== this.#calls[index]) {
        if (this.#calls === sent) this.#calls = sent.slice();
        this.#calls[index] = outcome.call;
      }
      const message: Message = {
        role: 'tool',
        toolCallId: result.callId,
        name: result.name,
        content: toolResultContent(result),
      };
      messages.push(message);
      if (outcome.context !== undefined) for (const text of outcome.context) this.#context.push(text);
      if (outcome.metadata) this.#metadata = { ...this.#metadata, ...outcome.metadata };
      this.#pendingStop ??= outcome.stop;
      if (result.error) this.#errors++;
      else if (this.#doneOutput === undefined && this.#terminal.has(result.name)) {
        this.#doneOutput = { value: result.args };
        this.#doneMessage = message;
        this.#doneIndex = index;
      }
    }
    this.#results = results;
  }

  /** Makes the Step, then asks `checkDone` (before onStep and the yield, so every observer sees a refused done as refused). */
  #recordStep(step: number, response: LLMResponse): MaybePromise<Step> {
    const fields = this.#fields;
    fields.index = step;
    fields.text = response.text || undefined;
    fields.toolCalls = this.#calls;
    fields.results = this.#results;
    fields.usage = response.usage ?? ZERO_USAGE;
    fields.context = this.#context;
    fields.metadata = this.#metadata;
    fields.startedAt = this.#startedAt;
    fields.durationMs = this.#run.clock.now() - this.#startedAt;
    const current = new Step(fields);
    this.#state.steps.push(current);
    this.#after = undefined;
    if (this.#doneOutput === undefined || this.#pendingStop !== undefined) return this.#onStep(step, current);
    const hooks = this.#hooks.checkDone;
    if (hooks.length === 0) {
      this.#judgeDone(current, NO_DECISION);
      return this.#onStep(step, current);
    }
    const args = { state: this.#state, step, current, output: this.#doneOutput.value };
    const verdict = runDecisionHooks(hooks, 'checkDone', args, step);
    if (verdict instanceof Promise)
      return verdict.then((settled) => {
        this.#judgeDone(current, settled);
        return this.#onStep(step, current);
      });
    this.#judgeDone(current, verdict);
    return this.#onStep(step, current);
  }

  #judgeDone(current: Step, verdict: HookDecision): void {
    if (verdict.metadata) Object.assign(current.metadata, verdict.metadata);
    this.#pendingStop ??= verdict.stop;
    if (verdict.block === undefined) {
      this.#doneAccepted = verdict.stop === undefined;
      return;
    }
    current.doneRejected = verdict.block;
    if (this.#doneIndex < 0) return;
    // The done call's result is the refusal, as for any blocked call (and as in Python looplet).
    refuseDone(this.#state.messages, this.#results, this.#doneIndex, this.#doneMessage!, verdict.block);
    this.#errors++;
  }

  #onStep(step: number, current: Step): MaybePromise<Step> {
    const hooks = this.#hooks.onStep;
    if (hooks.length === 0) return this.#closeStep(current, NO_DECISION);
    this.#after = { state: this.#state, step, current };
    const decision = runDecisionHooks(hooks, 'onStep', this.#after, step);
    if (decision instanceof Promise) return decision.then((settled) => this.#closeStep(current, settled));
    return this.#closeStep(current, decision);
  }

  /** Takes onStep's decision, sends the step's context, and decides the ending before the step is yielded. */
  #closeStep(current: Step, decision: HookDecision): Step {
    const context = this.#context;
    if (decision.additionalContext !== undefined) context.push(decision.additionalContext);
    if (decision.metadata) Object.assign(current.metadata, decision.metadata);
    this.#pendingStop ??= decision.stop;
    const messages = this.#state.messages;
    // Context is added after the tool messages: providers require tool results to follow the call.
    if (context.length > this.#contextSent)
      messages.push({ role: 'user', content: context.slice(this.#contextSent).join('\n') });
    // A refused plain-text answer has no tool result to carry the refusal.
    if (current.doneRejected !== undefined && this.#doneIndex < 0)
      messages.push({ role: 'user', content: `Not done yet: ${current.doneRejected}` });
    // Decided before the step is yielded, so a consumer that breaks out after it still sees the ending.
    if (this.#pendingStop !== undefined)
      this.ending = { endReason: 'hook_stop', stopReason: this.#pendingStop };
    else if (this.#doneAccepted) this.ending = { endReason: 'done', finalOutput: this.#doneOutput!.value };
    return current;
  }

  /** After the consumer has seen the step: `shouldStop`, then the run's limits. */
  afterYield(step: number, current: Step): Promise<void> | undefined {
    const hooks = this.#hooks.shouldStop;
    if (hooks.length > 0) {
      this.#after ??= { state: this.#state, step, current };
      const decision = runDecisionHooks(hooks, 'shouldStop', this.#after, step);
      if (decision instanceof Promise)
        return decision.then((settled) => this.#afterShouldStop(step, settled));
      this.#afterShouldStop(step, decision);
    } else this.#checkLimits(step);
    return undefined;
  }

  #afterShouldStop(step: number, decision: HookDecision): void {
    if (decision.additionalContext !== undefined)
      this.#state.messages.push({ role: 'user', content: decision.additionalContext });
    if (decision.stop !== undefined) this.ending = { endReason: 'hook_stop', stopReason: decision.stop };
    else this.#checkLimits(step);
  }

  #checkLimits(step: number): void {
    const calls = this.#calls.length;
    this.#consecutiveErrorSteps = calls > 0 && this.#errors === calls ? this.#consecutiveErrorSteps + 1 : 0;
    const run = this.#run;
    // Abort first: calls the abort cut short are failures, but the run ended because of the abort.
    if (this.#abort.aborted) {
      this.ending = abortEnding(run.controller.signal);
    } else if (this.#consecutiveErrorSteps >= run.maxToolErrors) {
      this.ending = {
        endReason: 'tool_error_limit',
        stopReason: `${this.#consecutiveErrorSteps} steps in a row had only failing tool calls`,
      };
    } else if (step >= run.maxSteps) {
      this.ending = {
        endReason: 'max_steps',
        stopReason: `reached maxSteps (${run.maxSteps}) without finishing`,
      };
    }
  }

  /** Detaches from the run's signal; call once, when the run ends. */
  dispose(): void {
    this.#abort.dispose();
  }
}

const ZERO_USAGE: Usage = Object.freeze(emptyUsage());
const NO_DECISION: HookDecision = Object.freeze({});
