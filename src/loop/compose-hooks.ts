import type { LLMBackend } from '../core/llm.js';
import type { LoopState } from '../core/state.js';
import type { Message } from '../core/types.js';
import { errorMessage } from '../util/errors.js';
import { checkBriefing, checkCompacted, hookName } from './hook-answers.js';
import { callHook, DECISION_METHODS, type Hook, listIndex, runDecisionHooks } from './hooks.js';
import type { RunResult } from './result.js';

/**
 * Composes hooks into one hook that behaves exactly like passing them as a list: same order, same
 * merge rules. `composeHooks()` is the empty hook; composition is associative.
 */
export function composeHooks(...hooks: Hook[]): Hook {
  const composed: Hook & Record<string, unknown> = {
    name: hooks.map((h, i) => hookName(h, i)).join('+') || 'empty',
  };
  const has = (method: keyof Hook) => hooks.some((hook) => typeof hook[method] === 'function');
  for (const method of DECISION_METHODS) {
    if (!has(method)) continue;
    composed[method] = (args: { step?: number }) =>
      runDecisionHooks(hooks, method, args as never, args.step ?? 0);
  }
  if (has('shouldCompact')) {
    composed.shouldCompact = async (args: { state: LoopState; step: number }) => {
      for (const [index, hook] of hooks.entries()) {
        if (!hook.shouldCompact) continue;
        if (await callHook(hook, index, 'shouldCompact', args.step, () => hook.shouldCompact!(args)))
          return true;
      }
      return undefined;
    };
  }
  if (has('compact')) {
    composed.compact = async (args: {
      state: LoopState;
      step: number;
      messages: Message[];
      llm: LLMBackend;
    }) => {
      let messages = args.messages;
      for (const [index, hook] of hooks.entries()) {
        if (!hook.compact) continue;
        messages =
          (await callHook(
            hook,
            index,
            'compact',
            args.step,
            () => hook.compact!({ ...args, messages }),
            checkCompacted,
          )) ?? messages;
      }
      return messages;
    };
  }
  if (has('buildBriefing')) {
    composed.buildBriefing = async (args: { state: LoopState; step: number }) => {
      const parts: string[] = [];
      for (const [index, hook] of hooks.entries()) {
        if (!hook.buildBriefing) continue;
        const part = await callHook(
          hook,
          index,
          'buildBriefing',
          args.step,
          () => hook.buildBriefing!(args),
          checkBriefing,
        );
        if (part) parts.push(part);
      }
      return parts.length > 0 ? parts.join('\n') : undefined;
    };
  }
  if (has('onLoopEnd')) {
    composed.onLoopEnd = async (args: { state: LoopState; result: RunResult }) => {
      await runLoopEndHooks(hooks, args);
    };
  }
  return composed;
}

/**
 * Runs every `onLoopEnd`, even when one throws: each hook gets its chance to clean up. The first
 * error is re-thrown after all have run, and `run.result` rejects with it; so from that error on,
 * the result the remaining hooks see (and recorders keep) says so: `hook_stop`, `error: <message>`.
 */
export async function runLoopEndHooks(
  hooks: readonly Hook[],
  args: { state: LoopState; result: RunResult },
): Promise<void> {
  let firstError: unknown;
  for (const [index, hook] of hooks.entries()) {
    if (!hook.onLoopEnd) continue;
    try {
      await callHook(hook, listIndex(hooks, index), 'onLoopEnd', args.result.steps.length, () =>
        hook.onLoopEnd!(args),
      );
    } catch (error) {
      if (firstError === undefined) {
        firstError = error;
        markFailed(args.result, error);
      }
    }
  }
  if (firstError !== undefined) throw firstError;
}

/**
 * Rewrites a result in place (hooks and recorders hold this very object) to the failure the caller
 * will see, unless it already records one: a run that failed with a hook error keeps that error,
 * which is the one `run.result` rejects with.
 */
function markFailed(result: RunResult, error: unknown): void {
  if (result.endReason === 'hook_stop' && result.error !== undefined) return;
  result.endReason = 'hook_stop';
  result.stopReason = `error: ${errorMessage(error)}`;
  result.error = error instanceof Error ? error : new Error(errorMessage(error));
  delete result.finalOutput;
}
