// `npm run bench`: runs every bench/*.bench.mjs suite against the built package (dist/), prints a
// table of figures with their baselines and goals, and writes bench/results.json with the machine.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
// The evals suite writes thousands of trace directories: it runs last, so the disk write-back it
// causes does not land in the provenance suite's flush timings.
const ORDER = ['import', 'loop', 'provenance', 'evals'];
const rank = (file) => {
  const at = ORDER.indexOf(file.replace('.bench.mjs', ''));
  return at === -1 ? ORDER.length : at;
};
const suites = (await readdir(here))
  .filter((file) => file.endsWith('.bench.mjs'))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${os.platform()} ${os.release()}`,
  node: process.version,
  // The machine may be shared: the 1-minute load average when the run started (and ended, below).
  load: os.loadavg()[0].toFixed(1),
};
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, node ${machine.node}, load ${machine.load}\n`,
);

const figures = [];
for (const file of suites) {
  const suite = file.replace('.bench.mjs', '');
  if (only.length > 0 && !only.includes(suite)) continue;
  const { default: runSuite } = await import(new URL(file, import.meta.url).href);
  /**
   * A figure: `value` in `unit`; optional `baseline` (same unit, what it is compared with) and
   * `goal` (a string such as "<= 5 µs/step") with `met` telling whether the goal holds.
   */
  const record = (figure) => {
    figures.push({ suite, ...figure });
    const ratio = figure.baseline
      ? ` (${(figure.value / figure.baseline.value).toFixed(2)}× ${figure.baseline.name})`
      : '';
    console.log(`  ${suite} · ${figure.name}: ${format(figure.value)} ${figure.unit}${ratio}`);
  };
  console.log(`▶ ${suite}`);
  await runSuite({ record });
}

const table = new Table({ head: ['suite', 'figure', 'value', 'baseline', 'ratio', 'goal', 'met'] });
for (const f of figures) {
  table.push([
    f.suite,
    f.name,
    `${format(f.value)} ${f.unit}`,
    f.baseline ? `${format(f.baseline.value)} ${f.unit} (${f.baseline.name})` : '',
    f.baseline ? `${(f.value / f.baseline.value).toFixed(2)}×` : '',
    f.goal ?? '',
    f.met === undefined ? '' : f.met ? 'yes' : 'NO',
  ]);
}
console.log(`\n${table.toString()}`);
// `npm run bench -- provenance` replaces the provenance figures only: the other suites' figures
// are kept from the file, in suite order, each with the date of the run that measured it.
const resultsFile = new URL('results.json', import.meta.url);
const date = new Date().toISOString();
let kept = [];
if (only.length > 0) {
  try {
    const previous = JSON.parse(await readFile(resultsFile, 'utf8'));
    kept = previous.figures
      .filter((figure) => !only.includes(figure.suite))
      .map((figure) => ({ date: previous.date, ...figure }));
  } catch {
    // No previous results: write this run's figures only.
  }
}
const all = [...kept, ...figures.map((figure) => ({ date, ...figure }))].sort(
  (a, b) => rank(`${a.suite}.bench.mjs`) - rank(`${b.suite}.bench.mjs`),
);
machine.load = `${machine.load} at the start, ${os.loadavg()[0].toFixed(1)} at the end`;
await writeFile(resultsFile, `${JSON.stringify({ date, machine, figures: all }, null, 2)}\n`);
console.log('\nwrote bench/results.json');

function format(value) {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
