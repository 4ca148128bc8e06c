// `openai` is an optional peer dependency: a project without it imports looplet, runs agents on
// other backends, and gets a typed error saying what to install when it uses OpenAIBackend. Run
// against the built package (dist/) installed in a temporary project beside its dependencies but
// not openai, as npm installs it for a user who did not add openai.
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../vitest/support.js';

let project: string;

beforeAll(() => {
  if (!existsSync(path.join(REPO, 'dist/index.js')))
    throw new Error('looplet is not built: run `npm run build` first (npm test does)');
  project = mkdtempSync(path.join(os.tmpdir(), 'looplet-no-openai-'));
  const modules = path.join(project, 'node_modules');
  const installed = path.join(modules, 'looplet');
  mkdirSync(installed, { recursive: true });
  cpSync(path.join(REPO, 'dist'), path.join(installed, 'dist'), { recursive: true });
  cpSync(path.join(REPO, 'package.json'), path.join(installed, 'package.json'));
  const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  expect(Object.keys(manifest.dependencies)).not.toContain('openai');
  for (const name of Object.keys(manifest.dependencies)) {
    mkdirSync(path.dirname(path.join(modules, name)), { recursive: true });
    symlinkSync(path.join(REPO, 'node_modules', name), path.join(modules, name), 'dir');
  }
  writeFileSync(path.join(project, 'package.json'), '{ "type": "module" }\n');
});

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

function runScript(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: project, env: { PATH: process.env.PATH } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('looplet without the openai package', () => {
  it('the project really has no openai', async () => {
    const { stdout } = await runScript(
      "import('openai').then(() => console.log('found'), (error) => console.log(error.code))",
    );
    expect(stdout.trim()).toBe('ERR_MODULE_NOT_FOUND');
  });

  it('imports looplet and runs an agent on another backend', async () => {
    const { code, stdout, stderr } = await runScript(`
      import { agentLoop, ScriptedLLM } from 'looplet';
      const llm = new ScriptedLLM([{ toolCalls: [{ name: 'done', args: { summary: 'ok' } }] }]);
      const result = await agentLoop({ llm, task: 'finish' }).result;
      console.log(result.endReason);
    `);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('done');
  });

  it('OpenAIBackend is built, and its first call throws LLMConfigError saying npm install openai', async () => {
    const { code, stdout } = await runScript(`
      import { LLMConfigError, OpenAIBackend } from 'looplet';
      const llm = new OpenAIBackend({ model: 'gpt-4o', baseURL: 'http://127.0.0.1:9/v1' });
      try {
        await llm.generate({ messages: [{ role: 'user', content: 'hi' }], tools: [], step: 1 });
      } catch (error) {
        console.log(JSON.stringify({ config: error instanceof LLMConfigError, message: error.message }));
      }
    `);
    expect(code).toBe(0);
    const outcome = JSON.parse(stdout) as { config: boolean; message: string };
    expect(outcome.config).toBe(true);
    expect(outcome.message).toContain('npm install openai');
  });
});
