/**
 * Hello world: an agent with one tool greets someone and finishes.
 *
 *   npx tsx examples/hello-world.ts                    # no model needed (scripted)
 *   OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.1 npx tsx examples/hello-world.ts
 *
 * With OPENAI_BASE_URL set (and no `--scripted`), it talks to that OpenAI-compatible server;
 * OPENAI_MODEL names the model and OPENAI_API_KEY is sent when set.
 */
import { agentLoop, defineTool, type LLMBackend, OpenAIBackend, ScriptedLLM } from 'looplet';

export const greet = defineTool({
  name: 'greet',
  description: 'Greet someone by name',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: `Hello, ${String(name)}!` }),
});

/** What a model would answer, so the example runs with no network. */
export function scriptedModel(): ScriptedLLM {
  return new ScriptedLLM([
    { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
    { toolCalls: [{ name: 'done', args: { summary: 'Greeted Alice' } }] },
  ]);
}

export async function main(args: string[]): Promise<string> {
  const live = process.env.OPENAI_BASE_URL !== undefined && !args.includes('--scripted');
  const llm: LLMBackend = live ? OpenAIBackend.fromEnv() : scriptedModel();
  const run = agentLoop({ llm, tools: [greet], task: { goal: 'Greet Alice, then call done.' }, maxSteps: 5 });
  for await (const step of run) console.log(step.pretty());
  const result = await run.result;
  console.log(`end reason: ${result.endReason}${result.stopReason ? ` (${result.stopReason})` : ''}`);
  return result.endReason;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const endReason = await main(process.argv.slice(2));
  process.exitCode = endReason === 'done' ? 0 : 1;
}
