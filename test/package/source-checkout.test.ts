// A fresh clone has no dist/: the README's first command (`npm install && npx looplet-eval`) must
// still work, so the launcher builds the CLI on its first run from a source checkout.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(os.tmpdir(), 'looplet-checkout-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bin/looplet.js in a source checkout without dist/', () => {
  it('builds the CLI first (its output on stderr), then runs the command', () => {
    for (const entry of [
      'bin',
      'src',
      'scripts',
      'schema',
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'tsconfig.client.json',
    ])
      cpSync(path.join(REPO, entry), path.join(work, entry), { recursive: true });
    symlinkSync(path.join(REPO, 'node_modules'), path.join(work, 'node_modules'), 'dir');
    expect(existsSync(path.join(work, 'dist'))).toBe(false);
    const run = spawnSync(process.execPath, [path.join(work, 'bin', 'looplet.js'), '--help'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(run.stderr).toContain('looplet: building the CLI first');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^looplet-eval/);
    expect(existsSync(path.join(work, 'dist', 'cli', 'bin.js'))).toBe(true);
  }, 180_000);
});
