import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  contextFromTrace,
  DuplicateEvalError,
  discoverEvals,
  EvalImportError,
  EvalPathError,
  findEvalFiles,
  runEvals,
} from '../../src/evals/index.js';
import { marksOf } from '../../src/evals/marks.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { memoryTrace } from './support.js';

const evalsEntry = resolve('src/evals/index.ts');
const temp = useTempDir('looplet-discover-');

const write = temp.write;

describe('discoverEvals', () => {
  it('finds eval_*.{ts,mts,js,mjs} and *.eval.* files recursively, skipping other files and node_modules', async () => {
    for (const file of [
      'eval_a.mjs',
      'eval_b.js',
      'eval_c.ts',
      'eval_d.mts',
      'nested/quality.eval.ts',
      'helpers.mjs',
      'evaluate.mjs',
      'node_modules/pkg/eval_x.mjs',
    ]) {
      await write(file, 'export {};\n');
    }
    const files = await findEvalFiles({ paths: [temp.path] });
    expect(files.map((file) => file.slice(temp.path.length + 1))).toEqual([
      'eval_a.mjs',
      'eval_b.js',
      'eval_c.ts',
      'eval_d.mts',
      'nested/quality.eval.ts',
    ]);
  });

  it('collects eval_* function exports (marked or not) and ignores helpers and re-exports of other names', async () => {
    await write(
      'eval_greeter.mjs',
      `import { mark } from ${JSON.stringify(evalsEntry)};
export { mark };
export const helper = () => true;
export const eval_not_a_function = 42;
export function eval_completed(ctx) { return ctx.completed; }
export const eval_gate = mark(['required'], (ctx) => ctx.artifacts.report_ok === true);
`,
    );
    const evals = await discoverEvals({ paths: [temp.path] });
    expect(evals.map((item) => item.name)).toEqual(['eval_completed', 'eval_gate']);
    expect(evals[0]?.file).toBe(join(temp.path, 'eval_greeter.mjs'));
    expect(marksOf(evals[1]!.fn)).toMatchObject({ required: true });
    expect(evals[1]?.marks.required).toBe(true);

    const outcomes = await runEvals({ evals, contexts: [contextFromTrace({ trace: memoryTrace() })] });
    expect(outcomes.map((outcome) => [outcome.name, outcome.status, outcome.file])).toEqual([
      ['eval_completed', 'passed', join(temp.path, 'eval_greeter.mjs')],
      ['eval_gate', 'passed', join(temp.path, 'eval_greeter.mjs')],
    ]);
  });

  it('imports a TypeScript eval file through the loader the tests run in', async () => {
    await write(
      'steps.eval.ts',
      `import type { EvalContext } from ${JSON.stringify(evalsEntry)};
export function eval_steps(ctx: EvalContext): { steps: number } { return { steps: ctx.stepCount }; }
`,
    );
    const evals = await discoverEvals({ paths: [temp.path] });
    const [outcome] = await runEvals({ evals, contexts: [contextFromTrace({ trace: memoryTrace() })] });
    expect(outcome).toMatchObject({ name: 'eval_steps', status: 'reported', metrics: { steps: 3 } });
  });

  it('uses an injected importModule (how the vitest runner imports .ts through vite)', async () => {
    const file = await write('eval_virtual.ts', 'this is not even JavaScript');
    const imported: string[] = [];
    const evals = await discoverEvals({
      paths: [temp.path],
      importModule: async (path) => {
        imported.push(path);
        return { eval_virtual: () => true, notAnEval: () => false };
      },
    });
    expect(imported).toEqual([file]);
    expect(evals.map((item) => item.name)).toEqual(['eval_virtual']);
  });

  it('reports every file that fails to import, naming the file and the cause', async () => {
    await write('eval_ok.mjs', 'export const eval_ok = () => true;\n');
    const broken = await write('eval_broken.mjs', 'export const eval_x = (;\n');
    const throwing = await write('eval_throws.mjs', "throw new Error('no API key in this environment');\n");
    const error = await discoverEvals({ paths: [temp.path] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EvalImportError);
    const failures = (error as EvalImportError).failures;
    expect(failures.map((failure) => failure.file)).toEqual([broken, throwing]);
    expect(failures[1]?.message).toContain('no API key in this environment');
    expect((error as Error).message).toContain(broken);
    expect((error as EvalImportError).code).toBe('EVAL_IMPORT');
  });

  it('reports the same eval name in two files with both paths', async () => {
    const first = await write('a/eval_one.mjs', 'export const eval_same = () => true;\n');
    const second = await write('b/eval_two.mjs', 'export const eval_same = () => false;\n');
    const error = await discoverEvals({ paths: [temp.path] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DuplicateEvalError);
    expect((error as DuplicateEvalError).files).toEqual([first, second]);
    expect((error as Error).message).toContain(
      `eval "eval_same" is defined in more than one file: ${first} and ${second}`,
    );
  });

  it('keeps one eval when a second file re-exports the same function', async () => {
    const source = await write('eval_base.mjs', 'export const eval_shared = () => true;\n');
    await write('eval_reexport.mjs', `export { eval_shared } from ${JSON.stringify(source)};\n`);
    const evals = await discoverEvals({ paths: [temp.path] });
    expect(evals.map((item) => [item.name, item.file])).toEqual([['eval_shared', source]]);
  });

  it('takes an explicit file path as is and rejects a path that does not exist', async () => {
    const file = await write('custom_checks.mjs', 'export const eval_custom = () => 1;\n');
    expect((await discoverEvals({ paths: [file] })).map((item) => item.name)).toEqual(['eval_custom']);
    const missing = await discoverEvals({ paths: ['no/such/dir'], cwd: temp.path }).catch(
      (caught: unknown) => caught,
    );
    expect(missing).toBeInstanceOf(EvalPathError);
    expect((missing as Error).message).toBe('eval path not found: no/such/dir');
  });
});
