// looplet-eval end to end: N traces × 10 steps × 5 evals, through the built CLI (a fresh process,
// as CI runs it). Python looplet's own traces are scored by both runners in the same run (the Python
// side through bench/python/python_eval_bench.py, when python3 and a Python looplet checkout are
// available: LOOPLET_PY_SRC); looplet's v1 traces against plain vitest running the same five
// assertions as ordinary tests. Also the CLI's cold start (`--help`). Traces go to a temp dir.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  agentLoop,
  defineTool,
  fixedClock,
  ProvenanceSink,
  ScriptedLLM,
  sequentialIds,
} from '../dist/index.js';
import { inotifyWatches } from './support/inotify-watches.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'bin', 'looplet.js');
const vitestBin = path.join(repo, 'node_modules', 'vitest', 'vitest.mjs');

/** The agent the bench traces were recorded with, as an eval file exports it for replay. */
const AGENT = `
import { agentLoop, defineTool } from 'looplet';
import { defineAgent } from 'looplet/evals';
const lookup = defineTool({
  name: 'lookup',
  description: 'Look a key up',
  parameters: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
  run: ({ key }) => ({ key, value: key.length }),
});
export const agent = defineAgent({
  create: ({ llm, task, hooks }) => agentLoop({ llm, task, hooks, tools: [lookup], maxSteps: 10 }),
});
`;

const lookup = defineTool({
  name: 'lookup',
  description: 'Look a key up',
  parameters: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
  run: ({ key }) => ({ key, value: key.length }),
});

async function recordVariant(dir, variant) {
  const sink = new ProvenanceSink({ dir });
  const turns = Array.from({ length: 9 }, (_, i) => ({
    toolCalls: [{ name: 'lookup', args: { key: `k${variant}-${i}` } }],
  }));
  turns.push({ toolCalls: [{ name: 'done', args: { summary: `variant ${variant}`, total: variant % 3 } }] });
  const run = agentLoop({
    llm: sink.wrapLLM(new ScriptedLLM(turns)),
    tools: [lookup],
    task: { goal: `bench ${variant}` },
    hooks: [sink.hook()],
    clock: fixedClock(),
    ids: sequentialIds(),
    maxSteps: 10,
  });
  await run.result;
  sink.artifacts = { total: variant % 3 };
  sink.expected = { total: variant % 5 === 0 ? 1 : variant % 3 };
  await sink.flush();
}

const EVALS = `
export const eval_completed = (ctx) => ctx.endReason === 'done';
export const eval_total_matches = (ctx) => ctx.finalOutput?.total === ctx.expected.total;
export const eval_ten_steps = (ctx) => ctx.steps.length === 10;
export const eval_lookups = (ctx) => ({ lookups: ctx.toolCalls.filter((call) => call.name === 'lookup').length });
export const eval_artifact = (ctx) => (ctx.artifacts.total === ctx.finalOutput?.total ? 1 : 0);
`;

// The same five assertions as ordinary vitest tests, reading the same trace files directly.
const PLAIN_TEST = `
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
const root = path.resolve('traces');
const read = (dir, file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
for (const id of readdirSync(root).sort()) {
  const dir = path.join(root, id);
  const trace = () => read(dir, 'trace.json');
  const steps = () => readdirSync(path.join(dir, 'steps')).map((file) => read(path.join(dir, 'steps'), file));
  test(\`eval_completed › \${id}\`, () => { expect(trace().endReason).toBe('done'); });
  test(\`eval_total_matches › \${id}\`, () => { expect(trace().finalOutput.total).toBe(read(dir, 'expected.json').total); });
  test(\`eval_ten_steps › \${id}\`, () => { expect(steps().length).toBe(10); });
  test(\`eval_lookups › \${id}\`, () => { expect(steps().flatMap((s) => s.toolCalls).filter((c) => c.name === 'lookup').length).toBeGreaterThan(0); });
  test(\`eval_artifact › \${id}\`, () => { expect(read(dir, 'artifacts.json').total).toBe(trace().finalOutput.total); });
}
`;

export async function makeProject(traceCount) {
  const project = mkdtempSync(path.join(os.tmpdir(), `looplet-bench-${traceCount}-`));
  mkdirSync(path.join(project, 'evals'));
  mkdirSync(path.join(project, 'plain'));
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(repo, path.join(project, 'node_modules', 'looplet'));
  writeFileSync(path.join(project, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(path.join(project, 'evals', 'eval_bench.mjs'), EVALS);
  writeFileSync(path.join(project, 'plain', 'plain.test.mjs'), PLAIN_TEST);
  const variants = 20;
  for (let v = 0; v < variants; v++) await recordVariant(path.join(project, 'variants', String(v)), v);
  for (let i = 0; i < traceCount; i++) {
    cpSync(
      path.join(project, 'variants', String(i % variants)),
      path.join(project, 'traces', `t${String(i).padStart(5, '0')}`),
      { recursive: true },
    );
  }
  rmSync(path.join(project, 'variants'), { recursive: true });
  return project;
}

const TIME = '/usr/bin/time';
const hasTime = spawnSync(TIME, ['-f', '%M', 'true']).status === 0;

/**
 * Runs `node args…` in `cwd` once to warm up (page cache, as the Python driver does), then `runs`
 * times; returns the median wall time (s), CPU time (s) and peak RSS (MiB). CPU and memory come
 * from /usr/bin/time when it is installed (undefined otherwise).
 */
function measure({ args, cwd, runs = 3, env = {}, warmUp = true }) {
  const samples = [];
  for (let run = warmUp ? -1 : 0; run < runs; run++) {
    const command = hasTime ? TIME : process.execPath;
    const commandArgs = hasTime ? ['-f', 'looplet-bench %M %U %S', process.execPath, ...args] : args;
    const started = performance.now();
    const result = spawnSync(command, commandArgs, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      env: { ...process.env, NO_COLOR: '1', CI: '1', ...env },
    });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 0 && result.status !== 1)
      throw new Error(`${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    if (run < 0) continue;
    const line = hasTime
      ? result.stderr
          .trim()
          .split('\n')
          .findLast((l) => l.startsWith('looplet-bench '))
      : undefined;
    const [kib, user, system] = line ? line.split(' ').slice(1).map(Number) : [];
    samples.push({ seconds, cpu: line ? user + system : undefined, peakMiB: line ? kib / 1024 : undefined });
  }
  const median = (key) => {
    const values = samples.map((sample) => sample[key]).filter((value) => value !== undefined);
    return values.length ? values.sort((a, b) => a - b)[Math.floor(values.length / 2)] : undefined;
  };
  return {
    seconds: median('seconds'),
    cpu: median('cpu'),
    peakMiB: median('peakMiB'),
    all: samples.map((s) => s.seconds),
  };
}

function timeCommand(args, cwd, runs) {
  return measure({ args, cwd, runs, warmUp: false }).seconds;
}

/** Preloaded into the bench's watch session: answers SIGUSR2 with the heaps in use. */
const HEAP_PROBE = path.join(repo, 'bench', 'support', 'heap-probe.mjs');
/** Full re-runs before a watch session's first heap figure (its caches fill, its code is compiled). */
const WARM_UP_RERUNS = 20;
/** Full re-runs between a watch session's two heap figures. */
const FULL_RERUNS = 10;

/**
 * Prints a line when vitest starts a re-run (before any reporter's \`onTestRunStart\`, looplet's
 * included), so the bench can time a watch re-run from the outside.
 */
const RUN_START_REPORTER = `export default class { onWatcherRerun() { process.stdout.write('bench: run started\\n'); } }\n`;

/**
 * \`--watch\` on 1,000 traces: after the first run, one trace's expected.json changes; the re-run
 * is timed from vitest's start of it (\`onWatcherRerun\`) to looplet's report line, and from the write to that line
 * (which adds the watcher's latency and vitest's 100 ms debounce). Then the heaps the session uses
 * (main thread and scoring threads, after a collection) over full re-runs.
 */
export async function watchBench({ record, pool }) {
  const project = await makeProject(1000);
  writeFileSync(path.join(project, 'run-start.mjs'), RUN_START_REPORTER);
  const poolEnv = pool ? { LOOPLET_POOL: pool } : {};
  // The baseline of the session's first report: a plain run of the same project, just before.
  const plainRun = measure({
    args: [bin, '--fail-on', 'never'],
    cwd: project,
    runs: 1,
    env: poolEnv,
  }).seconds;
  const spawned = performance.now();
  const child = spawn(
    process.execPath,
    // The heap probe answers SIGUSR2 with the heaps in use after a collection (see below).
    [
      '--expose-gc',
      '--import',
      HEAP_PROBE,
      bin,
      '--watch',
      '--fail-on',
      'never',
      '--reporter',
      './run-start.mjs',
    ],
    {
      cwd: project,
      // Threads are the default; the in-process pool keeps the traces it read between runs.
      env: { ...process.env, NO_COLOR: '1', ...poolEnv },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const events = [];
  let buffered = '';
  // The ends of both streams, to say what happened when a run does not finish (and stderr is read,
  // so a child that writes much to it cannot block on a full pipe).
  const tails = { stdout: '', stderr: '' };
  const keepTail = (name, chunk) => {
    tails[name] = (tails[name] + chunk).slice(-2000);
  };
  child.stderr.on('data', (chunk) => keepTail('stderr', chunk));
  child.stdout.on('data', (chunk) => {
    keepTail('stdout', chunk);
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      if (line.startsWith('bench: run started')) events.push({ kind: 'start', at: performance.now() });
      if (line.startsWith('reports: ')) events.push({ kind: 'end', at: performance.now() });
      if (line.startsWith('heap-probe: ')) {
        const [main, threads] = line.split(' ').slice(1).map(Number);
        events.push({ kind: 'heap', bytes: main + threads });
      }
    }
  });
  const waitForEnd = async (count) => {
    const deadline = Date.now() + 120_000;
    while (events.filter((event) => event.kind === 'end').length < count) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(
          `looplet-eval --watch did not finish run ${count} (${child.exitCode !== null ? `exited ${child.exitCode}` : child.signalCode ? `killed by ${child.signalCode}` : 'still running after 120 s'})\n--- its stdout ends with:\n${tails.stdout}\n--- its stderr ends with:\n${tails.stderr}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  try {
    await waitForEnd(1);
    const firstReport = (events.find((event) => event.kind === 'end').at - spawned) / 1000;
    const watches = process.platform === 'linux' ? inotifyWatches(child.pid) : undefined;
    record({
      name: `--watch${pool ? ` (LOOPLET_POOL=${pool})` : ''}, 1,000 traces: the session's first report${watches === undefined ? '' : ` (${watches} inotify watches)`}`,
      value: firstReport,
      unit: 's',
      baseline: { name: 'the same project, one run without --watch', value: plainRun },
    });
    const reruns = [];
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const changed = performance.now();
      const file = path.join(project, 'traces', 't00007', 'expected.json');
      writeFileSync(file, JSON.stringify({ total: round % 3 }));
      await waitForEnd(round + 2);
      const start = events.findLast((event) => event.kind === 'start').at;
      const end = events.findLast((event) => event.kind === 'end').at;
      reruns.push({ run: end - start, fromChange: end - changed });
    }
    const median = (key) => reruns.map((rerun) => rerun[key]).sort((a, b) => a - b)[2];
    record({
      name: `--watch${pool ? ` (LOOPLET_POOL=${pool})` : ''}, 1,000 traces: re-run after one trace changed (from the write: ${median('fromChange').toFixed(0)} ms)`,
      value: median('run'),
      unit: 'ms',
      goal: '<= 100 ms',
      met: median('run') <= 100,
    });
    // Memory over full re-runs (a file written in the traces root, in no trace, re-runs every
    // chunk): the heaps in use once the session is warm, and after ten more.
    let runs = 6;
    const fullRerun = async () => {
      writeFileSync(path.join(project, 'traces', 'NOTES.txt'), String(runs));
      await waitForEnd(++runs);
    };
    const heapMiB = async () => {
      // The report is written after its line is printed: its buffers are let go a little later.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const answers = events.filter((event) => event.kind === 'heap').length;
      child.kill('SIGUSR2');
      const deadline = Date.now() + 120_000;
      while (events.filter((event) => event.kind === 'heap').length === answers) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error('the heap probe did not answer');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return events.findLast((event) => event.kind === 'heap').bytes / 2 ** 20;
    };
    for (let round = 0; round < WARM_UP_RERUNS; round++) await fullRerun();
    const before = await heapMiB();
    for (let round = 0; round < FULL_RERUNS; round++) await fullRerun();
    const after = await heapMiB();
    record({
      name: `--watch${pool ? ` (LOOPLET_POOL=${pool})` : ''}, 1,000 traces: heap in use (main and scoring threads, after a collection) after ${FULL_RERUNS} more full re-runs (${((after - before) / FULL_RERUNS).toFixed(2)} MiB a re-run)`,
      value: after,
      unit: 'MiB',
      baseline: { name: `after ${WARM_UP_RERUNS} full re-runs`, value: before },
    });
  } finally {
    // Removing the project while the watcher still writes its report would fail.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
    rmSync(project, { recursive: true, force: true });
  }
}

/**
 * Golden replay: the same 1,000 traces (10 steps, 5 evals) replayed through the agent that
 * recorded them, against scoring them as recorded (`--replay off`), in the same run.
 */
export async function replayBench({ record }) {
  const project = await makeProject(1000);
  try {
    writeFileSync(path.join(project, 'evals', 'eval_agent.mjs'), AGENT);
    const recorded = timeCommand([bin, '--fail-on', 'never', '--replay', 'off'], project, 3);
    const replayed = timeCommand([bin, '--fail-on', 'never'], project, 3);
    const report = JSON.parse(
      readFileSync(path.join(project, '.looplet', 'report', 'looplet-report.json'), 'utf8'),
    );
    const matched = report.runs.filter((run) => run.origin === 'replayed' && !run.replay.diverged).length;
    if (matched !== 1000) throw new Error(`expected 1,000 matching replays, got ${matched}`);
    record({
      name: '1,000 traces × 10 steps × 5 evals, replayed through the agent (strict)',
      value: replayed,
      unit: 's',
      baseline: { name: 'scored as recorded (--replay off)', value: recorded },
      goal: '<= 3× scored as recorded',
      met: replayed <= 3 * recorded,
    });
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/**
 * vitest with as many empty tests as looplet-eval reports (one per eval × trace) and nothing else:
 * what any runner that gives each eval × trace its own vitest test pays at least.
 */
function vitestFloor({ project, tests }) {
  mkdirSync(path.join(project, 'floor'), { recursive: true });
  writeFileSync(
    path.join(project, 'floor', 'floor.test.mjs'),
    `import { test } from 'vitest';\nfor (let i = 0; i < ${tests}; i++) test(\`eval › t\${i}\`, () => {});\n`,
  );
  return measure({ args: [vitestBin, 'run', 'floor', '--pool=threads'], cwd: project });
}

/**
 * What a run costs before its first trace, against Python looplet's whole 1,000-trace run: vitest
 * with one empty test, and looplet-eval on one Python trace (wall, CPU, peak memory).
 */
export function fixedCosts({ record, python }) {
  const project = evalsProject('looplet-bench-fixed-');
  try {
    runPython(['--generate', path.join(project, 'traces'), '--count', '1']);
    const vitestOne = vitestFloor({ project, tests: 1 });
    const loopletOne = measure({ args: [bin, '--fail-on', 'never'], cwd: project });
    for (const [name, figure] of [
      ['vitest, one empty test', vitestOne],
      ['looplet-eval, one Python-format trace', loopletOne],
    ]) {
      record({
        name: `fixed cost: ${name} (CPU ${figure.cpu?.toFixed(2) ?? 'n/a'} s)`,
        value: figure.seconds,
        unit: 's',
        baseline: { name: 'python -m looplet eval, 1,000 traces', value: python.median_s },
      });
      if (figure.peakMiB !== undefined)
        record({
          name: `fixed cost: ${name}, peak memory`,
          value: figure.peakMiB,
          unit: 'MiB',
          baseline: { name: 'Python looplet, 1,000 traces, peak RSS', value: python.peak_rss_mib },
        });
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/** The interpreter whose Python looplet is measured, and the driver that runs it (bench/python/README.md). */
const PY = process.env.LOOPLET_PYTHON ?? 'python3';
const driver = path.join(repo, 'bench', 'python', 'python_eval_bench.py');

/** Trace counts measured; 20,000 (linearity; ~3 GB of Python traces, minutes to write) with LOOPLET_BENCH_LINEAR=1. */
const SIZES = process.env.LOOPLET_BENCH_LINEAR === '1' ? [1000, 4000, 20000] : [1000, 4000];

/** Python looplet's version, or why it cannot be measured here (no python3, no checkout in LOOPLET_PY_SRC). */
function pythonLooplet() {
  const probe = spawnSync(PY, [driver, '--check'], { encoding: 'utf8' });
  if (probe.error?.code === 'ENOENT') return { skip: `${PY} not found (set LOOPLET_PYTHON)` };
  if (probe.status === 3) return { skip: probe.stderr.trim().replace(/^skip: /, '') };
  if (probe.status !== 0)
    throw new Error(`python_eval_bench.py --check exited ${probe.status}: ${probe.stderr}`);
  return JSON.parse(probe.stdout);
}

function runPython(args) {
  const result = spawnSync(PY, [driver, ...args], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 26 });
  if (result.status !== 0)
    throw new Error(`python_eval_bench.py ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

/** A project scoring the given traces directory with the bench's five evals (the same ones the Python side runs). */
function evalsProject(prefix) {
  const project = mkdtempSync(path.join(os.tmpdir(), prefix));
  mkdirSync(path.join(project, 'evals'));
  mkdirSync(path.join(project, 'node_modules'));
  symlinkSync(repo, path.join(project, 'node_modules', 'looplet'));
  writeFileSync(path.join(project, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(path.join(project, 'evals', 'eval_bench.mjs'), EVALS);
  return project;
}

const load = () => os.loadavg()[0].toFixed(1);
const mib = (value) => (value === undefined ? 'n/a' : `${value.toFixed(0)} MiB`);

export default async function evalsBench({ record }) {
  const helpMs = timeCommand([bin, '--help'], repo, 9) * 1000;
  record({
    name: 'looplet-eval --help cold start',
    value: helpMs,
    unit: 'ms',
    goal: '< 150 ms',
    met: helpMs < 150,
  });
  if (!hasTime) console.log('  evals · /usr/bin/time not installed: no CPU or peak memory figures');

  // Python looplet's own traces, scored by both runners in the same run.
  const py = pythonLooplet();
  const perTrace = {};
  const pythonRuns = {};
  if (py.skip) console.log(`  evals · Python comparison skipped: ${py.skip}`);
  else {
    console.log(`  evals · Python looplet ${py.looplet} (Python ${py.python}, ${py.path})`);
    for (const traces of SIZES) {
      const project = evalsProject(`looplet-bench-py${traces}-`);
      const dir = path.join(project, 'traces');
      try {
        runPython(['--generate', dir, '--count', String(traces)]);
        const args = [bin, '--fail-on', 'never', '--traces', dir];
        const startLoad = load();
        const looplet = measure({ args, cwd: project });
        const inline =
          traces <= 4000 ? measure({ args, cwd: project, env: { LOOPLET_POOL: 'inline' } }) : undefined;
        const floor = vitestFloor({ project, tests: traces * 5 });
        // What fewer vitest tasks (one per trace, the evals' results inside it) could reach at best.
        const perTraceFloor = vitestFloor({ project, tests: traces });
        const python = JSON.parse(
          runPython(['--traces', dir, '--runs', '3', '--json']).trim().split('\n').at(-1),
        );
        if (python.traces !== traces) throw new Error(`Python scored ${python.traces} of ${traces} traces`);
        const loadNote = `load ${startLoad}→${load()}`;
        perTrace[traces] = looplet.seconds / traces;
        pythonRuns[traces] = python;
        const goal = traces === 1000 ? 1 : 0.7;
        record({
          name: `looplet-eval, ${traces} Python-format traces × 10 steps × 5 evals (${loadNote})`,
          value: looplet.seconds,
          unit: 's',
          baseline: { name: `python -m looplet eval (Python looplet ${py.looplet})`, value: python.median_s },
          goal: traces === 1000 ? '<= Python' : traces === 4000 ? '<= 0.7× Python' : undefined,
          met: traces <= 4000 ? looplet.seconds <= goal * python.median_s : undefined,
          cpu: { looplet: looplet.cpu, python: python.cpu_s },
          runs: { looplet: looplet.all, python: python.wall_s },
        });
        console.log(`    CPU: looplet-eval ${looplet.cpu?.toFixed(2) ?? 'n/a'} s, Python ${python.cpu_s} s`);
        if (looplet.peakMiB !== undefined)
          record({
            name: `peak memory, ${traces} Python-format traces`,
            value: looplet.peakMiB,
            unit: 'MiB',
            baseline: { name: 'Python looplet, peak RSS', value: python.peak_rss_mib },
            goal: '<= 1.5× Python',
            met: looplet.peakMiB <= 1.5 * python.peak_rss_mib,
          });
        if (inline)
          record({
            name: `… the same in the main process (LOOPLET_POOL=inline; peak ${mib(inline.peakMiB)}, CPU ${inline.cpu?.toFixed(2) ?? 'n/a'} s)`,
            value: inline.seconds,
            unit: 's',
            baseline: { name: 'in worker threads (the default)', value: looplet.seconds },
          });
        record({
          name: `vitest's floor: ${traces * 5} empty tests, no file read (peak ${mib(floor.peakMiB)}, CPU ${floor.cpu?.toFixed(2) ?? 'n/a'} s)`,
          value: floor.seconds,
          unit: 's',
          baseline: { name: `python -m looplet eval, ${traces} traces`, value: python.median_s },
        });
        record({
          name: `… with one empty test per trace: ${traces} (peak ${mib(perTraceFloor.peakMiB)}, CPU ${perTraceFloor.cpu?.toFixed(2) ?? 'n/a'} s)`,
          value: perTraceFloor.seconds,
          unit: 's',
          baseline: { name: `python -m looplet eval, ${traces} traces`, value: python.median_s },
        });
      } finally {
        rmSync(project, { recursive: true, force: true });
      }
    }
    for (const traces of SIZES.slice(1))
      record({
        name: `time per trace at ${traces} vs 1,000 Python-format traces`,
        value: perTrace[traces] / perTrace[1000],
        unit: '×',
        goal: '<= 1 (linear)',
        met: perTrace[traces] <= perTrace[1000] * 1.1,
      });
    fixedCosts({ record, python: pythonRuns[1000] });
  }

  // looplet's own (v1) traces, against plain vitest running the same assertions.
  for (const traces of [1000, 4000]) {
    const project = await makeProject(traces);
    try {
      const looplet = measure({ args: [bin, '--fail-on', 'never'], cwd: project });
      const plain = measure({ args: [vitestBin, 'run', 'plain', '--pool=threads'], cwd: project });
      record({
        name: `looplet-eval, ${traces} v1 traces × 10 steps × 5 evals (peak ${mib(looplet.peakMiB)}; plain vitest ${mib(plain.peakMiB)})`,
        value: looplet.seconds,
        unit: 's',
        baseline: { name: 'plain vitest, same assertions', value: plain.seconds },
        goal: '<= 1.3× plain vitest',
        met: looplet.seconds <= 1.3 * plain.seconds,
      });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }
  await watchBench({ record });
  await watchBench({ record, pool: 'inline' });
  await replayBench({ record });
}
