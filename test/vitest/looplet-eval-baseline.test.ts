// `looplet-eval baseline update` and the regression verdict, end to end: traces re-recorded
// after a tool change (a regression, then a fix) are compared with the saved baseline.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
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

describe('baseline update, then a regression', () => {
  let project: Project;

  beforeAll(async () => {
    project = createProject({ files: { 'evals/eval_scores.ts': SCORE_EVALS } });
    await recordGreeterTraces({ project });
  });

  it('baseline update saves the current results', async () => {
    const update = await project.run(['baseline', 'update']);
    expect(update.code, update.output).toBe(0);
    expect(update.stdout).toContain(`baseline saved to ${BASELINE}: 2 evals × 3 runs`);
    const baseline = project.json<{ kind: string; schemaVersion: number }>(BASELINE);
    expect(baseline).toMatchObject({ kind: 'looplet-baseline', schemaVersion: 1 });
  });

  it('known failures fail a run with --fail-on failure, not with --fail-on regression', async () => {
    const failure = await project.run([]);
    expect(failure.code, failure.output).toBe(1);
    const regression = await project.run(['--fail-on', 'regression']);
    expect(regression.code, regression.output).toBe(0);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.comparison).toMatchObject({ newFailures: [], scoreDrops: [], regressions: 0 });
    expect(report.totals.failed).toBe(3);
  });

  it('a broken tool re-recorded into a trace is a regression: exit 1, named in the report', async () => {
    // The same script recorded again with a greet tool that fails for Bob: score 1 → 0.5 on that trace.
    await recordGreeterTrace({
      dir: path.join(project.dir, 'traces', 'greet', 'alice-bob'),
      names: ['Alice', 'Bob'],
      broken: ['Bob'],
    });
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
    const never = await project.run(['--fail-on', 'never']);
    expect(never.code, never.output).toBe(0);
    expect(project.json<ReportJson>(REPORT_JSON).comparison?.regressions).toBe(1);
    const tolerant = await project.run(['--fail-on', 'regression', '--tolerance', '0.2']);
    expect(tolerant.code, tolerant.output).toBe(0);
    expect(project.json<ReportJson>(REPORT_JSON).comparison?.scoreDrops).toEqual([]);
  });

  it('an explicit --baseline file is used; baseline update --baseline writes it', async () => {
    const update = await project.run(['baseline', 'update', '--baseline', 'ci/base.json']);
    expect(update.code, update.output).toBe(0);
    const against = await project.run(['--baseline', 'ci/base.json', '--fail-on', 'regression']);
    expect(against.code, against.output).toBe(0);
    expect(project.json<ReportJson>(REPORT_JSON).comparison?.regressions).toBe(0);
    // The default baseline, still the first one, sees the drop.
    const defaults = await project.run(['--fail-on', 'regression']);
    expect(defaults.code, defaults.output).toBe(1);
  });

  it('baseline update --from takes the results of a finished report', async () => {
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
});

describe('a tool fix turns a failing required eval green', () => {
  let project: Project;

  beforeAll(async () => {
    project = createProject({ files: { 'evals/eval_greeter.ts': GREETER_EVALS_TS } });
    // Recorded with a greet tool that fails for Bob: the required release gate fails.
    await recordGreeterTraces({ project, broken: ['Bob'] });
  });

  it('fails before the fix; the failing run can still be the baseline', async () => {
    const before = await project.run([]);
    expect(before.code, before.output).toBe(1);
    expect(before.stdout).toContain('✗ eval_no_tool_errors › greet/alice-bob (required)');
    const update = await project.run(['baseline', 'update']);
    expect(update.code, update.output).toBe(0);
  });

  it('passes after the traces are re-recorded with the fixed tool, and the report lists the fix', async () => {
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
    project.write('evals/eval_throws.mjs', "export function eval_throws() { throw new Error('no'); }\n");
    try {
      const update = await project.run(['baseline', 'update']);
      expect(update.code, update.output).toBe(3);
      expect(update.stderr).toMatch(/not saved: the run had 3 eval error\(s\)/);
    } finally {
      project.remove('evals/eval_throws.mjs');
    }
  });
});
