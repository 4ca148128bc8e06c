import { isPromiseLike, type MaybePromise } from '../util/maybe-async.js';
import { checkCompacted } from './hook-answers.js';
import { callHook, listIndex } from './hooks.js';
import type { RunContext } from './run-context.js';

/** Asks `shouldCompact` hooks (synchronously when they answer so) and runs `compact` when one says yes. */
export function maybeCompact(run: RunContext, step: number): MaybePromise<void> {
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
