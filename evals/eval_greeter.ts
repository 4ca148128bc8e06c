// The greeter (examples/record-greeter.ts): greets whoever the task names, then calls done.
import { type EvalContext, mark } from 'looplet/evals';

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
