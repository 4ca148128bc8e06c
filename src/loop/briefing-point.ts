import type { LoopState } from '../core/state.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-async.js';
import { checkBriefing } from './hook-answers.js';
import { callHookMethod, type Hook } from './hooks.js';

/**
 * Asks the `buildBriefing` hooks in order and joins their texts, one per line, into the one
 * message the model gets (as `composeHooks` gives: a list of hooks and its composition must
 * prompt alike). Answers synchronously while every hook does (no promise, no closure), else
 * with a promise from the first hook that returns one.
 */
export function collectBriefing(
  hooks: readonly Hook[],
  step: number,
  args: { state: LoopState; step: number },
): MaybePromise<string | undefined> {
  let briefing: string | undefined;
  for (let index = 0; index < hooks.length; index++) {
    const part = callHookMethod(hooks, index, 'buildBriefing', step, args, checkBriefing);
    if (isPromiseLike(part)) return collectOn(hooks, step, args, index, part, briefing);
    briefing = joinBriefing(briefing, part);
  }
  return briefing;
}

async function collectOn(
  hooks: readonly Hook[],
  step: number,
  args: { state: LoopState; step: number },
  index: number,
  pending: PromiseLike<string | undefined>,
  sofar: string | undefined,
): Promise<string | undefined> {
  let briefing = joinBriefing(sofar, await pending);
  for (let next = index + 1; next < hooks.length; next++) {
    const part = callHookMethod(hooks, next, 'buildBriefing', step, args, checkBriefing);
    briefing = joinBriefing(briefing, isPromiseLike(part) ? await part : part);
  }
  return briefing;
}

function joinBriefing(briefing: string | undefined, part: string | undefined): string | undefined {
  if (!part) return briefing;
  return briefing === undefined ? part : `${briefing}\n${part}`;
}
