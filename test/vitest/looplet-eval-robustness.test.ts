// looplet-eval against evals that misbehave: one that runs out of memory, one stuck in a
// synchronous loop, one that writes into traces/. Each costs its own result, as an error on that
// eval × trace; the other results are kept, the report is written and the run exits 3.
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  cloneProject,
  createProject,
  GREETER_EVALS_MJS,
  hashTree,
  outcomeLines,
  type Project,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTraces,
} from './support.js';

// Each test runs the CLI, whose run includes the misbehaving eval's own timeout: slow on a loaded machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const TRACES = ['greet/alice-bob', 'greet/carol', 'greet/dave-erin'];

/** Evals that misbehave on one trace (greet/carol) and pass on the others. */
const MISBEHAVING = {
  'evals/eval_memory.mjs': `export function eval_hoards(ctx) {
  if (ctx.id !== 'greet/carol') return true;
  const hoard = [];
  for (;;) hoard.push(new Array(100_000).fill(hoard.length));
}
`,
  'evals/eval_spins.mjs': `export function eval_spins(ctx) {
  if (ctx.id !== 'greet/carol') return true;
  for (;;) {}
}
`,
};

describe('looplet-eval with an eval that runs out of memory or never returns', () => {
  let template: Project;

  beforeAll(async () => {
    template = createProject({ files: { 'evals/eval_finish.mjs': GREETER_EVALS_MJS, ...MISBEHAVING } });
    await recordGreeterTraces({ project: template });
  });

  it('an eval that runs out of memory is an error on its trace; the other results are kept (exit 3)', async () => {
    const project = cloneProject(template);
    const run = await project.run(['evals/eval_memory.mjs', 'evals/eval_finish.mjs', '--workers', '1'], {
      env: { LOOPLET_WORKER_HEAP_MB: '64' },
      timeoutMs: 120_000,
    });
    expect(run.code, run.output).toBe(3);
    const report = project.json<ReportJson>(REPORT_JSON);
    const hoard = report.outcomes.find((o) => o.name === 'eval_hoards' && o.context === 'greet/carol');
    expect(hoard?.error).toMatchObject({
      kind: 'threw',
      message: expect.stringContaining('ran out of memory (heap limit 64 MB)'),
    });
    expect(outcomeLines(report)).toEqual([
      ...TRACES.map((trace) => `eval_finished › ${trace}: passed 1`),
      'eval_hoards › greet/alice-bob: passed 1',
      'eval_hoards › greet/carol: error',
      'eval_hoards › greet/dave-erin: passed 1',
    ]);
    expect(run.stdout).toContain('! eval_hoards › greet/carol  threw: ran out of memory (heap limit 64 MB)');
  });

  it('an eval file that runs out of memory as it is imported is an import error naming it (exit 3)', async () => {
    const project = cloneProject(template);
    project.write(
      'evals/eval_greedy_import.mjs',
      `const hoard = [];
for (;;) hoard.push(new Array(100_000).fill(hoard.length));
export const eval_never = () => true;
`,
    );
    const run = await project.run(
      ['evals/eval_greedy_import.mjs', 'evals/eval_finish.mjs', '--workers', '1'],
      {
        env: { LOOPLET_WORKER_HEAP_MB: '64' },
      },
    );
    expect(run.code, run.output).toBe(3);
    const report = project.json<ReportJson>(REPORT_JSON);
    // As for a syntax error: one error, however many chunks imported the file.
    expect(report.infrastructureErrors).toHaveLength(1);
    expect(report.infrastructureErrors[0]).toMatchObject({ kind: 'import' });
    expect(report.infrastructureErrors[0]?.message).toContain(
      `${path.join(project.dir, 'evals', 'eval_greedy_import.mjs')}: ran out of memory (heap limit 64 MB) while it was imported`,
    );
  });

  it('a LOOPLET_WORKER_HEAP_MB that is not a number of MB is a usage error (exit 2)', async () => {
    const run = await template.run([], { env: { LOOPLET_WORKER_HEAP_MB: 'lots' } });
    expect(run.code, run.output).toBe(2);
    expect(run.output).toContain(
      'LOOPLET_WORKER_HEAP_MB=lots: give the heap limit of each scoring thread as a whole number of MB',
    );
  });

  it('an eval in a synchronous infinite loop times out at --timeout; the other results are kept (exit 3)', async () => {
    const project = cloneProject(template);
    const run = await project.run(
      ['evals/eval_spins.mjs', 'evals/eval_finish.mjs', '--workers', '1', '--timeout', '500'],
      {
        timeoutMs: 120_000,
      },
    );
    expect(run.code, run.output).toBe(3);
    const report = project.json<ReportJson>(REPORT_JSON);
    const spin = report.outcomes.find((o) => o.name === 'eval_spins' && o.context === 'greet/carol');
    expect(spin?.error).toMatchObject({ kind: 'timeout' });
    expect(outcomeLines(report)).toEqual([
      ...TRACES.map((trace) => `eval_finished › ${trace}: passed 1`),
      'eval_spins › greet/alice-bob: passed 1',
      'eval_spins › greet/carol: error',
      'eval_spins › greet/dave-erin: passed 1',
    ]);
  });
});

describe('looplet-eval with an eval that writes into traces/', () => {
  let template: Project;

  beforeAll(async () => {
    template = createProject({ files: { 'evals/eval_finish.mjs': GREETER_EVALS_MJS } });
    await recordGreeterTraces({ project: template });
  });

  it('a write through fs fails that eval (the trace is untouched); exit 3', async () => {
    const project = cloneProject(template);
    project.write(
      'evals/eval_vandal.mjs',
      `import { writeFileSync, rmSync } from 'node:fs';
export function eval_vandal(ctx) {
  if (ctx.id !== 'greet/carol') return true;
  writeFileSync('traces/greet/alice-bob/steps/0001.json', '{}');
  return true;
}
export async function eval_wrecker(ctx) {
  if (ctx.id !== 'greet/carol') return true;
  const { rm } = await import('node:fs/promises');
  await rm('traces/greet/dave-erin', { recursive: true });
  return true;
}
`,
    );
    const before = hashTree(path.join(project.dir, 'traces'));
    const run = await project.run([]);
    expect(run.code, run.output).toBe(3);
    expect(hashTree(path.join(project.dir, 'traces'))).toBe(before);
    const report = project.json<ReportJson>(REPORT_JSON);
    const errors = report.outcomes.filter((outcome) => outcome.status === 'error');
    expect(
      errors.map((outcome) => `${outcome.name} › ${outcome.context}: ${outcome.error?.kind}`).sort(),
    ).toEqual(['eval_vandal › greet/carol: threw', 'eval_wrecker › greet/carol: threw']);
    expect(errors[0]?.error?.message).toMatch(
      /traces are read-only while evals run in eval_\w+ › greet\/carol/,
    );
    expect(outcomeLines(report).filter((line) => !line.includes('greet/carol'))).toEqual([
      'eval_finished › greet/alice-bob: passed 1',
      'eval_finished › greet/dave-erin: passed 1',
      'eval_vandal › greet/alice-bob: passed 1',
      'eval_vandal › greet/dave-erin: passed 1',
      'eval_wrecker › greet/alice-bob: passed 1',
      'eval_wrecker › greet/dave-erin: passed 1',
    ]);
  });

  it('a trace changed by a process an eval starts is an error of kind trace naming the file and the eval file; exit 3', async () => {
    const project = cloneProject(template);
    project.write(
      'evals/eval_sneaky.mjs',
      `import { execFileSync } from 'node:child_process';
export function eval_sneaky(ctx) {
  if (ctx.id !== 'greet/alice-bob') return true;
  execFileSync(process.execPath, ['-e', "require('fs').writeFileSync('traces/greet/alice-bob/steps/0001.json', '{}')"]);
  return true;
}
`,
    );
    const run = await project.run([]);
    expect(run.code, run.output).toBe(3);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.infrastructureErrors).toEqual([
      {
        source: 'greet/alice-bob',
        kind: 'trace',
        message: expect.stringMatching(
          /^traces\/greet\/alice-bob\/steps\/0001\.json was changed while evals ran \(eval files run on it: evals\/eval_finish\.mjs, evals\/eval_sneaky\.mjs\)/,
        ),
      },
    ]);
    expect(run.stdout).toContain('traces/greet/alice-bob/steps/0001.json was changed while evals ran');
  });
});

describe('looplet-eval on a trace whose step file is truncated', () => {
  it('every eval on it is an error of kind trace, required evals that do not read steps included; exit 3', async () => {
    const project = createProject({
      files: {
        'evals/eval_gate.mjs': `import { mark } from 'looplet/evals';
export const eval_done = mark(['required'], (ctx) => ctx.endReason === 'done');
export const eval_steps = (ctx) => ctx.steps.length > 0;
`,
      },
    });
    await recordGreeterTraces({ project });
    const step = 'traces/greet/carol/steps/0001.json';
    project.write(step, project.read(step).slice(0, 20));
    const run = await project.run([]);
    expect(run.code, run.output).toBe(3);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.outcomes.filter((outcome) => outcome.context === 'greet/carol')).toEqual([]);
    expect(report.infrastructureErrors).toEqual([
      {
        source: 'greet/carol',
        kind: 'trace',
        message: expect.stringContaining(path.join(project.dir, step)),
      },
    ]);
    expect(outcomeLines(report)).toEqual([
      'eval_done › greet/alice-bob: passed 1',
      'eval_done › greet/dave-erin: passed 1',
      'eval_steps › greet/alice-bob: passed 1',
      'eval_steps › greet/dave-erin: passed 1',
    ]);
  });
  it('its tests carry --threshold, as every other test does (vitest reporters and the UI show it)', async () => {
    const project = createProject({
      files: { 'evals/eval_gate.mjs': `export const eval_steps = (ctx) => ctx.steps.length > 0;\n` },
    });
    await recordGreeterTraces({ project });
    project.write('traces/greet/carol/trace.json', '{');
    // With --json, vitest's own reporters write to stderr: here its JSON report, test meta included.
    const run = await project.run(['--threshold', '0.8', '--reporter', 'json', '--json']);
    expect(run.code, run.output).toBe(3);
    const vitestReport = JSON.parse(run.stderr) as {
      testResults: Array<{
        assertionResults: Array<{
          title: string;
          meta: { looplet?: { outcome?: { threshold: number; error?: { kind: string } } } };
        }>;
      }>;
    };
    const tests = vitestReport.testResults.flatMap((file) => file.assertionResults);
    expect(
      tests
        .map(
          (test) =>
            `${test.title}: ${test.meta.looplet?.outcome?.error?.kind ?? 'ok'} ${test.meta.looplet?.outcome?.threshold}`,
        )
        .sort(),
    ).toEqual([
      'eval_steps › greet/alice-bob: ok 0.8',
      'eval_steps › greet/carol: trace 0.8',
      'eval_steps › greet/dave-erin: ok 0.8',
    ]);
  });
});

describe('looplet-eval on an eval that throws', () => {
  it('prints where it threw (file:line) in the terminal', async () => {
    const project = createProject({
      files: {
        'evals/eval_throws.ts': `import type { EvalContext } from 'looplet/evals';

export function eval_explodes(ctx: EvalContext): boolean {
  if (ctx.id === 'greet/carol') throw new TypeError('kaboom');
  return true;
}
`,
      },
    });
    await recordGreeterTraces({ project });
    const run = await project.run([]);
    expect(run.code, run.output).toBe(3);
    expect(run.stdout).toContain('! eval_explodes › greet/carol  threw: kaboom  at evals/eval_throws.ts:4:');
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.outcomes.find((outcome) => outcome.status === 'error')?.error).toMatchObject({
      kind: 'threw',
      location: expect.stringMatching(/^evals\/eval_throws\.ts:4:\d+$/),
    });
  });
});

describe('report files that cannot be written', () => {
  it('are an internal error naming the path (exit 3), not an unhandled rejection', async () => {
    const project = createProject({ files: { 'evals/eval_finish.mjs': GREETER_EVALS_MJS } });
    await recordGreeterTraces({ project });
    // `--out` lies under a regular file: no report directory can be made there.
    project.write('blocked', 'a file, not a directory\n');
    const run = await project.run(['--out', 'blocked/report']);
    expect(run.code, run.output).toBe(3);
    expect(run.output).toContain('internal error: ENOTDIR');
    expect(run.output).toContain(path.join('blocked', 'report'));
    expect(run.output).not.toContain('Unhandled Rejection');
  });
});
