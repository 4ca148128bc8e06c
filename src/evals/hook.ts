import type { LLMBackend } from '../core/llm.js';
import type { LoopState } from '../core/state.js';
import type { Hook } from '../loop/hooks.js';
import type { RunResult } from '../loop/result.js';
import { type Collector, runCollectors } from './collectors.js';
import { contextFromRun } from './context.js';
import type { EvalsInput } from './definitions.js';
import type { Judge } from './judge.js';
import { runEvals } from './run.js';
import type { EvalContext, EvalOutcome } from './types.js';

/** The options of {@link evalHook}. */
export interface EvalHookOptions {
  evals: EvalsInput;
  /** Run at the end of the run, before the evals; their objects become `ctx.artifacts`. */
  collectors?: readonly Collector[];
  /** Grader-only data for `ctx.expected`. It is never shown to the agent. */
  expected?: Record<string, unknown>;
  judge?: Judge | LLMBackend;
  include?: readonly string[];
  exclude?: readonly string[];
  threshold?: number;
  timeoutMs?: number;
  /** Called once with the outcomes when the run has been scored (print them, save them…). */
  onResults?: (args: { outcomes: EvalOutcome[]; context: EvalContext }) => void | Promise<void>;
}

/** A hook that scores the run it is attached to; read `outcomes` after `await run.result`. */
export interface EvalHook extends Hook {
  /** The outcomes of the last run this hook saw (empty until a run has ended). */
  readonly outcomes: readonly EvalOutcome[];
  /** The context the evals saw in the last run. */
  readonly context: EvalContext | undefined;
}

/**
 * Scores a live run: when the loop ends (however it ends), runs the collectors, builds the
 * {@link EvalContext} and runs the evals. The same evals score saved traces and CI runs.
 * Eval failures and errors never affect the run itself.
 *
 * @example
 * const scoring = evalHook({ evals: { eval_completed, eval_greeted }, collectors: [collectReport] });
 * const run = agentLoop({ llm, tools, task, hooks: [scoring] });
 * await run.result;
 * for (const outcome of scoring.outcomes) console.log(formatOutcome(outcome));
 */
export function evalHook(options: EvalHookOptions): EvalHook {
  let outcomes: EvalOutcome[] = [];
  let context: EvalContext | undefined;
  return {
    name: 'evalHook',
    get outcomes() {
      return outcomes;
    },
    get context() {
      return context;
    },
    async onLoopEnd({ state, result }: { state: LoopState; result: RunResult }) {
      const collected = await runCollectors({ collectors: options.collectors ?? [], state, result });
      context = contextFromRun({
        result,
        state,
        artifacts: collected.artifacts,
        expected: options.expected ?? {},
        collectorErrors: collected.errors,
      });
      outcomes = await runEvals({
        evals: options.evals,
        contexts: [context],
        judge: options.judge,
        include: options.include,
        exclude: options.exclude,
        threshold: options.threshold,
        timeoutMs: options.timeoutMs,
      });
      await options.onResults?.({ outcomes, context });
    },
  };
}
