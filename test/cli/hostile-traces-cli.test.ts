// `looplet show | diff | validate` (the built CLI) on traces made to crash or exhaust readers:
// a typed error naming the file, the documented exit code, never "internal error".
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../provenance/helpers.js';

const BIN = path.resolve('bin/looplet.js');
const GOLDEN = path.resolve('traces/greeter/alice');

function looplet(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'node',
      [BIN, ...args],
      { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000, ...(cwd ? { cwd } : {}) },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function copyOfGolden(): string {
  const dir = path.join(tempDir(), 'trace');
  cpSync(GOLDEN, dir, { recursive: true });
  return dir;
}

describe('show, diff and validate on hostile traces', () => {
  it('JSON nested 10,000 levels deep: exit 3 with the file named, not an internal error', async () => {
    const dir = copyOfGolden();
    const file = path.join(dir, 'steps/0001.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        '"metadata": {}',
        `"metadata": {"x": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      ),
    );
    for (const args of [
      ['show', dir],
      ['show', dir, '--json'],
      ['diff', GOLDEN, dir],
    ]) {
      const { code, stderr } = await looplet(args);
      expect(code, `${args.join(' ')}: ${stderr}`).toBe(3);
      expect(stderr).not.toContain('internal error');
      expect(stderr).toContain(`${file}: nests arrays and objects more than 1000 levels deep`);
    }
    const validate = await looplet(['validate', dir]);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toContain('steps/0001.json: nests arrays and objects more than 1000 levels deep');
  });

  it('artifacts.json linked to a file outside the trace is refused by show and validate', async () => {
    const dir = copyOfGolden();
    const outside = path.join(tempDir(), 'outside.json');
    writeFileSync(outside, '{"token": "hunter2"}');
    rmSync(path.join(dir, 'artifacts.json'), { force: true });
    symlinkSync(outside, path.join(dir, 'artifacts.json'));
    const show = await looplet(['show', dir]);
    expect(show.code).toBe(3);
    expect(show.stdout + show.stderr).not.toContain('hunter2');
    expect(show.stderr).toContain('artifacts.json: is a symbolic link');
    const validate = await looplet(['validate', dir]);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toContain('artifacts.json: is a symbolic link');
    expect(validate.stdout).not.toContain('hunter2');
  });

  it('LOOPLET_MAX_FILE_BYTES sets the size cap of every command', async () => {
    const { code, stderr } = await looplet(['show', GOLDEN], { LOOPLET_MAX_FILE_BYTES: '100' });
    expect(code).toBe(3);
    expect(stderr).toMatch(/trace\.json: is over the 100-byte cap on one trace file/);
    const validate = await looplet(['validate', GOLDEN], { LOOPLET_MAX_FILE_BYTES: '100' });
    expect(validate.code).toBe(1);
    expect(validate.stdout).toContain('is over the 100-byte cap');
  });

  it('a traces directory whose name is not valid UTF-8: looplet-eval and validate exit 3 naming it, never a silent skip', async () => {
    const project = tempDir();
    mkdirSync(path.join(project, 'evals'));
    writeFileSync(path.join(project, 'evals', 'eval_done.mjs'), 'export const eval_done = () => true;\n');
    cpSync(GOLDEN, path.join(project, 'traces', 'ok'), { recursive: true });
    const bad = Buffer.concat([Buffer.from(path.join(project, 'traces', 'caf')), Buffer.from([0xe9])]);
    mkdirSync(Buffer.concat([bad, Buffer.from('/alice')]), { recursive: true });
    writeFileSync(Buffer.concat([bad, Buffer.from('/alice/trace.json')]), '{}');
    const run = await looplet([], {}, project);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('traces/caf\\xe9: is a directory whose name is not valid UTF-8');
    const validate = await looplet(['validate', path.join(project, 'traces')]);
    expect(validate.code).toBe(3);
    expect(validate.stderr).toContain("mv $'caf\\xe9' new-name");
  });
});
