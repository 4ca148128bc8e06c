// Loop overhead per step: agentLoop with the full hook protocol (a hook implementing every method)
// and a no-op tool, driven by a scripted model, against a hand-written minimal async-generator loop
// doing the same model call and tool call. Figures are medians of several runs after warm-up.
import { agentLoop, defineTool, ScriptedLLM } from '../dist/index.js';

const noopTool = defineTool({
  name: 'noop',
  description: 'does nothing',
  parameters: { type: 'object' },
  run: () => 1,
});
const everyMethodHook = {
  name: 'every-method',
  preLoop() {},
  shouldCompact() {},
  buildBriefing() {},
  prePrompt() {},
  preDispatch() {},
  checkPermission() {},
  postDispatch() {},
  onStep() {},
  checkDone() {},
  shouldStop() {},
  onLoopEnd() {},
};

function script(steps) {
  return new ScriptedLLM(
    Array.from({ length: steps }, () => ({ toolCalls: [{ id: 'c', name: 'noop', args: {} }] })),
  );
}

async function timeLooplet(steps) {
  const llm = script(steps);
  const started = performance.now();
  const run = agentLoop({ llm, tools: [noopTool], task: 'bench', maxSteps: steps, hooks: [everyMethodHook] });
  for await (const _step of run);
  const result = await run.result;
  if (result.endReason !== 'max_steps' || result.steps.length !== steps)
    throw new Error(`unexpected run: ${result.endReason}`);
  return (performance.now() - started) / steps;
}

async function timeBareLoop(steps) {
  const llm = script(steps);
  const messages = [];
  async function* loop() {
    for (let step = 1; step <= steps; step++) {
      const response = await llm.generate({ messages, tools: [], step });
      const call = response.toolCalls[0];
      const data = await noopTool.run(call.args);
      messages.push(
        { role: 'assistant', toolCalls: response.toolCalls },
        { role: 'tool', toolCallId: call.id, content: JSON.stringify(data) },
      );
      yield data;
    }
  }
  const started = performance.now();
  for await (const _data of loop());
  return (performance.now() - started) / steps;
}

/** Median and fastest of `runs` timed runs after warm-up (this VM's timings are noisy: both are shown). */
async function measure(fn, steps, runs) {
  for (let warm = 0; warm < 5; warm++) await fn(steps);
  const times = [];
  for (let run = 0; run < runs; run++) {
    globalThis.gc?.();
    times.push(await fn(steps));
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], fastest: times[0] };
}

export default async function loopBench({ record }) {
  const results = {};
  const goal = 5;
  for (const steps of [200, 10_000]) {
    const runs = steps === 200 ? 300 : 15;
    const bare = await measure(timeBareLoop, steps, runs);
    const looplet = await measure(timeLooplet, steps, runs);
    results[steps] = looplet;
    record({
      name: `loop overhead per step, ${steps} steps, every hook method (median of ${runs})`,
      value: looplet.median * 1000,
      unit: 'µs/step',
      baseline: { name: 'hand-written loop', value: bare.median * 1000 },
      goal: `<= ${goal} µs/step`,
      met: looplet.median * 1000 <= goal,
    });
    record({
      name: `… fastest of ${runs}`,
      value: looplet.fastest * 1000,
      unit: 'µs/step',
      baseline: { name: 'hand-written loop', value: bare.fastest * 1000 },
      goal: `<= ${goal} µs/step`,
      met: looplet.fastest * 1000 <= goal,
    });
  }
  record({
    name: 'per-step cost at 10,000 vs 200 steps (medians)',
    value: results[10_000].median / results[200].median,
    unit: '×',
    goal: 'flat (≈1×; Python original grows 3.8× from 200 to 2,000)',
    met: results[10_000].median / results[200].median < 1.5,
  });
}
