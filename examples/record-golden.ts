/**
 * Records the repo's golden weather traces (the greeter has its own script, record-greeter.ts;
 * traces/python-report was written by Python looplet 0.3). The model is scripted and the clock
 * and ids are fixed, so re-recording rewrites the same bytes (volatile.json aside): a non-empty
 * `git diff traces/` after `npx tsx examples/record-golden.ts` means the harness changed.
 *
 *   npx tsx examples/record-golden.ts
 *   npx looplet show traces/weather/two-cities
 */
import { fixedClock, ProvenanceSink, ScriptedLLM, type ScriptedTurn, sequentialIds } from 'looplet';
import { createWeatherAdviser } from './agents/weather.js';

export { done, getWeather } from './agents/weather.js';

const usage = (promptTokens: number, completionTokens: number) => ({
  promptTokens,
  completionTokens,
  totalTokens: promptTokens + completionTokens,
});

/** Each golden run: its directory, task, what the model answers, and grader-only expectations. */
export const GOLDEN: ReadonlyArray<{
  dir: string;
  goal: string;
  turns: ScriptedTurn[];
  expected: Record<string, unknown>;
}> = [
  {
    dir: 'traces/weather/two-cities',
    goal: 'Should I pack an umbrella for Shanghai and Lisbon?',
    turns: [
      {
        toolCalls: [
          { id: 'call_sh', name: 'get_weather', args: { location: 'Shanghai' } },
          { id: 'call_li', name: 'get_weather', args: { location: 'Lisbon' } },
        ],
        usage: usage(91, 38),
      },
      {
        toolCalls: [
          {
            id: 'call_done',
            name: 'done',
            args: {
              advice: 'Umbrella for Shanghai (rain), not for Lisbon (sun).',
              cities: ['Shanghai', 'Lisbon'],
            },
          },
        ],
        usage: usage(170, 31),
      },
    ],
    expected: { umbrella: ['Shanghai'] },
  },
  {
    dir: 'traces/weather/unknown-city',
    goal: 'Should I pack an umbrella for Atlantis?',
    turns: [
      {
        toolCalls: [{ id: 'call_at', name: 'get_weather', args: { location: 'Atlantis' } }],
        usage: usage(88, 19),
      },
      {
        toolCalls: [
          {
            id: 'call_done',
            name: 'done',
            args: { advice: 'No forecast exists for Atlantis; I cannot say.', cities: [] },
          },
        ],
        usage: usage(140, 27),
      },
    ],
    expected: { umbrella: [] },
  },
];

export async function recordGolden(): Promise<string[]> {
  const written: string[] = [];
  for (const golden of GOLDEN) {
    const sink = new ProvenanceSink({ dir: golden.dir });
    const run = createWeatherAdviser({
      llm: sink.wrapLLM(new ScriptedLLM(golden.turns, { model: 'scripted-weather' })),
      task: { goal: golden.goal },
      hooks: [sink.hook()],
      clock: fixedClock({ at: Date.UTC(2025, 0, 1), stepMs: 5 }),
      ids: sequentialIds(),
    });
    for await (const step of run) console.log(step.pretty());
    await run.result;
    sink.expected = golden.expected;
    written.push(await sink.flush());
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const dir of await recordGolden()) console.log(`wrote ${dir}`);
}
