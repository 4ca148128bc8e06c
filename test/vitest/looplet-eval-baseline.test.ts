// `looplet-eval baseline update` and the regression verdict, end to end: traces re-recorded
// after a tool change (a regression, then a fix) are compared with the saved baseline. Each test
// starts from a copy of a project whose baseline is saved, so each stands alone (`-t` works).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cloneProject,
  createProject,
  GREETER_EVALS_TS,
  type Project,
  REPORT_JSON,
  REPORT_MD,
  type ReportJson,
  recordGreeterTrace,
  recordGreeterTraces,
} from './support.js';

const BASELINE = '.looplet/baseline.json';

/** Scores only, no required eval: what `--fail-on` decides is visible. One eval fails on every trace from the start. */
const SCORE_EVALS = `import type { EvalContext } from 'looplet/evals';

export function eval_greet_success(ctx: EvalContext): number {
  const calls = ctx.calls('greet');
  return calls.filter((call) => call.error === undefined).length / calls.length;
}

export function eval_three_steps(ctx: EvalContext): boolean {
  return ctx.stepCount === 3;
}
`;

/** A trace re-recorded with a greet tool that fails for Bob: eval_greet_success 1 → 0.5 on it. */
async function breakBob(project: Project): Promise<void> {
  await recordGreeterTrace({
    dir: path.join(project.dir, 'traces', 'greet', 'alice-bob'),
    names: ['Alice', 'Bob'],
    broken: ['Bob'],
  });
}

describe('baseline update, then a regression', () => {
  /** The score evals on three healthy traces, with the baseline saved. */
  let saved: Project;

  beforeAll(async () => {
    saved = createProject({ files: { 'evals/eval_scores.ts': SCORE_EVALS } });
    await recordGreeterTraces({ project: saved });
    const update = await saved.run(['baseline', 'update']);
    if (update.code !== 0) throw new Error(`baseline update failed:\n${update.output}`);
  });

  it('baseline update saves the current results', async () => {
    const project = cloneProject(saved);
    project.remove(BASELINE);
    const update = await project.run(['baseline', 'update']);
    expect(update.code, update.output).toBe(0);
    expect(update.stdout).toContain(`baseline saved to ${BASELINE}: 2 evals × 3 runs`);
    const baseline = project.json<{ kind: string; schemaVersion: number }>(BASELINE);
    expect(baseline).toMatchObject({ kind: 'looplet-baseline', schemaVersion: 1 });
    // One run, one eval: singular.
    const one = await project.run([
      'baseline',
      'update',
      'evals/eval_scores.ts',
      '--traces',
      'traces/greet/carol',
    ]);
    expect(one.stdout).toContain(`baseline saved to ${BASELINE}: 2 evals × 1 run\n`);
  });

  it('baseline update takes the flags of a run: --out, --timeout, --workers, --allow-network, --replay, --judge', async () => {
    const project = cloneProject(saved);
    // The copy holds the report of the update that saved its baseline: --out must not write there.
    project.remove('.looplet/report');
    const update = await project.run([
      'baseline',
      'update',
      '--baseline',
      'ci/base.json',
      '--out',
      'ci/report',
      '--timeout',
      '5000',
      '--workers',
      '1',
      '--allow-network',
      '--replay',
      'lenient',
      '--judge',
      'judge-model',
      '--judge-base-url',
      'http://127.0.0.1:9/v1',
    ]);
    expect(update.code, update.output).toBe(0);
    expect(existsSync(path.join(project.dir, 'ci', 'base.json'))).toBe(true);
    // --out moved the report of the run; the default report directory was not written.
    expect(project.json<ReportJson>('ci/report/looplet-report.json').kind).toBe('looplet-report');
    expect(existsSync(path.join(project.dir, '.looplet', 'report'))).toBe(false);
    // Its flags are checked as looplet-eval checks them.
    const bad = await project.run(['baseline', 'update', '--timeout', '0']);
    expect(bad.code, bad.output).toBe(2);
    expect(bad.stderr).toContain('--timeout must be a whole number');
    // -u needs a live model, as for a run.
    const update2 = await project.run(['baseline', 'update', '-u'], {
      env: { OPENAI_BASE_URL: '', OPENAI_MODEL: '', OPENAI_API_KEY: '' },
    });
    expect(update2.code, update2.output).toBe(2);
    expect(update2.stderr).toContain('OPENAI_MODEL');
  });

  it('known failures fail a run with --fail-on failure, not with --fail-on regression', async () => {
    const project = cloneProject(saved);
    const failure = await project.run([]);
    expect(failure.code, failure.output).toBe(1);
    const regression = await project.run(['--fail-on', 'regression']);
    expect(regression.code, regression.output).toBe(0);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.comparison).toMatchObject({ newFailures: [], scoreDrops: [], regressions: 0 });
    expect(report.totals.failed).toBe(3);
  });

  it('a broken tool re-recorded into a trace is a regression: exit 1, named in the report', async () => {
    const project = cloneProject(saved);
    await breakBob(project);
    const regression = await project.run(['--fail-on', 'regression']);
    expect(regression.code, regression.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.comparison?.scoreDrops).toEqual([
      expect.objectContaining({ eval: 'eval_greet_success', before: 1, after: (1 + 1 + 0.5) / 3 }),
    ]);
    // Still above the 0.5 threshold: no failure, only the drop regresses.
    expect(
      report.outcomes.find((o) => o.name === 'eval_greet_success' && o.context === 'greet/alice-bob'),
    ).toMatchObject({ status: 'passed', score: 0.5 });
    expect(report.verdict.reasons.join(' ')).toMatch(/1 score drop/);
    expect(regression.stdout).toMatch(/Δ base/);
    expect(regression.stdout).toContain('−0.17');
    expect(project.read(REPORT_MD)).toContain('### Regressions');
    expect(project.read(REPORT_MD)).toContain('`eval_greet_success` mean score 1.00 → 0.83');
  });

  it('--fail-on never reports the regression without failing; a wider --tolerance accepts it', async () => {
    const project = cloneProject(saved);
    await breakBob(project);
    const never = await project.run(['--fail-on', 'never']);
    expect(never.code, never.output).toBe(0);
    expect(project.json<ReportJson>(REPORT_JSON).comparison?.regressions).toBe(1);
    const tolerant = await project.run(['--fail-on', 'regression', '--tolerance', '0.2']);
    expect(tolerant.code, tolerant.output).toBe(0);
    expect(project.json<ReportJson>(REPORT_JSON).comparison?.scoreDrops).toEqual([]);
  });

  it('an explicit --baseline file is used; baseline update --baseline writes it', async () => {
    const project = cloneProject(saved);
    await breakBob(project);
    const update = await project.run(['baseline', 'update', '--baseline', 'ci/base.json']);
    expect(update.code, update.output).toBe(0);
    const against = await project.run(['--baseline', 'ci/base.json', '--fail-on', 'regression']);
    expect(against.code, against.output).toBe(0);
    expect(project.json<ReportJson>(REPORT_JSON).comparison?.regressions).toBe(0);
    // The default baseline, saved before the tool broke, sees the drop.
    const defaults = await project.run(['--fail-on', 'regression']);
    expect(defaults.code, defaults.output).toBe(1);
  });

  it('baseline update --from takes the results of a finished report', async () => {
    const project = cloneProject(saved);
    const run = await project.run(['--fail-on', 'never']);
    expect(run.code, run.output).toBe(0);
    const update = await project.run([
      'baseline',
      'update',
      '--from',
      REPORT_JSON,
      '--baseline',
      'from-report.json',
    ]);
    expect(update.code, update.output).toBe(0);
    expect(existsSync(path.join(project.dir, 'from-report.json'))).toBe(true);
    const bad = await project.run(['baseline', 'update', '--from', 'package.json']);
    expect(bad.code, bad.output).toBe(2);
    expect(bad.stderr).toMatch(/--from .*package\.json: not a looplet-report\.json/);
  });

  it('a run of part of the suite (-t, --include, eval paths) reports the rest as not run, not removed', async () => {
    const project = cloneProject(saved);
    const filtered = await project.run(['-t', 'greet/carol', '--fail-on', 'never']);
    expect(filtered.code, filtered.output).toBe(0);
    expect(filtered.stdout).toContain('2 runs of the baseline not run (-t greet/carol)');
    expect(filtered.stdout).not.toContain('removed');
    const comparison = project.json<
      ReportJson & { comparison: { notRun?: unknown; contextsRemoved: string[] } }
    >(REPORT_JSON).comparison;
    expect(comparison.contextsRemoved).toEqual([]);
    expect(comparison.notRun).toEqual({
      selection: '-t greet/carol',
      evals: [],
      contexts: ['greet/alice-bob', 'greet/dave-erin'],
    });
    const one = await project.run(['evals/eval_scores.ts', '--traces', 'traces', '--fail-on', 'never']);
    expect(one.stdout).not.toContain('removed');
    // A run of the whole suite that lost a trace does report it removed.
    project.remove('traces/greet/carol');
    const whole = await project.run(['--fail-on', 'never']);
    expect(whole.stdout).toContain('1 run removed');
  });
});

describe('a tool fix turns a failing required eval green', () => {
  /** The greeter evals on traces recorded with a greet tool that fails for Bob, that failing run saved as the baseline. */
  let saved: Project;

  beforeAll(async () => {
    saved = createProject({ files: { 'evals/eval_greeter.ts': GREETER_EVALS_TS } });
    await recordGreeterTraces({ project: saved, broken: ['Bob'] });
    const update = await saved.run(['baseline', 'update']);
    if (update.code !== 0) throw new Error(`baseline update failed:\n${update.output}`);
  });

  it('fails before the fix; the failing run can still be the baseline', async () => {
    const project = cloneProject(saved);
    project.remove(BASELINE);
    const before = await project.run([]);
    expect(before.code, before.output).toBe(1);
    expect(before.stdout).toContain('✗ eval_no_tool_errors › greet/alice-bob (required)');
    const update = await project.run(['baseline', 'update']);
    expect(update.code, update.output).toBe(0);
  });

  it('passes after the traces are re-recorded with the fixed tool, and the report lists the fix', async () => {
    const project = cloneProject(saved);
    await recordGreeterTraces({ project });
    const after = await project.run([]);
    expect(after.code, after.output).toBe(0);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.comparison?.fixed).toEqual([
      expect.objectContaining({
        eval: 'eval_no_tool_errors',
        context: 'greet/alice-bob',
        before: 'failed',
        after: 'passed',
      }),
    ]);
    expect(report.comparison?.regressions).toBe(0);
    expect(after.stdout).toMatch(/baseline: 0 new failures, 1 fixed/);
    expect(project.read(REPORT_MD)).toContain('Fixed since the baseline (1)');
  });

  it('baseline update refuses a run with eval errors', async () => {
    const project = cloneProject(saved);
    project.write('evals/eval_throws.mjs', "export function eval_throws() { throw new Error('no'); }\n");
    const update = await project.run(['baseline', 'update']);
    expect(update.code, update.output).toBe(3);
    expect(update.stderr).toMatch(/not saved: the run had 3 eval errors and 0 infrastructure errors/);
  });
});
