// What a user sees when the command line or the project is not right yet: a usage error (exit 2)
// that says what was found and what to do, in every command — through the built CLI.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, createProject, GREETER_EVALS_MJS, recordGreeterTrace } from '../vitest/support.js';

/** A usage error: exit 2, a message, no stack trace. */
function expectUsageError(result: { code: number | null; stderr: string; output: string }, message: RegExp) {
  expect(result.code, result.output).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('looplet-eval in a project without evals', () => {
  it('says where evals go and how they are named, without pointing at docs the package lacks', async () => {
    const project = createProject();
    const result = await project.run([]);
    expectUsageError(result, /no evals\/ directory here/);
    expect(result.stderr).toContain('named eval_*.ts or *.eval.ts');
    expect(result.stderr).toContain('export const eval_finished');
    // The package ships README.md, not docs/.
    expect(result.stderr).not.toContain('docs/');
  });

  it('an empty evals/ says it is empty and gives the naming rule', async () => {
    const project = createProject({ files: { 'evals/.gitkeep': '' } });
    await recordGreeterTrace({ dir: `${project.dir}/traces/carol`, names: ['Carol'] });
    expectUsageError(
      await project.run([]),
      /no eval files in evals: it is empty; eval files are named eval_\*\.ts or \*\.eval\.ts/,
    );
  });

  it('a misnamed eval file is named, with the rule and the name it needs', async () => {
    const project = createProject({
      files: { 'evals/checks.ts': 'export const eval_done = () => true;\n', 'evals/notes.md': '' },
    });
    await recordGreeterTrace({ dir: `${project.dir}/traces/carol`, names: ['Carol'] });
    const result = await project.run([]);
    expectUsageError(result, /found evals\/checks\.ts, evals\/notes\.md, but eval files are named eval_\*/);
    expect(result.stderr).toContain('rename evals/checks.ts to evals/eval_checks.ts');
  });

  it('an eval file whose exports are not named eval_* says so after the run', async () => {
    const project = createProject({
      files: { 'evals/eval_checks.mjs': 'export const done = () => true;\n' },
    });
    await recordGreeterTrace({ dir: `${project.dir}/traces/carol`, names: ['Carol'] });
    const result = await project.run([]);
    expect(result.code, result.output).toBe(2);
    expect(result.stderr).toContain(
      '1 eval file and 1 trace were found, but no eval ran: an eval is an exported function whose name starts with eval_',
    );
  });
});

describe('case files where looplet-eval does not read them', () => {
  it('evals/cases/ is named, with the --cases flag that reads it', async () => {
    const project = createProject({
      files: {
        'evals/eval_finish.mjs': GREETER_EVALS_MJS,
        'evals/cases/profit.yaml': 'id: profit\ntask: { goal: Publish the report. }\n',
      },
    });
    await recordGreeterTrace({ dir: `${project.dir}/traces/carol`, names: ['Carol'] });
    const run = await project.run([]);
    expect(run.code, run.output).toBe(0);
    expect(run.stderr).toContain(
      'note: evals/cases/ holds case files that are not run: cases are read from cases/, or from --cases <dir> (--cases evals/cases)',
    );
    expectUsageError(
      await project.run(['cases']),
      /no cases\/ directory here; give the case files or directories to check \(found evals\/cases: looplet cases evals\/cases/,
    );
    // Given with --cases, the directory is read (this case then needs an agent): the note is gone.
    const read = await project.run(['--cases', 'evals/cases']);
    expect(read.stdout).toContain('! profit (agent): case "profit"');
    expect(read.stderr).not.toContain('note:');
  });
});

describe('a mistyped command', () => {
  it('is named as a command, with the closest one', async () => {
    const project = createProject({ files: { 'evals/eval_finish.mjs': GREETER_EVALS_MJS } });
    expectUsageError(await project.run(['shwo', 'traces/x']), /unknown command "shwo" — did you mean show\?/);
    expectUsageError(await project.run(['valdate', 'traces']), /did you mean validate\?/);
    // A word close to no command is still a missing eval path, and says it is no command either.
    expectUsageError(
      await project.run(['nothing-like-it']),
      /eval path not found: nothing-like-it — and "nothing-like-it" is not a command either \(baseline, show, diff/,
    );
  });
});

describe('a missing path is exit 2 in every command', () => {
  it.each([
    [['show', 'nowhere'], /nowhere: no such trace directory/],
    [['show', '--html', 'nowhere'], /nowhere: no such trace directory/],
    [['diff', 'nowhere', 'elsewhere'], /nowhere: no such trace directory/],
    [['validate', 'nowhere'], /nowhere: no such file or directory/],
    [['cases', 'nowhere'], /cases path not found: nowhere/],
    [['nowhere/evals'], /eval path not found: nowhere\/evals/],
    [['--traces', 'nowhere'], /--traces nowhere: no such directory/],
    [['--cases', 'nowhere'], /--cases nowhere: no such file or directory/],
    [['baseline', 'update', '--traces', 'nowhere'], /--traces nowhere: no such directory/],
    [['record', 'some_case', '--cases', 'nowhere'], /no case directory nowhere/],
  ])('%j', async (args, message) => {
    const project = createProject({ files: { 'evals/eval_finish.mjs': GREETER_EVALS_MJS } });
    expectUsageError(await project.run(args), message);
  });
});

describe('--help', () => {
  const help = (args: string[]) =>
    execFileSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });

  it('--no-open does not read as "on by default"', () => {
    const line = help(['--help'])
      .split('\n')
      .find((text) => text.trimStart().startsWith('--no-open'));
    expect(line).toContain('print the address instead of opening a browser');
    expect(line).not.toContain('default');
  });

  it('says where evals, traces and cases are looked for', () => {
    const text = help(['--help']);
    expect(text).toContain('(default: evals/) against traces (default: traces/) and cases (default: cases/)');
    expect(text).toMatch(
      /--cases <dir> +Case files or directories to run \(repeatable; default: cases\/ when it exists/,
    );
  });

  it('baseline update describes every flag it shares with looplet-eval exactly as looplet-eval does', () => {
    const options = (text: string) =>
      new Map(
        text
          .split('\n')
          .filter((line) => /^ {2}-/.test(line))
          .map((line) => {
            const [flag = '', ...rest] = line.trim().split(/ {2,}/);
            return [flag, rest.join(' ').trim()] as const;
          }),
      );
    const run = options(help(['--help']));
    const baseline = options(help(['baseline', '--help']));
    const shared = [...baseline.keys()].filter((flag) => run.has(flag));
    for (const flag of [
      '--traces <dir>',
      '--cases <dir>',
      '--out <dir>',
      '--judge <model>',
      '--timeout <ms>',
      '--allow-network',
      '--workers <n>',
      '--replay <mode>',
      '-u, --update [all]',
    ])
      expect(shared).toContain(flag);
    // The baseline file and the merged blobs mean something else for update: the rest reads the same.
    for (const flag of shared.filter((name) => !/--baseline|--merge-reports|--help/.test(name)))
      expect([flag, baseline.get(flag)]).toEqual([flag, run.get(flag)]);
  });
});
