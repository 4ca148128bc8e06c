// Import cost: what `import 'looplet'` costs a program that only wants the loop. Each figure is
// the median of fresh Node processes (a cold import each time), against Node's own startup and an
// empty import measured in the same run; the modules loaded are counted by package.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUNS = 10;
const entries = {
  looplet: new URL('../dist/index.js', import.meta.url).href,
  'looplet/evals': new URL('../dist/evals/index.js', import.meta.url).href,
  'looplet/vitest': new URL('../dist/vitest/index.js', import.meta.url).href,
  'looplet/testing': new URL('../dist/testing/index.js', import.meta.url).href,
};
const counter = fileURLToPath(new URL('./support/count-modules.mjs', import.meta.url));

/** Runs `node` with `args` and returns its stdout; throws with its stderr when it fails. */
function node(args) {
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${child.stderr}`);
  return child.stdout;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Wall time of `node <args>` in ms, median of RUNS fresh processes. */
function wallTime(args) {
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    node(args);
    times.push(performance.now() - started);
  }
  return median(times);
}

/**
 * Time and CPU time (user + system) of `await import(url)` inside a fresh process, in ms, medians
 * of RUNS processes. CPU time varies less than time on a busy machine.
 */
function importTime(url) {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(url)}); const u = process.cpuUsage(c); console.log(performance.now() - t, (u.user + u.system) / 1000);`;
  const times = [];
  const cpu = [];
  for (let run = 0; run < RUNS; run++) {
    const [time, cpuTime] = node(['--input-type=module', '-e', script]).trim().split(' ').map(Number);
    times.push(time);
    cpu.push(cpuTime);
  }
  return { time: median(times), cpu: median(cpu) };
}

export default async function importBench({ record }) {
  const goal = 40;
  const startup = wallTime(['-e', '']);
  const empty = importTime('data:text/javascript,export default 1');
  const wall = wallTime(['--input-type=module', '-e', `await import(${JSON.stringify(entries.looplet)})`]);
  record({
    name: `node -e "import('looplet')" wall time (median of ${RUNS} processes)`,
    value: wall,
    unit: 'ms',
    baseline: { name: "node -e ''", value: startup },
  });
  for (const [entry, url] of Object.entries(entries)) {
    const { time, cpu } = importTime(url);
    const { files, packages } = JSON.parse(node([counter, url]));
    record({
      name: `import '${entry}' cold, in-process (median of ${RUNS} processes)`,
      value: time,
      unit: 'ms',
      baseline: { name: 'importing an empty module', value: empty.time },
      ...(entry === 'looplet' ? { goal: `< ${goal} ms`, met: time < goal } : {}),
    });
    record({
      name: `… its CPU time (user + system)`,
      value: cpu,
      unit: 'ms',
      baseline: { name: 'importing an empty module', value: empty.cpu },
    });
    record({ name: `modules loaded by import '${entry}'`, value: files, unit: 'files' });
    const byPackage = Object.entries(packages)
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => `${name} ${count}`)
      .join(', ');
    console.log(`    by package: ${byPackage}`);
  }
}
