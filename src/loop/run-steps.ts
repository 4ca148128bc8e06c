import type { LLMResponse, ToolSpec } from '../core/llm.js';
import { Step } from '../core/step.js';
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
import { CallScope, type Interruption, isInterruption } from './call-scope.js';
import { maybeCompact } from './compaction-point.js';
import type { HookDecision } from './decision.js';
import { type DispatchContext, dispatchCalls } from './dispatch.js';
import { abortEnding, type Ending, finish, llmErrorEnding } from './ending.js';
import { checkBriefing } from './hook-answers.js';
import { callHook, listIndex, runDecisionHooks } from './hooks.js';
import { toolResultContent } from './prompt.js';
import type { RunContext } from './run-context.js';

/**
 * The step loop behind `agentLoop`: one iteration per model call, hooks at every point, the step
 * yielded to the consumer, and exactly one `finish` (onLoopEnd, result) however it ends.
 */
export async function* runSteps(run: RunContext): AsyncGenerator<Step> {
  const { state, hooks, clock, controller } = run;
  const signal = controller.signal;
  const specs: ToolSpec[] = [...run.tools.values()].map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: tool.jsonSchema,
  }));
  // Only a signal from outside can fire during a call (a consumer's `break` happens between steps):
  // without one, nothing needs racing.
  const raceAbort = run.options.signal !== undefined;
  const dispatch: DispatchContext = {
    state,
    tools: run.tools,
    preDispatchHooks: hooks.preDispatch,
    permissionHooks: hooks.checkPermission,
    postDispatchHooks: hooks.postDispatch,
    clock,
    signal,
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
          let briefing = callHook(
            hook,
            listIndex(hooks.buildBriefing, index),
            'buildBriefing',
            step,
            () => hook.buildBriefing!({ state, step }),
            checkBriefing,
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
      let response: LLMResponse | Interruption;
      const scope = new CallScope(signal);
      try {
        const pending = run.options.llm.generate({
          messages: state.messages,
          tools: specs,
          step,
          get signal() {
            return scope.signal;
          },
        });
        response = raceAbort ? await scope.race(pending) : await pending;
      } catch (error) {
        ending = signal.aborted ? abortEnding(signal) : llmErrorEnding(error);
        break;
      } finally {
        scope.dispose();
      }
      if (isInterruption(response)) {
        ending = abortEnding(signal);
        break;
      }
      addUsage(state.usage, response.usage);

      const calls = toolCallsOf(response, run.ids);
      const assistant: Message = { role: 'assistant' };
      if (response.text) assistant.content = response.text;
      // The conversation keeps the calls as the model sent them; `calls` is updated below with the
      // arguments the tools actually ran with (hook rewrites, schema defaults) for the step record.
      if (calls.length > 0) assistant.toolCalls = calls.slice();
      state.messages.push(assistant);

      let outcomes = dispatchCalls(dispatch, step, calls);
      if (isPromiseLike(outcomes)) outcomes = await outcomes;
      const results: ToolResult[] = new Array(outcomes.length);
      let doneOutput: { value: unknown } | undefined;
      let doneMessage: Message | undefined;
      let doneIndex = -1;
      let errors = 0;
      for (let index = 0; index < outcomes.length; index++) {
        const outcome = outcomes[index]!;
        const result = outcome.result;
        results[index] = result;
        calls[index] = outcome.call;
        const message: Message = {
          role: 'tool',
          toolCallId: result.callId,
          name: result.name,
          content: toolResultContent(result),
        };
        state.messages.push(message);
        for (const text of outcome.context) stepContext.push(text);
        if (outcome.metadata) stepMetadata = { ...stepMetadata, ...outcome.metadata };
        pendingStop ??= outcome.stop;
        if (result.error) errors++;
        else if (result.name === DONE_TOOL_NAME && doneOutput === undefined) {
          doneOutput = { value: result.args };
          doneMessage = message;
          doneIndex = index;
        }
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
        let decision = runDecisionHooks(hooks.onStep, 'onStep', { state, step, current }, step);
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

const ZERO_USAGE: Usage = Object.freeze(emptyUsage());
const NO_DECISION: HookDecision = Object.freeze({});

/** The response's tool calls, numbered by the loop where the backend gave no id. */
function toolCallsOf(response: LLMResponse, ids: IdGenerator): ToolCall[] {
  if (!response.toolCalls || response.toolCalls.length === 0) return [];
  return response.toolCalls.map((call) => (call.id ? call : { ...call, id: ids('call') }));
}
