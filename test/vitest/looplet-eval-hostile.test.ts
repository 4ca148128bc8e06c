// looplet-eval on traces that arrive in a pull request: damaged, linked out of the trace, special
// files, absurd nesting. Through the built CLI: every directory that looks like a trace is scored
// or reported as an error of kind `trace` (exit 3), the healthy ones are still scored, and the run
// never hangs on a FIFO or reads /dev/zero.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  createProject,
  type Project,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTrace,
} from './support.js';

const EVALS = `export const eval_finished = (ctx) => ctx.endReason === 'done';
export const eval_steps = (ctx) => ctx.steps.length === 2;
`;

/** What each damaged trace is made into, after a healthy recording. */
const DAMAGE: Record<string, (dir: string) => void> = {
  'no-trace-json': (dir) => rmSync(path.join(dir, 'trace.json')),
  'trace-json-dir': (dir) => {
    rmSync(path.join(dir, 'trace.json'));
    mkdirSync(path.join(dir, 'trace.json'));
  },
  'step-to-dev-zero': (dir) => {
    rmSync(path.join(dir, 'steps/0001.json'));
    symlinkSync('/dev/zero', path.join(dir, 'steps/0001.json'));
  },
  'step-fifo': (dir) => {
    rmSync(path.join(dir, 'steps/0001.json'));
    execFileSync('mkfifo', [path.join(dir, 'steps/0001.json')]);
  },
  'artifacts-outside': (dir) => {
    writeFileSync(path.join(dir, '..', 'outside.json'), '{"secret": "hunter2"}');
    rmSync(path.join(dir, 'artifacts.json'), { force: true });
    symlinkSync(path.join(dir, '..', 'outside.json'), path.join(dir, 'artifacts.json'));
  },
  'deep-artifacts': (dir) =>
    writeFileSync(path.join(dir, 'artifacts.json'), `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`),
};

describe('looplet-eval on hostile traces', () => {
  let project: Project;
  let run: CliResult;
  let report: ReportJson;

  beforeAll(async () => {
    project = createProject({ files: { 'evals/eval_hostile.mjs': EVALS } });
    await recordGreeterTrace({ dir: path.join(project.dir, 'traces', 'healthy'), names: ['Ann'] });
    for (const [name, damage] of Object.entries(DAMAGE)) {
      const dir = path.join(project.dir, 'traces', name);
      await recordGreeterTrace({ dir, names: ['Ben'] });
      damage(dir);
    }
    run = await project.run(['--workers', '1'], { timeoutMs: 90_000 });
    report = project.json<ReportJson>(REPORT_JSON);
  }, 120_000);

  it('exits 3 and still scores the healthy trace', () => {
    expect(run.code, run.output).toBe(3);
    expect(run.output).not.toContain('[test harness] killed');
    const healthy = report.outcomes.filter((outcome) => outcome.context === 'healthy');
    expect(healthy.map((outcome) => `${outcome.name}: ${outcome.status}`).sort()).toEqual([
      'eval_finished: passed',
      'eval_steps: passed',
    ]);
  });

  it('reports every damaged trace, naming the file and what is wrong with it', () => {
    const problems = new Map<string, string>();
    for (const error of report.infrastructureErrors)
      problems.set(error.source, `${error.kind}: ${error.message}`);
    for (const outcome of report.outcomes)
      if (outcome.status === 'error' && outcome.error && outcome.context !== 'healthy')
        problems.set(outcome.context, `${outcome.error.kind}: ${outcome.error.message}`);
    expect([...problems.keys()].sort()).toEqual(Object.keys(DAMAGE).sort());
    expect(problems.get('no-trace-json')).toMatch(
      /^trace: .*trace\.json: is missing: the directory holds part of a trace/,
    );
    expect(problems.get('trace-json-dir')).toMatch(
      /^trace: .*trace\.json: is a directory, not a regular file/,
    );
    expect(problems.get('artifacts-outside')).toMatch(/^trace: .*artifacts\.json: is a symbolic link/);
    expect(problems.get('deep-artifacts')).toMatch(
      /^trace: .*artifacts\.json: nests arrays and objects more than 1000 levels deep/,
    );
    // Steps are read when an eval asks for them: the eval that did reports the refusal.
    expect(problems.get('step-to-dev-zero')).toMatch(
      /steps\/0001\.json: is a symbolic link \(to \/dev\/zero\)/,
    );
    expect(problems.get('step-fifo')).toMatch(/steps\/0001\.json: is a named pipe \(FIFO\)/);
    expect(JSON.stringify(report)).not.toContain('hunter2');
  });
});
