import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLLM } from '../../src/index.js';
import { GREETER_SCRIPT, greet, recordGreeter, recordRun, tempDir } from '../provenance/helpers.js';

const BIN = path.resolve('bin/looplet.js');
const GOLDEN = path.resolve('traces/greeter/alice');
/** An ANSI escape sequence starts with ESC `[`. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`node bin/looplet.js …`) in `cwd`, with colours off unless `env` turns them on. */
function looplet(
  args: string[],
  { cwd = tempDir(), env = {} }: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const { CI: _ci, FORCE_COLOR: _force, ...rest } = process.env;
  return new Promise<CliResult>((resolve) => {
    execFile('node', [BIN, ...args], { cwd, env: { ...rest, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  if (!existsSync(path.resolve('dist/cli/bin.js')))
    throw new Error('the CLI is not built: run `npm run build` first (npm test does)');
});

describe('looplet show', () => {
  it('prints one readable page: task, steps with calls and results, end reason, usage', async () => {
    const { code, stdout } = await looplet(['show', GOLDEN]);
    expect(code).toBe(0);
    expect(stdout).toContain('Task   Greet Alice');
    expect(stdout).toContain('Model  scripted-greeter · tools: greet, done');
    expect(stdout).toMatch(/#1 {2}I will greet Alice\./);
    expect(stdout).toContain('✓ greet(name="Alice") → {"greeting":"Hello, Alice!"}');
    expect(stdout).toContain('End     done');
    expect(stdout).toContain('Output  {"greeted":["Alice"]}');
    expect(stdout).toContain('Usage   413 prompt + 38 completion = 451 tokens · 2 steps · 2 model calls');
    expect(stdout).not.toMatch(ANSI);
  });

  it('is coloured when colours are forced (as on a TTY)', async () => {
    const { stdout } = await looplet(['show', GOLDEN], { env: { FORCE_COLOR: '1' } });
    expect(stdout).toMatch(ANSI);
  });

  it('shows the prompts with --prompts, and one step with its full prompt with --step', async () => {
    const all = await looplet(['show', GOLDEN, '--prompts']);
    expect(all.stdout).toContain('┌ model call 1 · 2 messages');
    expect(all.stdout).toContain('┌ model call 2 · continues call 1 with 2 new message(s)');
    expect(all.stdout).toContain('│ [tool call_1 greet]');
    const one = await looplet(['show', GOLDEN, '--step', '2', '--prompts']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('┌ model call 2 · 4 messages');
    expect(one.stdout).toContain('│ [system]');
    expect(one.stdout).not.toContain('#1 ');
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await looplet(['show', GOLDEN, '--json', '--prompts']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as {
      meta: { endReason: string };
      steps: Array<{ index: number; calls: unknown[] }>;
    };
    expect(json.meta.endReason).toBe('done');
    expect(json.steps.map((step) => step.index)).toEqual([1, 2]);
    expect(json.steps[1]!.calls).toHaveLength(1);
  });

  it('exits 2 for a bad flag or a missing path and 3 for an unreadable trace, with the reason', async () => {
    const flag = await looplet(['show', GOLDEN, '--step', '0']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--step must be a whole number/);
    const missing = await looplet(['show', 'nowhere']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nowhere: no such trace directory/);
    const notTrace = await looplet(['show', tempDir()]);
    expect(notTrace.code).toBe(3);
    expect(notTrace.stderr).toMatch(/this is not a trace directory/);
    const range = await looplet(['show', GOLDEN, '--step', '9']);
    expect(range.code).toBe(3);
    expect(range.stderr).toMatch(/there is no step 9: the trace has 2 step/);
  });

  it('stops quietly when the reader closes the pipe (looplet show … | head)', async () => {
    const dir = path.join(tempDir(), 'long');
    // Several hundred KiB of output: more than the pipe and the writer's buffer hold.
    const name = (i: number) => `${i}`.padEnd(300, '.');
    const turns = Array.from({ length: 600 }, (_, i) => ({
      toolCalls: [{ name: 'greet', args: { name: name(i) } }],
    }));
    await recordRun({ dir, llm: new ScriptedLLM(turns), maxSteps: 600 });
    const child = spawn('node', [BIN, 'show', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('shows a Python looplet trace', async () => {
    const { code, stdout } = await looplet(['show', path.resolve('traces/python-report')]);
    expect(code).toBe(0);
    expect(stdout).toContain('(Python looplet)');
    expect(stdout).toContain(
      '✓ publish_report(revenue=120, cost=80) → {"profit":200,"written":"report.json"}',
    );
  });
});

describe('looplet diff', () => {
  it('exits 0 for equal traces, ignoring volatile.json unless --include-volatile', async () => {
    const a = await recordGreeter({ deterministic: false });
    const b = await recordGreeter({ deterministic: false });
    const same = await looplet(['diff', a, b]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('no differences');
    const volatile = await looplet(['diff', a, b, '--include-volatile']);
    expect(volatile.code).toBe(1);
    expect(volatile.stdout).toContain('volatile.json differs');
  });

  it('exits 1 and shows step-aligned diffs of results and prompts when a tool changed', async () => {
    const a = await recordGreeter();
    const b = path.join(tempDir(), 'hi');
    const hi = {
      ...greet,
      run: ({ name }: Record<string, unknown>) => ({ greeting: `Hi, ${String(name)}!` }),
    };
    await recordRun({ dir: b, llm: new ScriptedLLM(GREETER_SCRIPT), tools: [hi] });
    const { code, stdout } = await looplet(['diff', a, b]);
    expect(code).toBe(1);
    expect(stdout).toContain('step 1: tool results differ');
    expect(stdout).toContain('-        "greeting": "Hello, Alice!"');
    expect(stdout).toContain('model call 2 (step 2): the messages added since call 1 differ');
    expect(stdout).toContain('+{"greeting":"Hi, Alice!"}');
    expect(stdout).toContain('2 differences');

    const json = await looplet(['diff', a, b, '--json']);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { same: boolean; differences: Array<{ kind: string }> };
    expect(parsed.same).toBe(false);
    expect(parsed.differences.map((d) => d.kind)).toEqual(['step', 'request']);
  });
});

describe('looplet validate', () => {
  it('exits 0 when every trace under the paths is valid', async () => {
    const { code, stdout } = await looplet(['validate', path.resolve('traces')]);
    expect(code).toBe(0);
    expect(stdout).toContain(`✓ ${GOLDEN}`);
    expect(stdout).toContain('(Python looplet)');
    expect(stdout).toMatch(/\d+ traces, all valid/);
  });

  it('exits 1 and gives a reason per invalid trace', async () => {
    const { code, stdout } = await looplet(['validate', path.resolve('fixtures/traces'), GOLDEN]);
    expect(code).toBe(1);
    expect(stdout).toContain(`✓ ${GOLDEN}`);
    expect(stdout).toMatch(/✗ .*truncated-step\n {4}.*steps\/0002\.json: is truncated/);
    expect(stdout).toMatch(/✗ .*future-version\n {4}.*upgrade looplet/);
    expect(stdout).toContain('11 of 12 traces invalid');
    const json = JSON.parse(
      (await looplet(['validate', path.resolve('fixtures/traces'), '--json'])).stdout,
    ) as {
      valid: boolean;
      traces: Array<{ valid: boolean; problems: string[] }>;
    };
    expect(json.valid).toBe(false);
    expect(json.traces.every((trace) => !trace.valid && trace.problems.length > 0)).toBe(true);
  });

  it('exits 1 when no trace is found', async () => {
    const { code, stdout } = await looplet(['validate', tempDir()]);
    expect(code).toBe(1);
    expect(stdout).toContain('no trace directories found');
  });
});
