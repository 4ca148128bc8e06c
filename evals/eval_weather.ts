// The weather adviser (examples/agents/weather.ts, recorded by examples/record-golden.ts):
// forecasts for several cities in parallel. `looplet-eval` replays traces/weather/** through it.
import { defineAgent, type EvalContext, mark } from 'looplet/evals';
import { createWeatherAdviser } from '../examples/agents/weather.js';

/** The agent the weather traces replay through. */
export const agent = defineAgent({ scope: 'weather/**', create: createWeatherAdviser });

type Advice = { advice: string; cities: string[] };

/** The advice names an umbrella for exactly the cities the grader expects rain in. */
export const eval_umbrella_advice = mark(
  { scope: 'weather/**', tags: ['smoke'] },
  (ctx: EvalContext<Advice>) => {
    const rainy = (ctx.expected.umbrella as string[] | undefined) ?? [];
    const advice = ctx.finalOutput?.advice ?? '';
    const mentioned = rainy.filter((city) => advice.includes(city));
    return rainy.length === 0 ? !/umbrella for/i.test(advice) : mentioned.length / rainy.length;
  },
);

/** Several cities are looked up in one model turn (parallel tool calls), not one per turn. */
export const eval_parallel_lookups = mark(
  { scope: 'weather/two-cities' },
  (ctx: EvalContext) => (ctx.steps[0]?.toolCalls.length ?? 0) >= 2,
);

/** A failed lookup is admitted in the answer, not papered over. */
export const eval_admits_missing_forecast = mark(
  { scope: 'weather/unknown-city' },
  (ctx: EvalContext<Advice>) =>
    ctx.toolErrors.length > 0 ? /no forecast|cannot/i.test(ctx.finalOutput?.advice ?? '') : true,
);
