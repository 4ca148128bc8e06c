import type { LLMResponse, ToolSpec } from '../core/llm.js';
import type { LoopState } from '../core/state.js';
import { Step, type StepData } from '../core/step.js';
import {
  addUsage,
  emptyUsage,
  type IdGenerator,
  type Message,
  type ToolCall,
  type ToolResult,
  type Usage,
} from '../core/types.js';
import { DONE_TOOL_NAME } from '../tools/done-tool.js';
import { isPromiseLike } from '../util/maybe-async.js';
import { AbortFlag, CallScope, type Interruption, isInterruption } from './call-scope.js';
import { maybeCompact } from './compaction-point.js';
import type { HookDecision } from './decision.js';
import { type DispatchContext, dispatchCalls } from './dispatch.js';
import { abortEnding, type Ending, finish, llmErrorEnding } from './ending.js';
import { checkBriefing } from './hook-answers.js';
import { callHookMethod, runDecisionHooks } from './hooks.js';
import { toolResultContent } from './prompt.js';
import type { RunContext } from './run-context.js';

/**
 * The step loop behind `agentLoop`: one iteration per model call, hooks at every point, the step
 * yielded to the consumer, and exactly one `finish` (onLoopEnd, result) however it ends.
 */
export async function* runSteps(run: RunContext): AsyncGenerator<Step> {
  const { state, hooks, clock, controller } = run;
  const signal = controller.signal;
  const abort = new AbortFlag(signal);
  const specs: ToolSpec[] = [...run.tools.values()].map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: tool.jsonSchema,
  }));
  // Only a signal from outside can fire during a call (a consumer's `break` happens between steps):
  // without one, nothing needs racing.
  const raceAbort = run.options.signal !== undefined;
  // A user's own tool named done finishes the run as the built-in one does.
  const terminal = new Set(
    [...run.tools.values()].filter((t) => t.terminal || t.name === DONE_TOOL_NAME).map((t) => t.name),
  );
  const llm = run.options.llm;
  const beforeHooks = hooks.shouldCompact.length + hooks.buildBriefing.length + hooks.prePrompt.length > 0;
  const dispatch: DispatchContext = {
    state,
    tools: run.tools,
    preDispatchHooks: hooks.preDispatch,
    permissionHooks: hooks.checkPermission,
    postDispatchHooks: hooks.postDispatch,
    clock,
    signal,
    abort,
    raceAbort,
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
    // Reused for every step: Step's constructor copies its fields, so one scratch object spares an
    // object per step.
    const stepFields: StepData = {
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
    for (let step = 1; ending === undefined; step++) {
      if (abort.aborted) {
        ending = abortEnding(signal);
        break;
      }
      const startedAt = clock.now();
      const stepContext: string[] = [];
      // prePrompt context is sent before the model call; only what hooks add later is sent after it.
      let contextSent = 0;
      let stepMetadata: Record<string, unknown> = {};
      let pendingStop: string | undefined;
      // One argument object for the hook points before the model call (hooks must not keep it).
      const before = beforeHooks ? { state, step } : undefined;

      if (hooks.shouldCompact.length > 0) {
        const compacted = maybeCompact(run, step, before!);
        if (compacted !== undefined) await compacted;
      }
      if (hooks.buildBriefing.length > 0) {
        let briefing: string | undefined;
        for (let index = 0; index < hooks.buildBriefing.length; index++) {
          let part = callHookMethod(hooks.buildBriefing, index, 'buildBriefing', step, before, checkBriefing);
          if (isPromiseLike(part)) part = await part;
          if (part) briefing = briefing === undefined ? part : `${briefing}\n${part}`;
        }
        // One message, as `composeHooks` gives: a list of hooks and its composition must prompt alike.
        if (briefing !== undefined) state.messages.push({ role: 'user', content: briefing });
      }
      if (hooks.prePrompt.length > 0) {
        let decision = runDecisionHooks(hooks.prePrompt, 'prePrompt', before!, step);
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
      if (abort.aborted) {
        ending = abortEnding(signal);
        break;
      }
      let response: LLMResponse | Interruption;
      // The call gets its own signal (listeners a backend leaves on it go with it) only when one can
      // fire during the call: without a caller's signal, nothing aborts the run mid-call.
      const scope = raceAbort ? new CallScope(signal) : undefined;
      try {
        const pending = llm.generate({ messages: state.messages, tools: specs, step, signal: scope?.signal });
        response = scope ? await scope.race(pending) : await pending;
      } catch (error) {
        ending = abort.aborted ? abortEnding(signal) : llmErrorEnding(error);
        break;
      } finally {
        scope?.dispose();
      }
      if (isInterruption(response)) {
        ending = abortEnding(signal);
        break;
      }
      addUsage(state.usage, response.usage);

      // The conversation keeps the calls as the model sent them; the step records the calls as the
      // tools ran them (hook rewrites, schema defaults), copied only when one differs.
      const sent = toolCallsOf(response, run.ids);
      const assistant: Message =
        sent.length > 0
          ? response.text
            ? { role: 'assistant', content: response.text, toolCalls: sent }
            : { role: 'assistant', toolCalls: sent }
          : response.text
            ? { role: 'assistant', content: response.text }
            : { role: 'assistant' };
      state.messages.push(assistant);

      let calls = sent;
      let results: ToolResult[];
      let doneOutput: { value: unknown } | undefined;
      let doneMessage: Message | undefined;
      let doneIndex = -1;
      let errors = 0;
      if (sent.length > 0) {
        let outcomes = dispatchCalls(dispatch, step, sent);
        if (isPromiseLike(outcomes)) outcomes = await outcomes;
        results = new Array(outcomes.length);
        for (let index = 0; index < outcomes.length; index++) {
          const outcome = outcomes[index]!;
          const result = outcome.result;
          results[index] = result;
          if (outcome.call !== calls[index]) {
            if (calls === sent) calls = sent.slice();
            calls[index] = outcome.call;
          }
          const message: Message = {
            role: 'tool',
            toolCallId: result.callId,
            name: result.name,
            content: toolResultContent(result),
          };
          state.messages.push(message);
          if (outcome.context !== undefined) for (const text of outcome.context) stepContext.push(text);
          if (outcome.metadata) stepMetadata = { ...stepMetadata, ...outcome.metadata };
          pendingStop ??= outcome.stop;
          if (result.error) errors++;
          else if (doneOutput === undefined && terminal.has(result.name)) {
            doneOutput = { value: result.args };
            doneMessage = message;
            doneIndex = index;
          }
        }
      } else {
        results = [];
        doneOutput = { value: response.text ?? '' };
      }

      stepFields.index = step;
      stepFields.text = response.text || undefined;
      stepFields.toolCalls = calls;
      stepFields.results = results;
      stepFields.usage = response.usage ?? ZERO_USAGE;
      stepFields.context = stepContext;
      stepFields.metadata = stepMetadata;
      stepFields.startedAt = startedAt;
      stepFields.durationMs = clock.now() - startedAt;
      const current = new Step(stepFields);
      state.steps.push(current);
      // One argument object for onStep and shouldStop.
      let after: { state: LoopState; step: number; current: Step } | undefined;
      // checkDone runs before onStep and the yield, so every observer sees a refused done as refused.
      let doneAccepted = false;
      if (doneOutput !== undefined && pendingStop === undefined) {
        let verdict: HookDecision = NO_DECISION;
        if (hooks.checkDone.length > 0) {
          const decided = runDecisionHooks(
            hooks.checkDone,
            'checkDone',
            { state, step, current, output: doneOutput.value },
            step,
          );
          verdict = decided instanceof Promise ? await decided : decided;
        }
        if (verdict.metadata) Object.assign(current.metadata, verdict.metadata);
        if (verdict.block !== undefined) {
          current.doneRejected = verdict.block;
          if (doneIndex >= 0) {
            // The done call's result is the refusal, as for any blocked call (and as in Python looplet).
            const done = results[doneIndex]!;
            const refused: ToolResult = {
              callId: done.callId,
              name: done.name,
              args: done.args,
              error: { kind: 'done_rejected', message: verdict.block },
              durationMs: done.durationMs,
            };
            results[doneIndex] = refused;
            errors++;
            const at = state.messages.lastIndexOf(doneMessage!);
            if (at >= 0)
              state.messages[at] = { ...doneMessage!, content: toolResultContent(refused) } as Message;
          }
        } else doneAccepted = verdict.stop === undefined;
        pendingStop ??= verdict.stop;
      }
      if (hooks.onStep.length > 0) {
        after ??= { state, step, current };
        let decision = runDecisionHooks(hooks.onStep, 'onStep', after, step);
        if (decision instanceof Promise) decision = await decision;
        if (decision.additionalContext !== undefined) stepContext.push(decision.additionalContext);
        if (decision.metadata) Object.assign(current.metadata, decision.metadata);
        pendingStop ??= decision.stop;
      }
      // Context is added after the tool messages: providers require tool results to follow the call.
      if (stepContext.length > contextSent)
        state.messages.push({ role: 'user', content: stepContext.slice(contextSent).join('\n') });
      // A refused plain-text answer has no tool result to carry the refusal.
      if (current.doneRejected !== undefined && doneIndex < 0)
        state.messages.push({ role: 'user', content: `Not done yet: ${current.doneRejected}` });

      // Decided before the step is yielded, so a consumer that breaks out after it still sees the ending.
      if (pendingStop !== undefined) ending = { endReason: 'hook_stop', stopReason: pendingStop };
      else if (doneAccepted) ending = { endReason: 'done', finalOutput: doneOutput!.value };
      yield current;
      if (ending !== undefined) break;
      if (hooks.shouldStop.length > 0) {
        after ??= { state, step, current };
        let decision = runDecisionHooks(hooks.shouldStop, 'shouldStop', after, step);
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
      if (abort.aborted) {
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
    abort.dispose();
    await finish(run, ending, thrown);
  }
}

const ZERO_USAGE: Usage = Object.freeze(emptyUsage());
const NO_DECISION: HookDecision = Object.freeze({});

/** The response's tool calls, numbered by the loop where the backend gave no id (copied only then). */
function toolCallsOf(response: LLMResponse, ids: IdGenerator): ToolCall[] {
  const calls = response.toolCalls;
  // A fresh array: a step without calls must not share its (mutable) list with another.
  if (!calls || calls.length === 0) return [];
  for (const call of calls) if (!call.id) return calls.map((c) => (c.id ? c : { ...c, id: ids('call') }));
  return calls;
}
