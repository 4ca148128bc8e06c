// Loop overhead per step: agentLoop with the full hook protocol (a hook implementing every method)
// and a no-op tool, driven by a scripted model, against a hand-written minimal async-generator loop
// doing the same model call and tool call, run by run in turns. Figures are medians of several runs
// after warm-up, and the bytes each step allocates.
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from '../dist/index.js';

const { defineTool, ScriptedLLM } = current;

// LOOPLET_BENCH_BEFORE=<another build's dist/index.js> adds that build to the run, taking turns
// with the others, so a change is measured before and after in one machine state (e.g. a worktree
// of main, after `npm ci && npm run build` there).
const beforePath = process.env.LOOPLET_BENCH_BEFORE;
const before = beforePath ? await import(pathToFileURL(resolve(beforePath)).href) : undefined;

const noopToolOptions = {
  name: 'noop',
  description: 'does nothing',
  parameters: { type: 'object' },
  run: () => 1,
};
const noopTool = defineTool(noopToolOptions);
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

function turns(steps) {
  return Array.from({ length: steps }, () => ({ toolCalls: [{ id: 'c', name: 'noop', args: {} }] }));
}

function script(steps) {
  return new ScriptedLLM(turns(steps));
}

/** Times agentLoop runs of one build (this one, or LOOPLET_BENCH_BEFORE's), with its own tool and model. */
function loopletTimer(build) {
  const tool = build === current ? noopTool : build.defineTool({ ...noopToolOptions });
  return async function timeLooplet(steps) {
    const llm = new build.ScriptedLLM(turns(steps));
    const started = performance.now();
    const run = build.agentLoop({
      llm,
      tools: [tool],
      task: 'bench',
      maxSteps: steps,
      hooks: [everyMethodHook],
    });
    for await (const _step of run);
    const result = await run.result;
    if (result.endReason !== 'max_steps' || result.steps.length !== steps)
      throw new Error(`unexpected run: ${result.endReason}`);
    return (performance.now() - started) / steps;
  };
}
const timeLooplet = loopletTimer(current);

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

const sorted = (list) => [...list].sort((a, b) => a - b);

/**
 * Median and fastest of `runs` timed runs of each loop, after five untimed runs of the same length
 * (this VM's timings are noisy: both are shown). The loops take turns, run by run, so a change in
 * the machine's load hits both alike. No forced GC: garbage is collected during the runs, as in a
 * process that runs agents one after another, and each loop's share of it lands in its own runs.
 * (A forced full GC is measured on its own, by `afterForcedGc`: it makes V8 drop the optimised code
 * of functions whose object shapes died with the previous run, so a run right after one measures
 * the JIT recompiling the loop rather than the loop.)
 */
async function measure(fns, steps, runs) {
  for (let warm = 0; warm < 5; warm++) for (const fn of fns) await fn(steps);
  const times = fns.map(() => []);
  const cpu = fns.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [index, fn] of fns.entries()) {
      const before = process.cpuUsage();
      times[index].push(await fn(steps));
      const used = process.cpuUsage(before);
      cpu[index].push((used.user + used.system) / 1000 / steps);
    }
  }
  return times.map((list, index) => {
    const wall = sorted(list);
    const used = sorted(cpu[index]);
    return { median: wall[wall.length >> 1], fastest: wall[0], cpuMedian: used[used.length >> 1] };
  });
}

/**
 * The median of `runs` runs of `steps` steps each made right after a forced full GC (`gc()`, as
 * V8's memory reducer does when a process idles): the worst case for the JIT, whose optimised code
 * for the loop is dropped with the object shapes that died. Null without `--expose-gc`.
 */
async function afterForcedGc(fns, steps, runs) {
  if (!globalThis.gc) return null;
  const times = fns.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [index, fn] of fns.entries()) {
      globalThis.gc();
      times[index].push(await fn(steps));
    }
  }
  return times.map((list) => sorted(list)[list.length >> 1]);
}

/**
 * Bytes allocated per step, objects collected since included: V8's sampling heap profiler (one
 * sample per 64 bytes on average) over 10 runs of 2,000 steps. Unlike time, this barely varies
 * from run to run.
 */
async function allocatedPerStep(fn) {
  const steps = 2000;
  for (let warm = 0; warm < 3; warm++) await fn(steps);
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let run = 0; run < 10; run++) await fn(steps);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  let bytes = 0;
  const visit = (node) => {
    bytes += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  return bytes / (steps * 10);
}

export default async function loopBench({ record }) {
  const timeBefore = before ? loopletTimer(before) : undefined;
  // The previous build's figure, against the same baseline, right after this build's.
  const recordBefore = (value, baseline, unit) =>
    record({
      name: '… previous build (LOOPLET_BENCH_BEFORE)',
      value,
      unit,
      baseline: { name: 'hand-written loop', value: baseline },
    });
  const bareBytes = await allocatedPerStep(timeBareLoop);
  const loopletBytes = await allocatedPerStep(timeLooplet);
  record({
    name: 'allocated per step, every hook method (sampled heap profile, 10 × 2,000 steps)',
    value: loopletBytes,
    unit: 'B/step',
    baseline: { name: 'hand-written loop', value: bareBytes },
  });
  if (timeBefore) recordBefore(await allocatedPerStep(timeBefore), bareBytes, 'B/step');
  const timed = [timeBareLoop, timeLooplet, ...(timeBefore ? [timeBefore] : [])];
  const results = {};
  const goal = 5;
  for (const steps of [200, 10_000]) {
    const runs = steps === 200 ? 300 : 15;
    const [bare, looplet, previous] = await measure(timed, steps, runs);
    results[steps] = looplet;
    record({
      name: `loop overhead per step, ${steps} steps, every hook method (median of ${runs})`,
      value: looplet.median * 1000,
      unit: 'µs/step',
      baseline: { name: 'hand-written loop', value: bare.median * 1000 },
      goal: `<= ${goal} µs/step`,
      met: looplet.median * 1000 <= goal,
    });
    if (previous) recordBefore(previous.median * 1000, bare.median * 1000, 'µs/step');
    record({
      name: `… CPU time per step (median; the process's, GC threads included)`,
      value: looplet.cpuMedian * 1000,
      unit: 'µs/step',
      baseline: { name: 'hand-written loop', value: bare.cpuMedian * 1000 },
    });
    if (previous) recordBefore(previous.cpuMedian * 1000, bare.cpuMedian * 1000, 'µs/step');
    record({
      name: `… fastest of ${runs}`,
      value: looplet.fastest * 1000,
      unit: 'µs/step',
      baseline: { name: 'hand-written loop', value: bare.fastest * 1000 },
      goal: `<= ${goal} µs/step`,
      met: looplet.fastest * 1000 <= goal,
    });
    if (previous) recordBefore(previous.fastest * 1000, bare.fastest * 1000, 'µs/step');
  }
  record({
    name: 'per-step cost at 10,000 vs 200 steps (medians)',
    value: results[10_000].median / results[200].median,
    unit: '×',
    goal: 'flat (≈1×; Python original grows 3.8× from 200 to 2,000)',
    met: results[10_000].median / results[200].median < 1.5,
  });
  const cold = await afterForcedGc(timed, 10_000, 9);
  if (cold) {
    const [bare, looplet, previous] = cold;
    record({
      name: 'per step, a 10,000-step run right after a forced full GC (median of 9; optimised code dropped)',
      value: looplet * 1000,
      unit: 'µs/step',
      baseline: { name: 'hand-written loop', value: bare * 1000 },
    });
    if (previous !== undefined) recordBefore(previous * 1000, bare * 1000, 'µs/step');
  }
}
