import { describe, expect, it } from 'vitest';
import {
  decide,
  type Hook,
  type HookDecision,
  type LoopState,
  type RunResult,
  type ToolCall,
  type ToolResult,
} from '../../src/index.js';
import { DECISION_METHODS } from '../../src/loop/hooks.js';
import { HookLawViolation, hookLaws, type LawName } from '../../src/testing/index.js';
import { TIMEOUT } from './settings.js';

// Hooks that break a law on purpose, each the kind of bug a real hook has. hookLaws must report
// each one, with a shrunk counterexample and the seed and path that replay it.

/** A step budget whose counter lives in the closure and is never reset: a second run starts where the first stopped. */
function leakyBudget(): Hook {
  let steps = 0;
  return { name: 'leakyBudget', shouldStop: () => (++steps >= 3 ? decide.stop('budget spent') : undefined) };
}

/** A hook combinator that merges decisions with object spread: the last block wins, context is overwritten. */
function spreadCompose(...hooks: Hook[]): Hook {
  const methods = DECISION_METHODS;
  const composed: Record<string, unknown> = { name: 'spread' };
  for (const method of methods) {
    if (!hooks.some((hook) => hook[method])) continue;
    composed[method] = async (args: never) => {
      let merged: HookDecision = {};
      for (const hook of hooks) {
        const fn = hook[method] as
          | ((a: never) => HookDecision | undefined | Promise<HookDecision | undefined>)
          | undefined;
        merged = { ...merged, ...((await fn?.call(hook, args)) ?? {}) };
      }
      return merged;
    };
  }
  composed.onLoopEnd = async (args: never) => {
    for (const hook of hooks) await (hook.onLoopEnd as ((a: never) => unknown) | undefined)?.call(hook, args);
  };
  return composed as Hook;
}

/** Warms a cache by running the tool in preDispatch, before permission hooks have decided. */
const prefetch: Hook = {
  name: 'prefetch',
  preDispatch: ({ state, step, call }) => {
    void state.tools.get(call.name)?.run(call.args, { signal: state.signal, call, state, step });
  },
};

/** Pauses the run with a stop, then "finishes the job" in onLoopEnd by asking the model again. */
const autoResume: Hook = {
  name: 'autoResume',
  shouldStop: ({ step }) => (step >= 1 ? decide.stop('pausing') : undefined),
  async onLoopEnd({ state, result }) {
    if (result.endReason !== 'hook_stop') return;
    try {
      await state.llm.generate({ messages: state.messages, tools: [], step: 0 });
    } catch {
      // Nothing left to resume with.
    }
  },
};

/** Keeps the newest instruction at the top: moves the latest user message right after the system prompt. */
const pinNewest: Hook = {
  name: 'pinNewest',
  prePrompt: ({ state }) => {
    const last = state.messages.findLastIndex((message) => message.role === 'user');
    if (last > 2) state.messages.splice(1, 0, ...state.messages.splice(last, 1));
  },
};

/** Flushes its buffer early when it stops the run, by calling its own onLoopEnd — which the loop calls again. */
const earlyFlush = {
  name: 'earlyFlush',
  shouldStop(this: Hook, { state, step }: { state: LoopState; step: number }) {
    if (step < 1) return undefined;
    const result = { endReason: 'hook_stop', steps: [...state.steps], usage: state.usage } as RunResult;
    void this.onLoopEnd?.({ state, result });
    return decide.stop('flushed');
  },
  onLoopEnd() {
    // Writes the buffer somewhere.
  },
};

/** Retries failed calls by running the tool itself — aborted calls included. */
const retryOnError: Hook = {
  name: 'retryOnError',
  async postDispatch({
    state,
    step,
    call,
    result,
  }: {
    state: LoopState;
    step: number;
    call: ToolCall;
    result: ToolResult;
  }) {
    if (!result.error || result.error.kind === 'unknown_tool' || result.error.kind === 'invalid_args')
      return undefined;
    try {
      return {
        updatedResult: await state.tools
          .get(call.name)
          ?.run(call.args, { signal: state.signal, call, state, step }),
      };
    } catch {
      return undefined;
    }
  },
};

const planted: Array<{
  law: LawName;
  bug: string;
  hooks: Hook[] | (() => Hook[]);
  compose?: (...h: Hook[]) => Hook;
  problem: RegExp;
}> = [
  {
    law: 'identity',
    bug: 'a stateful hook that behaves differently when run again (composed)',
    hooks: () => [leakyBudget()],
    problem: /does not behave like the plain list/,
  },
  {
    law: 'associativity',
    bug: 'a combinator where the last block wins',
    hooks: [],
    compose: spreadCompose,
    problem: /does not behave like the plain list/,
  },
  {
    law: 'firstBlockWins',
    bug: 'a hook that runs the tool before permission is decided',
    hooks: [prefetch],
    problem: /the tool ran for call .* although .* blocked it/,
  },
  {
    law: 'stopIsFinal',
    bug: 'a hook that un-stops (resumes after its own stop)',
    hooks: [autoResume],
    problem: /the model was called again .* after .* said stop/,
  },
  {
    law: 'contextOrder',
    bug: 'a hook that reorders context',
    hooks: [pinNewest],
    problem: /saw context .* but hooks had added/,
  },
  {
    law: 'loopEndOnce',
    bug: 'a hook that calls its own onLoopEnd early',
    hooks: [earlyFlush as Hook],
    problem: /earlyFlush.*onLoopEnd ran 2 times/,
  },
  {
    law: 'abortStopsDispatch',
    bug: 'a hook that dispatches after the abort',
    hooks: [retryOnError],
    problem: /tool \w+ ran after the abort/,
  },
];

describe('hookLaws catches hooks that break each law', () => {
  for (const { law, bug, hooks, compose, problem } of planted) {
    it(
      `${law}: ${bug}`,
      async () => {
        const list = typeof hooks === 'function' ? hooks() : hooks;
        const options = {
          hooks: list,
          laws: [law],
          numRuns: 300,
          seed: 20_261_123,
          ...(compose ? { compose } : {}),
        };
        const error = await hookLaws(options)
          .check()
          .then(
            () => undefined,
            (caught: unknown) => caught,
          );
        expect(error).toBeInstanceOf(HookLawViolation);
        const violation = error as HookLawViolation;
        const [failure] = violation.failures;
        expect(violation.failures).toHaveLength(1);
        expect(failure?.law).toBe(law);
        expect(failure?.problem).toMatch(problem);
        expect(failure?.counterexample).toBeDefined();
        expect(violation.message).toContain(`hook law "${law}" does not hold`);
        expect(violation.message).toContain('hooks, in list order:');
        expect(violation.message).toContain(`seed: ${failure?.seed}, path: '${failure?.path}'`);

        // The printed seed and path replay the shrunk counterexample directly.
        const replayHooks = typeof hooks === 'function' ? hooks() : hooks;
        const replayed = await hookLaws({
          ...options,
          hooks: replayHooks,
          seed: failure!.seed,
          path: failure!.path,
        }).run();
        expect(replayed[0]?.counterexample).toEqual(failure?.counterexample);
        expect(replayed[0]?.problem).toMatch(problem);
      },
      TIMEOUT,
    );
  }

  it('the planted hooks are not reported by the laws they keep', async () => {
    // A hook that keeps every law passes; these two bugs only break the laws above.
    const clean = await hookLaws({
      hooks: [pinNewest],
      laws: ['loopEndOnce', 'abortStopsDispatch'],
      numRuns: 50,
      seed: 1,
    }).run();
    expect(clean).toEqual([]);
  });
});
