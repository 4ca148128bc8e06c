// CI scale-out and the vitest config path, end to end: `--shard i/n --reporter blob` on a
// matrix, `--merge-reports` into one report and verdict, and a project's own vitest.config
// giving the same results as `looplet-eval`.
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  cloneProject,
  greeterProject,
  outcomeLines,
  type Project,
  REPO,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTrace,
} from './support.js';

/** Each test runs the CLI three to six times: under load a run can take ten seconds. */
const E2E_TIMEOUT = 120_000;

/**
 * Runs each shard with `--reporter blob` (and `extra` flags), checking each shard's exit code:
 * 0 on its partial results, unless `expectedCode` says otherwise for that shard's output.
 */
async function runShards(
  project: Project,
  count: number,
  extra: string[] = [],
  expectedCode: (run: CliResult) => number = () => 0,
): Promise<CliResult[]> {
  const runs: CliResult[] = [];
  for (let index = 1; index <= count; index++) {
    const run = await project.run(['--shard', `${index}/${count}`, '--reporter', 'blob', ...extra]);
    expect(run.code, `shard ${index}/${count}\n${run.output}`).toBe(expectedCode(run));
    runs.push(run);
  }
  return runs;
}

describe('--shard and --merge-reports', { timeout: E2E_TIMEOUT }, () => {
  /** The greeter project with a fourth trace; each test works on a copy. */
  let template: Project;
  /** The report of one unsharded run of it: what a merge must equal. */
  let single: ReportJson;

  beforeAll(async () => {
    template = await greeterProject();
    await recordGreeterTrace({ dir: path.join(template.dir, 'traces', 'greet', 'frank'), names: ['Frank'] });
    const run = await template.run(['--json']);
    expect(run.code, run.output).toBe(0);
    single = JSON.parse(run.stdout) as ReportJson;
    // What --json prints is the file it writes, byte for byte (its time of writing included).
    expect(template.read(REPORT_JSON)).toBe(run.stdout);
  });

  it('each shard scores a part; merging the blobs gives the outcomes of one unsharded run', async () => {
    const project = cloneProject(template);
    const [first, second] = await runShards(project, 2, ['--json']);
    // vitest names blob files by shard, so shards on one machine do not overwrite each other.
    expect(readdirSync(path.join(project.dir, '.vitest-reports')).sort()).toEqual([
      'blob-1-2.json',
      'blob-2-2.json',
    ]);

    const parts = [first, second].map((shard) => outcomeLines(JSON.parse(shard?.stdout ?? '') as ReportJson));
    expect(parts[0]?.length).toBeGreaterThan(0);
    expect(parts[1]?.length).toBeGreaterThan(0);
    expect([...(parts[0] ?? []), ...(parts[1] ?? [])].sort()).toEqual(outcomeLines(single));

    const merged = await project.run(['--merge-reports', '--json']);
    expect(merged.code, merged.output).toBe(0);
    const report = JSON.parse(merged.stdout) as ReportJson;
    expect(outcomeLines(report)).toEqual(outcomeLines(single));
    expect(report.totals).toEqual(single.totals);
    expect(report.verdict).toEqual(single.verdict);
    // The merged report is also written, as after a run.
    expect(outcomeLines(project.json<ReportJson>(REPORT_JSON))).toEqual(outcomeLines(single));
  });

  it('--merge-reports compares with the baseline and decides the verdict on the whole', async () => {
    const project = cloneProject(template);
    // The baseline from the unsharded run's report (written in beforeAll), without running again.
    const update = await project.run(['baseline', 'update', '--from', REPORT_JSON]);
    expect(update.code, update.output).toBe(0);
    // A regression in one shard's traces: a tool now fails for Frank.
    await recordGreeterTrace({
      dir: path.join(project.dir, 'traces', 'greet', 'frank'),
      names: ['Frank'],
      broken: ['Frank'],
    });
    // --fail-on never: a shard sees part of the run; the merge decides. A failed required eval
    // fails its shard all the same (exit 1, as in any run); the other shard exits 0.
    const frankFails = '✗ eval_no_tool_errors › greet/frank (required)';
    const shards = await runShards(project, 2, ['--fail-on', 'never'], (run) =>
      run.stdout.includes(frankFails) ? 1 : 0,
    );
    expect(shards.filter((shard) => shard.stdout.includes(frankFails))).toHaveLength(1);
    // Against the baseline, a shard reports the other shard's traces as not run, not as removed.
    for (const shard of shards) {
      expect(shard.stdout).toMatch(/\d+ runs? of the baseline not run \(shard \d\/2\)/);
      expect(shard.stdout).not.toContain('removed');
    }
    const merged = await project.run(['--merge-reports', '.vitest-reports', '--fail-on', 'regression']);
    expect(merged.code, merged.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(
      report.comparison?.newFailures.map((change) => `${change.eval} › ${change.context}`).sort(),
    ).toEqual(['eval_greet_success › greet/frank', 'eval_no_tool_errors › greet/frank']);
    expect(merged.stdout).toContain('✗ eval_no_tool_errors › greet/frank (required)');
    expect(merged.stdout).not.toContain('not run');
  });

  it('a shard left without traces (more shards than traces) exits 0', async () => {
    const small = await greeterProject();
    small.remove('traces/greet/alice-bob');
    small.remove('traces/greet/dave-erin');
    const outcomes: string[] = [];
    for (const run of await runShards(small, 2, ['--json']))
      outcomes.push(...outcomeLines(JSON.parse(run.stdout) as ReportJson));
    expect(new Set(outcomes.map((line) => line.split(': ')[0]?.split(' › ')[1]))).toEqual(
      new Set(['greet/carol']),
    );
    expect(outcomes).toHaveLength(5);
    const merged = await small.run(['--merge-reports']);
    expect(merged.code, merged.output).toBe(0);
    expect(small.json<ReportJson>(REPORT_JSON).outcomes).toHaveLength(5);
  });

  it('blobs of another run in the directory are refused, naming them, instead of being counted twice', async () => {
    const project = cloneProject(template);
    // A blob of an earlier run split in three, never cleaned up…
    const stale = await project.run(['--shard', '1/3', '--reporter', 'blob']);
    expect(stale.code, stale.output).toBe(0);
    // …then today's run, split in two.
    await runShards(project, 2);
    const mixed = await project.run(['--merge-reports', '--json']);
    expect(mixed.code, mixed.output).toBe(2);
    expect(mixed.stderr).toMatch(
      /--merge-reports \.vitest-reports: blobs of runs split into 2 shards \(blob-1-2\.json, blob-2-2\.json\) and 3 shards \(blob-1-3\.json\)/,
    );
    expect(mixed.stdout).toBe('');
    project.remove('.vitest-reports/blob-1-3.json');
    const clean = await project.run(['--merge-reports', '--json']);
    expect(clean.code, clean.output).toBe(0);
    expect(outcomeLines(JSON.parse(clean.stdout) as ReportJson)).toEqual(outcomeLines(single));
  });

  it('shards of two different plans (evals or options changed between them) are refused', async () => {
    const project = cloneProject(template);
    const [first] = await runShards(project, 2);
    expect(first?.code).toBe(0);
    // Shard 1 runs again after an eval file was added: its blob replaces the old shard 1's, and
    // shard 2's blob is of the old plan.
    project.write('evals/eval_more.mjs', 'export const eval_more = () => true;\n');
    const again = await project.run(['--shard', '1/2', '--reporter', 'blob']);
    expect(again.code, again.output).toBe(0);
    const mixed = await project.run(['--merge-reports']);
    expect(mixed.code, mixed.output).toBe(2);
    expect(mixed.stderr).toMatch(
      /the blobs come from 2 different runs .*blob-1-2\.json \(written .*\); blob-2-2\.json \(written /,
    );
    // A stray blob of an unsharded run beside one run's shards would count every result twice.
    project.remove('.vitest-reports');
    project.remove('evals/eval_more.mjs');
    await runShards(project, 2);
    const unsharded = await project.run(['--reporter', 'blob']);
    expect(unsharded.code, unsharded.output).toBe(0);
    const doubled = await project.run(['--merge-reports']);
    expect(doubled.code, doubled.output).toBe(2);
    expect(doubled.stderr).toMatch(/blob\.json|different runs/);
  });

  it('a missing shard is refused: the merge would miss its results', async () => {
    const project = cloneProject(template);
    await runShards(project, 2);
    project.remove('.vitest-reports/blob-2-2.json');
    const partial = await project.run(['--merge-reports']);
    expect(partial.code, partial.output).toBe(2);
    expect(partial.stderr).toMatch(/in no blob \(no blob of shard 2\/2\)/);
  });
});

const VITEST_CONFIG = `import { defineConfig } from 'vitest/config';
import { LoopletReporter, loopletProject } from 'looplet/vitest';

export default defineConfig({
  test: {
    projects: [await loopletProject()],
    reporters: [new LoopletReporter()],
  },
});
`;

describe("a project's own vitest.config with loopletProject() and LoopletReporter", {
  timeout: E2E_TIMEOUT,
}, () => {
  /** The greeter project with vitest installed and a vitest.config; each test works on a copy. */
  let template: Project;

  beforeAll(async () => {
    template = await greeterProject();
    // A project that runs vitest itself has it installed.
    symlinkSync(
      path.join(REPO, 'node_modules', 'vitest'),
      path.join(template.dir, 'node_modules', 'vitest'),
      'dir',
    );
    template.write('vitest.config.mjs', VITEST_CONFIG);
  });

  it('`vitest run` scores the same outcomes as looplet-eval, with the same exit code', async () => {
    const project = cloneProject(template);
    const viaVitest = await project.vitest(['run']);
    expect(viaVitest.code, viaVitest.output).toBe(0);
    expect(viaVitest.stdout).toMatch(/^PASS: /m);
    const fromConfig = project.json<ReportJson>(REPORT_JSON);
    project.remove('.looplet/report');

    const viaCli = await project.run([]);
    expect(viaCli.code, viaCli.output).toBe(0);
    const fromCli = project.json<ReportJson>(REPORT_JSON);
    expect(outcomeLines(fromConfig)).toEqual(outcomeLines(fromCli));
    expect(fromConfig.outcomes).toHaveLength(15);
    expect(fromConfig.totals).toEqual(fromCli.totals);
  });

  it('a failing required eval fails `vitest run` too', async () => {
    const project = cloneProject(template);
    await recordGreeterTrace({
      dir: path.join(project.dir, 'traces', 'greet', 'carol'),
      names: ['Carol'],
      broken: ['Carol'],
    });
    const viaVitest = await project.vitest(['run']);
    expect(viaVitest.code, viaVitest.output).toBe(1);
    const fromConfig = project.json<ReportJson>(REPORT_JSON);
    const viaCli = await project.run([]);
    expect(viaCli.code, viaCli.output).toBe(1);
    expect(outcomeLines(fromConfig)).toEqual(outcomeLines(project.json<ReportJson>(REPORT_JSON)));
    expect(existsSync(path.join(project.dir, '.looplet', 'report', 'looplet-junit.xml'))).toBe(true);
  });

  it('an eval that throws exits 3 from `vitest run` too', async () => {
    const project = cloneProject(template);
    project.write('evals/eval_throws.mjs', "export function eval_throws() { throw new Error('no'); }\n");
    const viaVitest = await project.vitest(['run']);
    expect(viaVitest.code, viaVitest.output).toBe(3);
    const viaCli = await project.run([]);
    expect(viaCli.code, viaCli.output).toBe(3);
  });

  it('vitest -t with a baseline: the tests it leaves out are not run, not removed', async () => {
    const project = cloneProject(template);
    // The reporter compares with a baseline when given one, as docs/vitest.md shows.
    project.write(
      'vitest.config.mjs',
      VITEST_CONFIG.replace(
        'new LoopletReporter()',
        "new LoopletReporter({ baseline: '.looplet/baseline.json' })",
      ),
    );
    const update = await project.run(['baseline', 'update']);
    expect(update.code, update.output).toBe(0);
    const filtered = await project.vitest(['run', '-t', 'greet/carol']);
    expect(filtered.code, filtered.output).toBe(0);
    expect(filtered.stdout).toContain('2 runs of the baseline not run (-t greet/carol)');
    expect(filtered.stdout).not.toContain('removed');
  });
});
