// Provenance: time to flush a 200-step trace (Python looplet 0.3: 36–55 ms on this machine), the
// recording overhead per step against the same run unrecorded, the cost of replay's checks (request,
// tool-calls, lenient) against serving the responses unchecked, and `looplet show` / `looplet diff`
// of a 10,000-step trace through the built CLI (a fresh process each, wall time and peak RSS).
// Everything generated goes to a temporary directory, removed at the end.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  agentLoop,
  defineTool,
  fixedClock,
  ProvenanceSink,
  ReplayLLM,
  readTrace,
  ScriptedLLM,
  sequentialIds,
} from '../dist/index.js';

const bin = fileURLToPath(new URL('../bin/looplet.js', import.meta.url));
const PYTHON_FLUSH_MS = { low: 36, high: 55 };

/** A tool with a small, realistic result (a record of a few fields). */
const lookup = defineTool({
  name: 'lookup',
  description: 'Look a customer up by id',
  parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  run: ({ id }) => ({ id, name: `Customer ${id}`, plan: 'pro', seats: id.length * 3, tags: ['a', 'b'] }),
});

function script(steps) {
  const turns = Array.from({ length: steps - 1 }, (_, i) => ({
    text: `Looking up customer ${i}.`,
    toolCalls: [{ name: 'lookup', args: { id: `cust-${i}` } }],
    usage: { promptTokens: 100 + i, completionTokens: 12, totalTokens: 112 + i },
  }));
  turns.push({ toolCalls: [{ name: 'done', args: { summary: `looked up ${steps - 1} customers` } }] });
  return new ScriptedLLM(turns);
}

async function runSteps({ steps, sink, llm = script(steps) }) {
  const run = agentLoop({
    llm: sink ? sink.wrapLLM(llm) : llm,
    tools: [lookup],
    task: { goal: 'Look every customer up' },
    hooks: sink ? [sink.hook()] : [],
    maxSteps: steps,
    clock: fixedClock(),
    ids: sequentialIds(),
  });
  const result = await run.result;
  if (result.endReason !== 'done' || result.steps.length !== steps)
    throw new Error(`unexpected run: ${result.endReason}`);
  return run;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function flushFigures(root) {
  const times = [];
  const serialize = [];
  for (let run = 0; run < 25; run++) {
    const sink = new ProvenanceSink({ dir: path.join(root, `flush-${run}`) });
    await runSteps({ steps: 200, sink });
    globalThis.gc?.();
    let started = performance.now();
    sink.files();
    serialize.push(performance.now() - started);
    started = performance.now();
    await sink.flush();
    times.push(performance.now() - started);
  }
  const kept = times.slice(5);
  return { flush: median(kept), fastest: Math.min(...kept), serialize: median(serialize.slice(5)) };
}

/**
 * CPU time per step (process.cpuUsage, so other processes on the machine do not count) of the
 * same 200-step run, unrecorded and recorded, in alternating batches of 10 runs so drift hits both
 * alike. No forced GC between runs: its background sweeping would be charged to the next run.
 */
async function overheadFigures(root) {
  const plain = [];
  const recorded = [];
  const unredacted = [];
  const upstream = [];
  const steps = 200;
  const batch = async (sinkOptions) => {
    const started = process.cpuUsage();
    for (let run = 0; run < 10; run++) {
      const sink = sinkOptions
        ? new ProvenanceSink({ dir: path.join(root, 'overhead'), ...sinkOptions })
        : undefined;
      await runSteps({ steps, sink });
    }
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000 / (10 * steps);
  };
  for (let round = 0; round < 60; round++) {
    plain.push(await batch(undefined));
    recorded.push(await batch({}));
    unredacted.push(await batch({ redact: false }));
    upstream.push(await batch({ redactRequests: true }));
  }
  return {
    plain: median(plain.slice(10)),
    recorded: median(recorded.slice(10)),
    unredacted: median(unredacted.slice(10)),
    upstream: median(upstream.slice(10)),
  };
}

/**
 * CPU time per step of replaying a 200-step trace through the loop (the trace opened once, as a
 * runner holding it would; step and call files read as replay needs them), per replay setting;
 * medians of batches, the first rounds dropped as warm-up.
 */
async function replayFigures(root) {
  const steps = 200;
  const dir = path.join(root, 'replayed');
  const sink = new ProvenanceSink({ dir });
  await runSteps({ steps, sink });
  await sink.flush();
  const trace = await readTrace(dir);
  const settings = {
    none: { check: 'none' },
    request: { check: 'request' },
    toolCalls: { check: 'tool-calls' },
    lenient: { check: 'request', strictness: 'lenient' },
  };
  const samples = Object.fromEntries(Object.keys(settings).map((name) => [name, []]));
  for (let round = 0; round < 25; round++) {
    for (const [name, options] of Object.entries(settings)) {
      const started = process.cpuUsage();
      for (let run = 0; run < 5; run++) {
        const llm = ReplayLLM.fromTrace(trace, options);
        const loop = await runSteps({ steps, llm });
        if (llm.finish(loop.state) || llm.warnings.length > 0) throw new Error(`replay (${name}) diverged`);
      }
      const used = process.cpuUsage(started);
      samples[name].push((used.user + used.system) / (5 * steps));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values.slice(5))]));
}

/** Runs the CLI in a fresh process; returns wall time (ms), peak RSS (MiB) and the exit code. */
function cli(args, root) {
  const rssFile = path.join(root, 'rss.txt');
  const preload = path.join(root, 'rss-preload.mjs');
  writeFileSync(
    preload,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--import', preload, bin, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = performance.now() - started;
  return {
    ms,
    rssMiB: Number(readFileSync(rssFile, 'utf8')) / 1024,
    code: child.status,
    stderr: String(child.stderr),
  };
}

export default async function provenanceBench({ record }) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'looplet-bench-prov-'));
  try {
    const { flush, fastest, serialize } = await flushFigures(root);
    record({
      name: `flush a 200-step trace (404 files, to a new directory in ${os.tmpdir()})`,
      value: flush,
      unit: 'ms',
      baseline: {
        name: `Python looplet 0.3, ${PYTHON_FLUSH_MS.low}–${PYTHON_FLUSH_MS.high} ms`,
        value: PYTHON_FLUSH_MS.low,
      },
      goal: '< 15 ms',
      met: flush < 15,
    });
    record({ name: '… fastest of 20 (the disk least busy)', value: fastest, unit: 'ms' });
    record({ name: '… of which serialising (canonical JSON + redaction)', value: serialize, unit: 'ms' });
    // The same on a RAM disk, when there is one: what the flush costs without the disk.
    if (existsSync('/dev/shm')) {
      const shm = mkdtempSync(path.join('/dev/shm', 'looplet-bench-prov-'));
      try {
        const ram = await flushFigures(shm);
        record({
          name: 'flush a 200-step trace to a RAM disk (/dev/shm)',
          value: ram.flush,
          unit: 'ms',
          goal: '< 15 ms',
          met: ram.flush < 15,
        });
      } finally {
        rmSync(shm, { recursive: true, force: true });
      }
    }

    const { plain, recorded, unredacted, upstream } = await overheadFigures(root);
    const overhead = ((recorded - plain) / plain) * 100;
    record({
      name: 'loop step CPU time, recorded (sink.wrapLLM + sink.hook, no flush)',
      value: recorded * 1000,
      unit: 'µs/step',
      baseline: { name: 'unrecorded', value: plain * 1000 },
    });
    record({
      name: 'recording overhead per step vs unrecorded (default: redaction on)',
      value: overhead,
      unit: '%',
      goal: '< 5 %',
      met: overhead < 5,
    });
    record({ name: '… in absolute terms', value: (recorded - plain) * 1000, unit: 'µs/step' });
    record({
      name: '… with redaction off (redact: false)',
      value: ((unredacted - plain) / plain) * 100,
      unit: '%',
    });
    record({
      name: '… with redactRequests: true (each new message scanned before it is forwarded)',
      value: ((upstream - plain) / plain) * 100,
      unit: '%',
    });

    const replay = await replayFigures(root);
    const unchecked = { name: "check 'none' (served, not compared)", value: replay.none };
    for (const [name, value] of [
      ["replay step CPU time, check 'request' (strict)", replay.request],
      ["replay step CPU time, check 'tool-calls' (strict)", replay.toolCalls],
      ["replay step CPU time, check 'request', lenient", replay.lenient],
    ])
      record({ name, value, unit: 'µs/step', baseline: unchecked });

    // A 10,000-step trace, and a copy whose step 5,000 saw a different tool result.
    const big = path.join(root, 'big');
    const sink = new ProvenanceSink({ dir: big });
    await runSteps({ steps: 10_000, sink });
    await sink.flush();
    const changed = path.join(root, 'big-changed');
    cpSync(big, changed, { recursive: true });
    const stepFile = path.join(changed, 'steps/05000.json');
    writeFileSync(stepFile, readFileSync(stepFile, 'utf8').replace('"plan": "pro"', '"plan": "free"'));
    for (const [name, args, expected] of [
      ['looplet show, 10,000 steps', ['show', big], 0],
      ['looplet diff, 10,000 steps, identical', ['diff', big, changed.replace('-changed', '')], 0],
      ['looplet diff, 10,000 steps, one step differs', ['diff', big, changed], 1],
    ]) {
      cli(args, root); // warm the file cache
      const runs = [cli(args, root), cli(args, root), cli(args, root)];
      for (const run of runs)
        if (run.code !== expected) throw new Error(`${name}: exit ${run.code}\n${run.stderr}`);
      const ms = median(runs.map((run) => run.ms));
      record({
        name: `${name} (wall, fresh process)`,
        value: ms,
        unit: 'ms',
        goal: '< 1000 ms',
        met: ms < 1000,
      });
      record({ name: `${name} (peak RSS)`, value: Math.max(...runs.map((run) => run.rssMiB)), unit: 'MiB' });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
