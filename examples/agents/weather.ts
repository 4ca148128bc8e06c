/**
 * The weather adviser: looks up forecasts for several cities in parallel, then advises on an
 * umbrella. examples/record-golden.ts records it into traces/weather/; evals/eval_weather.ts
 * exports it as the `agent` that `looplet-eval` replays those traces through.
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

const FORECASTS: Record<string, { sky: string; highC: number }> = {
  Shanghai: { sky: 'rain', highC: 19 },
  Lisbon: { sky: 'sun', highC: 24 },
};

/** Safe to run several at once: the model's parallel calls are dispatched together. */
export const getWeather = defineTool({
  name: 'get_weather',
  description: 'Forecast for a city',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  concurrent: true,
  run: ({ location }) => {
    const forecast = FORECASTS[String(location)];
    if (!forecast) throw new Error(`no forecast for ${String(location)}`);
    return { location, ...forecast };
  },
});

export const done = doneTool({
  parameters: {
    type: 'object',
    properties: { advice: { type: 'string' }, cities: { type: 'array', items: { type: 'string' } } },
    required: ['advice', 'cities'],
  },
});

/** Starts the adviser on a task; `looplet-eval` passes the model and its hooks, the recorder also a fixed clock and ids. */
export function createWeatherAdviser({
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
    tools: [getWeather, done],
    hooks,
    ...(clock ? { clock } : {}),
    ...(ids ? { ids } : {}),
  });
}
