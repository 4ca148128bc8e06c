import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProject, REPO } from '../vitest/support.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('starts with exactly the two set-up commands', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(firstBlock?.trim().split('\n')).toEqual(['npm install && npx looplet-eval', 'npm test']);
  });

  it('shows the agent of examples/readme-agent.ts, which type-checks and runs', () => {
    const [, count, block] = /## An agent in (\d+) lines\n\n```ts\n([\s\S]*?)```/.exec(readme) ?? [];
    // The heading's promise is kept: the block has that many lines.
    expect(block?.trimEnd().split('\n')).toHaveLength(Number(count));
    const file = readFileSync(new URL('../../examples/readme-agent.ts', import.meta.url), 'utf8');
    expect(file.split('\n').slice(2).join('\n')).toBe(block);
    const output = execFileSync('npx', ['tsx', 'examples/readme-agent.ts'], {
      encoding: 'utf8',
      env: { ...process.env, OPENAI_BASE_URL: '' },
    });
    expect(output).toMatch(/^#1 ✓ greet\(name='Alice'\) → \{greeting\} \[\d+ms\]$/m);
    expect(output.trim().split('\n').at(-1)).toBe('done');
  });
});

describe("README's first command: this repository's golden traces", () => {
  /** What a fresh clone holds for `npx looplet-eval`: evals, traces, cases, the agents and the baseline. */
  const cloneGoldens = () => {
    const project = createProject();
    for (const dir of ['evals', 'traces', 'cases', 'examples/agents', '.looplet/baseline.json'])
      cpSync(path.join(REPO, dir), path.join(project.dir, dir), { recursive: true });
    return project;
  };

  it('npx looplet-eval replays them through their agents and passes', async () => {
    const project = cloneGoldens();
    const run = await project.run([]);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain(
      'runs: 1 replayed (lenient, tool-calls check) · 3 replayed (strict) · 1 recorded',
    );
    expect(run.stdout).toContain('baseline: 0 new failures');
  }, 120_000);

  it('a changed greet tool diverges as the README shows', async () => {
    const project = cloneGoldens();
    const agent = project.read('examples/agents/greeter.ts');
    project.write('examples/agents/greeter.ts', agent.replace('({ greeting: `Hello, ', '({ greeting: `Hi, '));
    const run = await project.run([]);
    expect(run.code, run.output).toBe(1);
    const shown = /```sh\nnpx looplet-eval {2}[^\n]*\n((?:# [^\n]*\n)+)/.exec(readme)?.[1] ?? '';
    const lines = shown
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(2).trim());
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(run.stdout).toContain(line);
  }, 120_000);
});
