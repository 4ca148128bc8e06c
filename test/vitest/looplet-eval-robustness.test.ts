// looplet-eval against evals that misbehave: one that runs out of memory, one stuck in a
// synchronous loop, one that writes into traces/. Each costs its own result, as an error on that
// eval × trace; the other results are kept, the report is written and the run exits 3.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cloneProject,
  createProject,
  GREETER_EVALS_MJS,
  outcomeLines,
  type Project,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTraces,
} from './support.js';

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
    expect(hoard?.error).toMatchObject({ kind: 'threw', message: expect.stringContaining('ran out of memory (heap limit 64 MB)') });
    expect(outcomeLines(report)).toEqual([
      ...TRACES.map((trace) => `eval_finished › ${trace}: passed 1`),
      'eval_hoards › greet/alice-bob: passed 1',
      'eval_hoards › greet/carol: error',
      'eval_hoards › greet/dave-erin: passed 1',
    ]);
    expect(run.stdout).toContain('! eval_hoards › greet/carol  threw: ran out of memory (heap limit 64 MB)');
  });

  it('an eval in a synchronous infinite loop times out at --timeout; the other results are kept (exit 3)', async () => {
    const project = cloneProject(template);
    const run = await project.run(['evals/eval_spins.mjs', 'evals/eval_finish.mjs', '--workers', '1', '--timeout', '500'], {
      timeoutMs: 120_000,
    });
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
