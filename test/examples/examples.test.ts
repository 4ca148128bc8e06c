// Runs every example the way its header says: imported (`main`) and as a script (`npx tsx`), with
// the scripted model, and one against an OpenAI-compatible server on 127.0.0.1. The examples import
// `looplet` (the built dist/), so `npm run build` must have run first — `npm test` does.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import * as codingAgent from '../../examples/coding-agent.js';
import * as dataAgent from '../../examples/data-agent.js';
import * as helloWorld from '../../examples/hello-world.js';
import * as regressionStory from '../../examples/regression-story.js';
import { startOpenAIServer, toolCallsAnswer } from '../helpers/openai-server.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let printed: string[];
let scratch: string;
beforeEach(() => {
  printed = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    printed.push(parts.map(String).join(' '));
  });
  vi.stubEnv('OPENAI_BASE_URL', undefined);
  scratch = mkdtempSync(path.join(tmpdir(), 'looplet-examples-test-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  rmSync(scratch, { recursive: true, force: true });
});

const output = () => printed.join('\n');

describe('hello-world', () => {
  test('greets Alice and finishes', async () => {
    expect(await helloWorld.main(['--scripted'])).toBe('done');
    expect(output()).toMatch(/#1 ✓ greet\(name='Alice'\)/);
  });
});

describe('coding-agent', () => {
  test('fixes the bug: the tests fail before and pass after, in the workspace itself', async () => {
    const workspace = path.join(scratch, 'workspace');
    const outcome = await codingAgent.main(['--scripted', '--workspace', workspace]);

    expect(outcome).toMatchObject({ endReason: 'done', testsPass: true });
    expect(readFileSync(path.join(workspace, 'math.js'), 'utf8')).toContain('return a + b;');
    // Checked here too, not only by the example: node --test passes in the workspace now.
    await run(process.execPath, ['--test'], { cwd: workspace, env: { PATH: process.env.PATH ?? '' } });
    const commands = printed.filter((line) => line.includes('✓ run_command('));
    expect(commands).toHaveLength(2);
    expect(commands[0]).toContain('exit code 1');
    expect(commands[1]).toContain('exit code 0');
  });

  test('the permission hook denies the write outside the workspace and asks before each command', async () => {
    const outcome = await codingAgent.main(['--scripted', '--workspace', path.join(scratch, 'workspace')]);

    expect(outcome.denials).toEqual([
      'writes are allowed only inside the workspace: use a path relative to it',
    ]);
    expect(readdirSync(scratch)).toEqual(['workspace']); // nothing was written beside it
    expect(printed.filter((line) => line.includes('? run_command(node --test) → approved'))).toHaveLength(2);
  });

  test('run_command refuses commands off the allow-list', async () => {
    const runCommand = codingAgent
      .workspaceTools({ workspace: scratch })
      .find((tool) => tool.name === 'run_command')!;
    const context = { signal: new AbortController().signal } as Parameters<typeof runCommand.run>[1];
    expect(() => runCommand.run({ command: 'rm -rf /' }, context)).toThrow(/is not allowed/);
    expect(() => runCommand.run({ command: 'node ../outside.js' }, context)).toThrow(/outside the workspace/);
  });
});

describe('data-agent', () => {
  test('compaction fires, the reviewer rejects the first draft, and the approved report states the total', async () => {
    const outcome = await dataAgent.main(['--scripted']);

    expect(outcome.endReason).toBe('done');
    expect(outcome.compactions.length).toBeGreaterThan(0);
    for (const { before, after } of outcome.compactions) expect(after).toBeLessThan(before);
    expect(output()).toContain('⇣ context compacted before step');
    expect(output()).toContain('reviewer: report rejected');
    expect(output()).toMatch(/✗ write_report\(.*→ denied: rejected by the reviewer/);
    const total = dataAgent.SALES.reduce((sum, row) => sum + row.revenue, 0);
    expect(outcome.report).toContain(`Total revenue: ${total}`);
    expect(outcome.totalTokens).toBeGreaterThan(0);
    expect(outcome.totalTokens).toBeLessThan(50_000);
  });

  test('the token budget stops a run that would exceed it, before the report is written', async () => {
    const outcome = await dataAgent.main(['--scripted', '--max-tokens', '5000']);

    expect(outcome.endReason).toBe('hook_stop');
    expect(outcome.stopReason).toMatch(/^token budget exhausted: \d+ total tokens used, limit 5000$/);
    expect(outcome.report).toBeUndefined();
  });
});

describe('regression-story', () => {
  test('the required eval fails on the recorded run and passes on the replay with the fix', async () => {
    const outcome = await regressionStory.main(['--scripted']);

    const profitBefore = outcome.before.find((result) => result.name === 'eval_profit_is_correct');
    const profitAfter = outcome.after.find((result) => result.name === 'eval_profit_is_correct');
    expect(profitBefore).toMatchObject({
      required: true,
      status: 'failed',
      reason: 'profit is 200, expected 40',
    });
    expect(profitAfter).toMatchObject({
      required: true,
      status: 'passed',
      reason: 'profit is 40, expected 40',
    });
    expect(outcome).toMatchObject({ requiredPassedBefore: false, requiredPassedAfter: true });
    expect(outcome.replayedCalls).toBe(outcome.recordedCalls);
    expect(output()).toMatch(/verdict: FAIL.*\(exit code 1\)[\s\S]*verdict: PASS.*\(exit code 0\)/);
  });

  test('without OPENAI_BASE_URL it runs scripted even without --scripted', async () => {
    const outcome = await regressionStory.main([]);
    expect(outcome).toMatchObject({
      requiredPassedBefore: false,
      requiredPassedAfter: true,
      recordedCalls: 2,
    });
  });

  test('against an OpenAI-compatible server: it records from the server, and the replay sends no request', async () => {
    const server = await startOpenAIServer();
    try {
      const turns = regressionStory.scriptedModel().turns;
      turns.forEach((turn, index) => {
        if (typeof turn === 'function' || !turn.toolCalls) throw new Error('expected tool-call turns');
        server.enqueue(toolCallsAnswer({ index, calls: turn.toolCalls }));
      });
      vi.stubEnv('OPENAI_BASE_URL', server.baseURL);
      vi.stubEnv('OPENAI_MODEL', 'test-model');

      const outcome = await regressionStory.main([]);

      expect(outcome).toMatchObject({ requiredPassedBefore: false, requiredPassedAfter: true });
      expect(server.requests).toHaveLength(turns.length); // phase 1 only
      expect(outcome.replayedCalls).toBe(turns.length);
      expect(output()).toContain('1. record: the agent runs with the buggy publish_report (test-model)');
    } finally {
      await server.close();
    }
  });
});

describe('as scripts (npx tsx examples/<file> --scripted)', () => {
  const env = { ...process.env, OPENAI_BASE_URL: '', NO_COLOR: '1' };
  const spawnExample = (file: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'npx',
        ['tsx', `examples/${file}`, '--scripted'],
        { cwd: REPO, env },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      );
    });
  const cases: Array<{ file: string; lines: RegExp[] }> = [
    { file: 'hello-world.ts', lines: [/#1 ✓ greet\(name='Alice'\)/, /end reason: done/] },
    {
      file: 'coding-agent.ts',
      lines: [/✗ write_file\(path='\.\.\/math\.js'.*denied/, /exit code 0/, /tests after the run: pass/],
    },
    {
      file: 'data-agent.ts',
      lines: [/⇣ context compacted before step \d+/, /reviewer: report approved/, /end reason: done/],
    },
    {
      file: 'regression-story.ts',
      lines: [
        /✗ eval_profit_is_correct › recorded \(required\)/,
        /✓ eval_profit_is_correct › replayed \(required\)/,
      ],
    },
  ];
  for (const { file, lines } of cases) {
    test(`${file} exits 0 and prints its story`, async () => {
      const { code, stdout, stderr } = await spawnExample(file);
      expect(code, stderr).toBe(0);
      for (const line of lines) expect(stdout).toMatch(line);
    }, 60_000);
  }
});
