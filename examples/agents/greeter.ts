/**
 * The greeter agent: greets whoever the task names with the `greet` tool, then calls done with
 * the names. examples/record-greeter.ts records it into traces/greeter/alice; evals/eval_greeter.ts
 * exports it as the `agent` that `looplet-eval` replays that trace through.
 */
import {
  type AgentRun,
  agentLoop,
  type Clock,
  defineTool,
  doneTool,
  type Hook,
  type IdGenerator,
  type LLMBackend,
  type Task,
} from 'looplet';

export const greet = defineTool({
  name: 'greet',
  description: 'Greet someone by name',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: `Hello, ${String(name)}!` }),
});

/** The done tool's arguments are the run's final output: who was greeted. */
export const done = doneTool({
  parameters: {
    type: 'object',
    properties: { greeted: { type: 'array', items: { type: 'string' } } },
    required: ['greeted'],
  },
});

/** Starts the greeter on a task; `looplet-eval` passes the model and its hooks, the recorder also a fixed clock and ids. */
export function createGreeter({
  llm,
  task,
  hooks = [],
  clock,
  ids,
}: {
  llm: LLMBackend;
  task: Task;
  hooks?: Hook[];
  clock?: Clock;
  ids?: IdGenerator;
}): AgentRun {
  return agentLoop({
    llm,
    task,
    tools: [greet, done],
    hooks,
    ...(clock ? { clock } : {}),
    ...(ids ? { ids } : {}),
  });
}
