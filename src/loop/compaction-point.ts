import type { LoopState } from '../core/state.js';
import { checkCompacted } from './hook-answers.js';
import { callHook, callHookMethod, listIndex } from './hooks.js';
import type { RunContext } from './run-context.js';

/**
 * Asks the `shouldCompact` hooks in order and runs every `compact` when one says yes. Returns
 * undefined when no hook wanted compaction and all answered synchronously (the usual case, which
 * makes no promise and no closure), else a promise of the compaction.
 */
export function maybeCompact(
  run: RunContext,
  step: number,
  args: { state: LoopState; step: number },
): Promise<void> | undefined {
  const hooks = run.hooks.shouldCompact;
  for (let index = 0; index < hooks.length; index++) {
    const wanted = callHookMethod(hooks, index, 'shouldCompact', step, args);
    if (wanted instanceof Promise) return askOn(run, step, args, index, wanted);
    if (wanted) return compact(run, step);
  }
  return undefined;
}

async function askOn(
  run: RunContext,
  step: number,
  args: { state: LoopState; step: number },
  index: number,
  pending: Promise<boolean | undefined>,
): Promise<void> {
  if (await pending) return compact(run, step);
  const hooks = run.hooks.shouldCompact;
  for (let next = index + 1; next < hooks.length; next++) {
    if (await callHookMethod(hooks, next, 'shouldCompact', step, args)) return compact(run, step);
  }
}

async function compact(run: RunContext, step: number): Promise<void> {
  const { state, hooks } = run;
  let messages = state.messages;
  for (const [index, hook] of hooks.compact.entries()) {
    messages =
      (await callHook(
        hook,
        listIndex(hooks.compact, index),
        'compact',
        step,
        () => hook.compact!({ state, step, messages, llm: state.llm }),
        checkCompacted,
      )) ?? messages;
  }
  state.messages = messages;
}
