// Evals every golden run must pass, whatever the agent.
import { type EvalContext, mark } from 'looplet/evals';

/** The agent finished by itself: it called done (no budget, hook or error ended it). */
export const eval_finished = mark(['smoke'], (ctx: EvalContext) => ctx.endReason === 'done');

/** Size of the run, reported beside the verdicts (never pass or fail). */
export function eval_run_size(ctx: EvalContext) {
  return {
    steps: ctx.stepCount,
    tool_calls: ctx.toolCalls.length,
    tool_errors: ctx.toolErrors.length,
    tokens: ctx.usage.totalTokens,
  };
}
