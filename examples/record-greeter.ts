/**
 * Records the golden greeter trace, then replays it with no model and no network.
 *
 *   npx tsx examples/record-greeter.ts            # writes traces/greeter/alice (byte-identical every time)
 *   npx tsx examples/record-greeter.ts --replay   # replays it strictly and prints the steps
 *   npx looplet show traces/greeter/alice --prompts
 *
 * The model is scripted, and the clock and ids are fixed, so re-running this example rewrites the
 * same bytes (volatile.json aside): `git diff traces/` stays empty unless the harness changed.
 */
import { pathToFileURL } from 'node:url';
import { fixedClock, ProvenanceSink, ReplayLLM, ScriptedLLM, sequentialIds } from 'looplet';
import { createGreeter } from './agents/greeter.js';

export { done, greet } from './agents/greeter.js';

export const TRACE_DIR = 'traces/greeter/alice';

export const task = { goal: 'Greet Alice' };

/** What a model would answer, so the example needs no network. */
export function scriptedModel(): ScriptedLLM {
  return new ScriptedLLM(
    [
      {
        text: 'I will greet Alice.',
        toolCalls: [{ name: 'greet', args: { name: 'Alice' } }],
        usage: { promptTokens: 182, completionTokens: 21, totalTokens: 203 },
      },
      {
        toolCalls: [{ name: 'done', args: { greeted: ['Alice'] } }],
        usage: { promptTokens: 231, completionTokens: 17, totalTokens: 248 },
      },
    ],
    { model: 'scripted-greeter' },
  );
}

/** Records the greeter run into `dir` and returns the written path. */
export async function record({ dir = TRACE_DIR }: { dir?: string } = {}): Promise<string> {
  const sink = new ProvenanceSink({ dir });
  const run = createGreeter({
    llm: sink.wrapLLM(scriptedModel()),
    task,
    hooks: [sink.hook()],
    clock: fixedClock({ at: Date.UTC(2025, 0, 1), stepMs: 5 }),
    ids: sequentialIds(),
  });
  for await (const step of run) console.log(step.pretty());
  const result = await run.result;
  // Collector output for evals, and grader-only data the agent never sees.
  sink.artifacts = {
    greetings: result.steps.flatMap((step) =>
      step.results.filter((r) => r.name === 'greet').map((r) => r.data),
    ),
  };
  sink.expected = { greeted: ['Alice'] };
  const written = await sink.flush();
  console.log(`${result.endReason} → wrote ${written}`);
  return written;
}

/** Replays the trace strictly (no model, no network) and prints the steps. */
export async function replay(): Promise<void> {
  const run = createGreeter({ llm: ReplayLLM.fromTrace(TRACE_DIR), task });
  for await (const step of run) console.log(step.pretty());
  const result = await run.result;
  if (result.error) throw result.error; // e.g. ReplayDivergenceError with a diff of the prompts
  console.log(`${result.endReason}: ${JSON.stringify(result.finalOutput)}`);
}

// Run as a script (not when imported, e.g. by the test that checks the golden trace is up to date).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--replay')) await replay();
  else await record();
}
