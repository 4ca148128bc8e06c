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

async function median(fn, steps, runs) {
  for (let warm = 0; warm < 3; warm++) await fn(steps);
  const times = [];
  for (let run = 0; run < runs; run++) {
    globalThis.gc?.();
    times.push(await fn(steps));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export default async function loopBench({ record }) {
  const results = {};
  for (const steps of [200, 10_000]) {
    const runs = steps === 200 ? 200 : 9;
    const bare = await median(timeBareLoop, steps, runs);
    const looplet = await median(timeLooplet, steps, runs);
    results[steps] = looplet;
    const goal = 5;
    record({
      name: `loop overhead per step, ${steps} steps (every hook method)`,
      value: looplet * 1000,
      unit: 'µs/step',
      baseline: { name: 'hand-written loop', value: bare * 1000 },
      goal: `<= ${goal} µs/step`,
      met: looplet * 1000 <= goal,
    });
  }
  record({
    name: 'per-step cost at 10,000 vs 200 steps',
    value: results[10_000] / results[200],
    unit: '×',
    goal: 'flat (≈1×; Python original grows 3.8× from 200 to 2,000)',
    met: results[10_000] / results[200] < 1.5,
  });
}
