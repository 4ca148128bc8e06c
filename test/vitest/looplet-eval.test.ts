// looplet-eval end to end: the built CLI, run in fresh temporary projects with real traces and
// real vitest. Reports, exit codes, filters and flags, as a user and a CI job meet them.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  type CliResult,
  createProject,
  GREETER_EVALS_MJS,
  GREETER_EVALS_TS,
  greeterProject,
  outcomeLines,
  type Project,
  REPORT_JSON,
  REPORT_JUNIT,
  REPORT_MD,
  type ReportJson,
  recordGreeterTrace,
  recordGreeterTraces,
  runNode,
  xmlProblems,
} from './support.js';

const EVALS = [
  'eval_finished',
  'eval_greet_success',
  'eval_greeted_everyone',
  'eval_no_tool_errors',
  'eval_step_stats',
];
const TRACES = ['greet/alice-bob', 'greet/carol', 'greet/dave-erin'];

describe('looplet-eval on a passing suite', () => {
  let project: Project;
  let run: CliResult;
  let report: ReportJson;
  let markdown: string;
  let junit: string;

  // One run whose outputs the first tests read; the tests that run again write only what they read.
  beforeAll(async () => {
    project = await greeterProject();
    run = await project.run([]);
    report = project.json<ReportJson>(REPORT_JSON);
    markdown = project.read(REPORT_MD);
    junit = project.read(REPORT_JUNIT);
  });

  it('exits 0 and prints the table and the verdict', () => {
    expect(run.code, run.output).toBe(0);
    for (const name of EVALS) expect(run.stdout).toContain(name);
    expect(run.stdout).toContain('eval_no_tool_errors (required)');
    expect(report.verdict.headline).toMatch(/^PASS: 12 passed .* 0 failed \(5 evals × 3 runs\)$/);
    expect(run.stdout).toContain(report.verdict.headline);
  });

  it('writes looplet-report.json with schemaVersion and one outcome per eval × trace', () => {
    expect(report.schemaVersion).toBe(1);
    expect(report.kind).toBe('looplet-report');
    expect(report.verdict).toMatchObject({ exitCode: 0, status: 'pass' });
    const expected = EVALS.flatMap((name) => TRACES.map((trace) => `${name} › ${trace}`)).sort();
    expect(report.outcomes.map((outcome) => `${outcome.name} › ${outcome.context}`).sort()).toEqual(expected);
    // TypeScript evals (through vite) and the .mjs eval both ran, marks included.
    const gate = report.outcomes.find((outcome) => outcome.name === 'eval_no_tool_errors');
    expect(gate).toMatchObject({ status: 'passed', required: true });
    expect(report.outcomes.find((outcome) => outcome.name === 'eval_finished')?.status).toBe('passed');
  });

  it('reports metric-only evals without counting them as passed or failed', () => {
    const stats = report.outcomes.filter((outcome) => outcome.name === 'eval_step_stats');
    expect(stats.map((outcome) => outcome.status)).toEqual(['reported', 'reported', 'reported']);
    const byTrace = Object.fromEntries(stats.map((outcome) => [outcome.context, outcome.metrics]));
    // Recorded runs: one greeting step and the done step; a call per name plus done.
    expect(byTrace['greet/alice-bob']).toEqual({ steps: 2, calls: 3 });
    expect(byTrace['greet/carol']).toEqual({ steps: 2, calls: 2 });
    expect(report.totals).toMatchObject({ outcomes: 15, passed: 12, failed: 0, reported: 3, errors: 0 });
  });

  it('writes a Markdown report that starts with the verdict', () => {
    expect(markdown.split('\n')[0]).toBe(`## ✅ looplet-eval: ${report.verdict.headline}`);
    expect(markdown).toContain('`eval_no_tool_errors` (required)');
  });

  it('writes well-formed JUnit XML with a test case per eval × trace', () => {
    expect(xmlProblems(junit)).toEqual([]);
    expect(junit.match(/<testcase /g)).toHaveLength(15);
    expect(junit).toContain('<testcase name="greet/carol" classname="eval_greet_success"');
  });

  it('--json prints the JSON report on stdout', async () => {
    const json = await project.run(['--json']);
    expect(json.code, json.output).toBe(0);
    const printed = JSON.parse(json.stdout) as ReportJson;
    expect(printed.kind).toBe('looplet-report');
    expect(outcomeLines(printed)).toEqual(outcomeLines(report));
  });

  it('-t runs only the tests named "eval_name › trace_id" that match; --out moves the reports', async () => {
    const one = await project.run(['-t', 'eval_greet_success › greet/carol', '--json']);
    expect(one.code, one.output).toBe(0);
    expect(outcomeLines(JSON.parse(one.stdout) as ReportJson)).toEqual([
      'eval_greet_success › greet/carol: passed 1',
    ]);
    // With --out, the report files go elsewhere and the default ones are left alone.
    const trace = await project.run(['-t', 'greet/carol', '--json', '--out', 'ci-report']);
    const contexts = (JSON.parse(trace.stdout) as ReportJson).outcomes.map((outcome) => outcome.context);
    expect(contexts).toHaveLength(EVALS.length);
    expect(new Set(contexts)).toEqual(new Set(['greet/carol']));
    expect(project.json<ReportJson>('ci-report/looplet-report.json').outcomes).toHaveLength(EVALS.length);
    expect(xmlProblems(project.read('ci-report/looplet-junit.xml'))).toEqual([]);
    // The default report is still the one of the run before.
    expect(outcomeLines(project.json<ReportJson>(REPORT_JSON))).toEqual([
      'eval_greet_success › greet/carol: passed 1',
    ]);
  });

  it('--include keeps the evals with a tag', async () => {
    const smoke = await project.run(['--include', 'smoke', '--json']);
    expect(smoke.code, smoke.output).toBe(0);
    const names = new Set((JSON.parse(smoke.stdout) as ReportJson).outcomes.map((outcome) => outcome.name));
    expect(names).toEqual(new Set(['eval_finished', 'eval_no_tool_errors']));
  });

  it('--exclude leaves out tagged evals, but a required one left out fails the run', async () => {
    const excluded = await project.run(['--exclude', 'smoke', '--json']);
    // Required evals must run: excluding one is reported as its failure (exit 1).
    expect(excluded.code, excluded.output).toBe(1);
    const printed = JSON.parse(excluded.stdout) as ReportJson;
    expect(printed.outcomes.some((outcome) => outcome.name === 'eval_finished')).toBe(false);
    const gate = printed.outcomes.filter((outcome) => outcome.name === 'eval_no_tool_errors');
    expect(gate.map((outcome) => outcome.status)).toEqual(['failed', 'failed', 'failed']);
    expect(gate[0]?.reason).toMatch(/required eval.*exclude \[smoke\]/);
  });

  it('eval paths on the command line select eval files', async () => {
    const only = await project.run(['evals/eval_finish.mjs', '--json']);
    expect(only.code, only.output).toBe(0);
    expect(outcomeLines(JSON.parse(only.stdout) as ReportJson)).toEqual(
      TRACES.map((trace) => `eval_finished › ${trace}: passed 1`),
    );
  });

  it('--reporter verbose lists every test as "eval_name › trace_id" with its score', async () => {
    const verbose = await project.run(['--reporter', 'verbose']);
    expect(verbose.code, verbose.output).toBe(0);
    for (const name of EVALS)
      for (const trace of TRACES) expect(verbose.stdout).toContain(`${name} › ${trace}`);
  });

  it('--reporter ./file loads the module beside the project, not one of that name in the directory above', async () => {
    const reporter = (name: string) =>
      `export default class { onInit() { process.stdout.write(${JSON.stringify(`reporter loaded: ${name}\n`)}); } }\n`;
    const outer = createProject({
      files: {
        'my-reporter.mjs': reporter('the one above the project'),
        'inner/my-reporter.mjs': reporter("the project's own"),
        'inner/evals/eval_x.mjs': 'export const eval_x = () => true;\n',
      },
    });
    const run = await runNode({
      cwd: path.join(outer.dir, 'inner'),
      args: [CLI, '--reporter', './my-reporter.mjs'],
    });
    // (No trace: the run has nothing to score; the reporters are loaded all the same.)
    expect(run.stdout, run.output).toContain("reporter loaded: the project's own");
    expect(run.stdout).not.toContain('the one above the project');
  });

  it.each([
    [['--reporter', './no-such-reporter.mjs'], /--reporter \.\/no-such-reporter\.mjs: no such file \(/],
    [
      ['--reporter', './evals/eval_finish.mjs'],
      /--reporter \.\/evals\/eval_finish\.mjs: the module has no default export/,
    ],
    [['--threshold', '2'], /--threshold must be a number in 0\.\.1, got 2/],
    [['--shard', '3/2'], /--shard must be i\/n with 1 <= i <= n.*"3\/2"/],
    [['--fail-on', 'x'], /--fail-on must be one of failure, regression, never, got "x"/],
    [['--baseline', 'missing.json'], /--baseline missing\.json: no such file.*baseline update/],
    [['--traces', 'nowhere'], /--traces nowhere: no such directory/],
    [['--merge-reports', 'no-blobs'], /--merge-reports no-blobs: no such directory/],
    [['--workers', '0'], /--workers must be a whole number/],
    [['--bogus'], /unknown option --bogus; see `looplet-eval --help`/],
    [['--no-such-flag'], /unknown option --no-such-flag/],
    [['no-such-dir'], /eval path not found: no-such-dir/],
    [['--reporter', 'no-such-reporter'], /--reporter no-such-reporter/],
  ])('%j is a usage error: exit 2 with a clear message', async (args, message) => {
    const bad = await project.run(args);
    expect(bad.code, bad.output).toBe(2);
    expect(bad.stderr).toMatch(message);
    expect(bad.stderr).not.toMatch(/internal error|\n\s+at /);
  });
});

/** An eval file per problem; each test runs only the files it names. */
const PROBLEM_EVALS: Record<string, string> = {
  'evals/eval_strict.ts': `import type { EvalContext } from 'looplet/evals';
export function eval_many_steps(ctx: EvalContext): boolean {
  return ctx.stepCount > 5;
}
`,
  'evals/eval_gate.ts': `import { mark } from 'looplet/evals';
export const eval_gate = mark({ required: true }, (ctx) => ctx.stepCount > 5);
`,
  'evals/eval_throws.ts': `export function eval_explodes(): boolean {
  throw new TypeError('kaboom inside the eval');
}
`,
  'evals/eval_passes.mjs': GREETER_EVALS_MJS,
};

describe('looplet-eval exit codes on failures and errors', () => {
  let project: Project;

  beforeAll(async () => {
    project = createProject({ files: PROBLEM_EVALS });
    await recordGreeterTraces({ project });
  });

  it('a failing eval exits 1 and names what failed', async () => {
    const failed = await project.run(['evals/eval_strict.ts', 'evals/eval_passes.mjs']);
    expect(failed.code, failed.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.verdict).toMatchObject({ exitCode: 1, status: 'fail' });
    expect(report.verdict.headline).toMatch(/^FAIL: 3 failed/);
    expect(failed.stdout).toContain(report.verdict.headline);
    // The terminal names each failure, not only the counts.
    for (const trace of TRACES)
      expect(failed.stdout).toContain(`✗ eval_many_steps › ${trace}  score 0.00 < 0.50`);
    expect(project.read(REPORT_MD).split('\n')[0]).toBe(`## ❌ looplet-eval: ${report.verdict.headline}`);
  });

  it('--fail-on never lets ordinary failures pass', async () => {
    const never = await project.run(['evals/eval_strict.ts', '--fail-on', 'never']);
    expect(never.code, never.output).toBe(0);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.verdict.status).toBe('pass');
    expect(report.verdict.headline).toContain('--fail-on never');
    expect(report.totals).toMatchObject({ passed: 0, failed: 3 });
  });

  it('a failing required eval exits 1 even with --fail-on never (verdict.ts)', async () => {
    const required = await project.run(['evals/eval_gate.ts', '--fail-on', 'never']);
    expect(required.code, required.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.verdict.status).toBe('fail');
    expect(report.verdict.reasons.join(' ')).toMatch(/3 required evals failed/);
    expect(required.stdout).toContain('✗ eval_gate › greet/carol (required)');
  });

  it('an eval that throws is an error: exit 3, with the message', async () => {
    const threw = await project.run(['evals/eval_throws.ts', 'evals/eval_passes.mjs', '--fail-on', 'never']);
    expect(threw.code, threw.output).toBe(3);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.verdict.headline).toMatch(/^ERROR: 3 eval errors/);
    // The terminal names the line that threw (the JSON report has the whole stack).
    expect(threw.stdout).toContain(
      '! eval_explodes › greet/carol  threw: kaboom inside the eval  at evals/eval_throws.ts:2:9',
    );
    const errors = report.outcomes.filter((outcome) => outcome.status === 'error');
    expect(errors.map((outcome) => outcome.context).sort()).toEqual(TRACES);
    expect(errors[0]?.error).toMatchObject({
      kind: 'threw',
      name: 'TypeError',
      message: 'kaboom inside the eval',
    });
  });

  it('an eval file with a syntax error exits 3 naming the file', async () => {
    project.write('evals/eval_syntax.ts', 'export function eval_broken( { return true\n');
    try {
      const broken = await project.run(['evals/eval_syntax.ts', 'evals/eval_passes.mjs', '--workers', '2']);
      expect(broken.code, broken.output).toBe(3);
      expect(broken.stdout).toContain('eval_syntax.ts');
      const report = project.json<ReportJson>(REPORT_JSON);
      // One broken file is one error, however many chunks imported it.
      expect(report.infrastructureErrors).toHaveLength(1);
      expect(report.infrastructureErrors[0]).toMatchObject({ kind: 'import' });
      expect(report.infrastructureErrors[0]?.message).toContain(
        path.join(project.dir, 'evals', 'eval_syntax.ts'),
      );
    } finally {
      project.remove('evals/eval_syntax.ts');
    }
  });

  it('a corrupt trace exits 3 naming the trace; the other traces are still scored', async () => {
    const traces = 'corrupt-traces';
    await recordGreeterTrace({ dir: path.join(project.dir, traces, 'ok'), names: ['Ann'] });
    await recordGreeterTrace({ dir: path.join(project.dir, traces, 'broken'), names: ['Ben'] });
    project.write(`${traces}/broken/trace.json`, '{ "schemaVersion": 1, ');
    const corrupt = await project.run(['evals/eval_passes.mjs', '--traces', traces]);
    expect(corrupt.code, corrupt.output).toBe(3);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.verdict.headline).toMatch(/^ERROR: 1 infrastructure error/);
    expect(corrupt.stdout).toContain(
      `! broken (trace): could not read trace ${path.join(project.dir, traces, 'broken')}`,
    );
    expect(report.infrastructureErrors).toEqual([
      {
        source: 'broken',
        kind: 'trace',
        message: expect.stringContaining(path.join(project.dir, traces, 'broken', 'trace.json')),
      },
    ]);
    expect(outcomeLines(report)).toEqual(['eval_finished › ok: passed 1']);
  });

  it('no traces at all is a configuration error: exit 2', async () => {
    const empty = createProject({ files: { 'evals/eval_passes.mjs': GREETER_EVALS_MJS } });
    const none = await empty.run([]);
    expect(none.code, none.output).toBe(2);
    expect(none.stdout).toMatch(/no eval results/);
  });
});

describe('the terminal table', () => {
  it('shows every metric of an eval, wrapping the cell instead of hiding some behind "+N"', async () => {
    const project = createProject({
      files: {
        'evals/eval_metrics.mjs': `export const eval_many_metrics = (ctx) => ({
  steps: ctx.stepCount, calls: ctx.toolCalls.length, errors: ctx.toolErrors.length, chars: 120, tokens: 9000,
});
`,
      },
    });
    await recordGreeterTrace({ dir: path.join(project.dir, 'traces', 'carol'), names: ['Carol'] });
    const result = await project.run([]);
    expect(result.code, result.output).toBe(0);
    for (const metric of ['steps 2', 'calls 2', 'errors 0', 'chars 120', 'tokens 9000'])
      expect(result.stdout).toContain(metric);
    expect(result.stdout).not.toMatch(/· \+\d/);
  });
});

describe('looplet-eval on TypeScript evals importing looplet/evals types', () => {
  it('type-only imports and marks from looplet/evals work in .ts files', async () => {
    const project = createProject({ files: { 'evals/eval_greeter.ts': GREETER_EVALS_TS } });
    await recordGreeterTrace({
      dir: path.join(project.dir, 'traces', 'solo'),
      names: ['Zoe'],
      broken: ['Zoe'],
    });
    const result = await project.run(['--json']);
    // The required mark survived the trip through vite: its failure fails the run.
    expect(result.code, result.output).toBe(1);
    const report = JSON.parse(result.stdout) as ReportJson;
    expect(report.outcomes.find((outcome) => outcome.name === 'eval_no_tool_errors')).toMatchObject({
      status: 'failed',
      required: true,
    });
    expect(report.outcomes.find((outcome) => outcome.name === 'eval_greet_success')).toMatchObject({
      status: 'failed',
      score: 0,
    });
  });
});
