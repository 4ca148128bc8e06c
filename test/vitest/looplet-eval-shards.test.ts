// CI scale-out and the vitest config path, end to end: `--shard i/n --reporter blob` on a
// matrix, `--merge-reports` into one report and verdict, and a project's own vitest.config
// giving the same results as `looplet-eval`.
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  greeterProject,
  outcomeLines,
  type Project,
  REPO,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTrace,
} from './support.js';

describe('--shard and --merge-reports', () => {
  let project: Project;
  let single: ReportJson;

  beforeAll(async () => {
    project = await greeterProject();
    await recordGreeterTrace({ dir: path.join(project.dir, 'traces', 'greet', 'frank'), names: ['Frank'] });
    const run = await project.run(['--json']);
    expect(run.code, run.output).toBe(0);
    single = JSON.parse(run.stdout) as ReportJson;
  });

  it('each shard scores a part; merging the blobs gives the outcomes of one unsharded run', async () => {
    const first = await project.run(['--shard', '1/2', '--reporter', 'blob', '--json']);
    expect(first.code, first.output).toBe(0);
    const second = await project.run(['--shard', '2/2', '--reporter', 'blob', '--json']);
    expect(second.code, second.output).toBe(0);
    // vitest names blob files by shard, so shards on one machine do not overwrite each other.
    expect(readdirSync(path.join(project.dir, '.vitest-reports')).sort()).toEqual([
      'blob-1-2.json',
      'blob-2-2.json',
    ]);

    const parts = [first, second].map((shard) => outcomeLines(JSON.parse(shard.stdout) as ReportJson));
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
    const update = await project.run(['baseline', 'update']);
    expect(update.code, update.output).toBe(0);
    // A regression in one shard's traces: a tool now fails for Frank.
    await recordGreeterTrace({
      dir: path.join(project.dir, 'traces', 'greet', 'frank'),
      names: ['Frank'],
      broken: ['Frank'],
    });
    project.remove('.vitest-reports');
    for (const shard of ['1/2', '2/2']) await project.run(['--shard', shard, '--reporter', 'blob']);
    const merged = await project.run(['--merge-reports', '.vitest-reports', '--fail-on', 'regression']);
    expect(merged.code, merged.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(
      report.comparison?.newFailures.map((change) => `${change.eval} › ${change.context}`).sort(),
    ).toEqual(['eval_greet_success › greet/frank', 'eval_no_tool_errors › greet/frank']);
    expect(merged.stdout).toContain('✗ eval_no_tool_errors › greet/frank (required)');
  });

  it('a shard left without traces (more shards than traces) exits 0', async () => {
    const small = await greeterProject();
    small.remove('traces/greet/alice-bob');
    small.remove('traces/greet/dave-erin');
    const outcomes: string[] = [];
    for (const shard of ['1/2', '2/2']) {
      const run = await small.run(['--shard', shard, '--reporter', 'blob', '--json']);
      expect(run.code, run.output).toBe(0);
      outcomes.push(...outcomeLines(JSON.parse(run.stdout) as ReportJson));
    }
    expect(new Set(outcomes.map((line) => line.split(': ')[0]?.split(' › ')[1]))).toEqual(
      new Set(['greet/carol']),
    );
    expect(outcomes).toHaveLength(5);
    const merged = await small.run(['--merge-reports']);
    expect(merged.code, merged.output).toBe(0);
    expect(small.json<ReportJson>(REPORT_JSON).outcomes).toHaveLength(5);
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

describe("a project's own vitest.config with loopletProject() and LoopletReporter", () => {
  let project: Project;

  beforeAll(async () => {
    project = await greeterProject();
    // A project that runs vitest itself has it installed.
    symlinkSync(
      path.join(REPO, 'node_modules', 'vitest'),
      path.join(project.dir, 'node_modules', 'vitest'),
      'dir',
    );
    project.write('vitest.config.mjs', VITEST_CONFIG);
  });

  it('`vitest run` scores the same outcomes as looplet-eval, with the same exit code', async () => {
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
    project.write('evals/eval_throws.mjs', "export function eval_throws() { throw new Error('no'); }\n");
    try {
      const viaVitest = await project.vitest(['run']);
      expect(viaVitest.code, viaVitest.output).toBe(3);
      const viaCli = await project.run([]);
      expect(viaCli.code, viaCli.output).toBe(3);
    } finally {
      project.remove('evals/eval_throws.mjs');
    }
  });
});
