import type { LoopState, Tool } from '../core/state.js';
import type { Clock, ToolCall, ToolResult } from '../core/types.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-async.js';
import { CallDispatch } from './call-dispatch.js';
import type { Hook } from './hooks.js';
import { errorResult } from './tool-results.js';

/** What dispatching one call produced, including hook effects the step collects. */
export interface DispatchOutcome {
  call: ToolCall;
  result: ToolResult;
  /** Context hooks added for this call, in order (undefined when none). */
  context: string[] | undefined;
  metadata: Record<string, unknown> | undefined;
  stop: string | undefined;
}

/** Everything dispatch needs from the loop, gathered once per run. */
export interface DispatchContext {
  state: LoopState;
  tools: ReadonlyMap<string, Tool>;
  preDispatchHooks: readonly Hook[];
  permissionHooks: readonly Hook[];
  postDispatchHooks: readonly Hook[];
  clock: Clock;
  signal: AbortSignal;
  /** `signal.aborted`, read cheaply. */
  abort: { readonly aborted: boolean };
  /** True when the run's signal can fire while a tool runs: tools that ignore it are then raced with it. */
  raceAbort: boolean;
}

/**
 * Dispatches a response's tool calls. Consecutive calls whose tools are `concurrent` run together;
 * every other call runs alone, in order. Each call's hooks start in call order, and results are
 * returned in call order. Synchronous hooks and tools complete without a single promise.
 */
export function dispatchCalls(
  ctx: DispatchContext,
  step: number,
  calls: readonly ToolCall[],
): MaybePromise<DispatchOutcome[]> {
  return dispatchFrom(ctx, step, calls, new Array(calls.length), 0);
}

function dispatchFrom(
  ctx: DispatchContext,
  step: number,
  calls: readonly ToolCall[],
  outcomes: DispatchOutcome[],
  start: number,
): MaybePromise<DispatchOutcome[]> {
  let index = start;
  while (index < calls.length) {
    if (ctx.abort.aborted) {
      for (; index < calls.length; index++) outcomes[index] = abortedOutcome(calls[index]!);
      break;
    }
    let end = index + 1;
    if (ctx.tools.get(calls[index]!.name)?.concurrent) {
      while (end < calls.length && ctx.tools.get(calls[end]!.name)?.concurrent) end++;
    }
    const first = index;
    if (end - first === 1) {
      const outcome = new CallDispatch(ctx, step, calls[first]!).run();
      if (isPromiseLike<DispatchOutcome>(outcome)) {
        return outcome.then((settled) => {
          outcomes[first] = settled;
          return dispatchFrom(ctx, step, calls, outcomes, end);
        });
      }
      outcomes[first] = outcome;
    } else {
      const batch = calls.slice(first, end).map((call) => new CallDispatch(ctx, step, call).run());
      return Promise.all(batch).then((settled) => {
        for (let offset = 0; offset < settled.length; offset++) outcomes[first + offset] = settled[offset]!;
        return dispatchFrom(ctx, step, calls, outcomes, end);
      });
    }
    index = end;
  }
  return outcomes;
}

function abortedOutcome(call: ToolCall): DispatchOutcome {
  return {
    call,
    result: errorResult(call, { kind: 'aborted', message: 'the run was aborted before this call ran' }, 0),
    context: undefined,
    metadata: undefined,
    stop: undefined,
  };
}
