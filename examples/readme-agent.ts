// The README's "agent in 20 lines", kept here so it is type-checked and run by the tests.
// test/docs/readme.test.ts fails when the two differ.
import { agentLoop, defineTool, OpenAIBackend, permissionHook, ScriptedLLM } from 'looplet';

const greet = defineTool({
  name: 'greet',
  description: 'Greet someone by name',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: `Hello, ${String(name)}!` }),
});

const llm = process.env.OPENAI_BASE_URL
  ? OpenAIBackend.fromEnv() // any OpenAI-compatible server: OpenAI, Ollama, vLLM, LM Studio…
  : new ScriptedLLM([
      { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
      { toolCalls: [{ name: 'done', args: { summary: 'greeted' } }] },
    ]);

const hooks = [permissionHook({ allow: ['greet'] })]; // every tool call the model makes passes the hooks
const run = agentLoop({ llm, tools: [greet], task: { goal: 'Greet Alice' }, maxSteps: 5, hooks });
for await (const step of run) console.log(step.pretty()); // #1 ✓ greet(name='Alice') → {greeting} [0ms]
console.log((await run.result).endReason); // 'done'; the result also has finalOutput, steps, usage
