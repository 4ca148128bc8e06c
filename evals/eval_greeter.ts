// The greeter (examples/agents/greeter.ts, recorded by examples/record-greeter.ts): greets whoever
// the task names, then calls done. `looplet-eval` replays traces/greeter/** through this agent.
import { defineAgent, type EvalContext, mark } from 'looplet/evals';
import { createGreeter } from '../examples/agents/greeter.js';

/** The agent the greeter traces replay through: a changed tool, prompt or hook shows as a divergence. */
export const agent = defineAgent({ scope: 'greeter/**', create: createGreeter });

type Greeted = { greeted: string[] };

/** Everyone the grader expected was greeted, according to the final output. */
export const eval_greeted_everyone = mark({ scope: 'greeter/**' }, (ctx: EvalContext<Greeted>) => {
  const expected = (ctx.expected.greeted as string[] | undefined) ?? [];
  const greeted = new Set(ctx.finalOutput?.greeted ?? []);
  return expected.length === 0 ? 0 : expected.filter((name) => greeted.has(name)).length / expected.length;
});

/** It greeted through the tool, not only by claiming so in done. */
export const eval_used_greet_tool = mark({ scope: 'greeter/**' }, (ctx: EvalContext) =>
  ctx.calls('greet').some((call) => call.error === undefined),
);
