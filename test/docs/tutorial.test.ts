// docs/tutorial.md is run, not just read: its named code blocks (`// agent.ts` …) are written into
// a fresh project and executed the way the tutorial says, so the tutorial cannot rot.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProject, type Project, REPO } from '../vitest/support.js';

const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

describe('docs/tutorial.md', () => {
  let project: Project;
  const tsx = (file: string) =>
    execFileSync(TSX, [file], { cwd: project.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  beforeAll(() => {
    const tutorial = readFileSync(path.join(REPO, 'docs', 'tutorial.md'), 'utf8');
    const files: Record<string, string> = {};
    for (const [, code, name] of tutorial.matchAll(/```ts\n(\/\/ (\S+)\n[\s\S]*?)```/g)) files[name!] = code!;
    expect(Object.keys(files).sort()).toEqual(['agent.ts', 'evals/eval_prices.ts', 'record.ts', 'replay.ts']);
    project = createProject({ files });
  });

  it('step 1: the agent runs and finishes with its final output', () => {
    const output = tsx('agent.ts');
    expect(output).toMatch(
      /^#1 ✓ lookup_price\(product='tea'\) → \{product, euros\} · ✓ lookup_price\(product='cake'\)/m,
    );
    expect(output).toMatch(/^#2 ✓ done\(total=13\)/m);
    expect(output).toContain("endReason: 'done'");
  });

  it('steps 3–5: record, show, replay through a changed tool (divergence with a diff), score in CI', async () => {
    expect(tsx('record.ts')).toContain('wrote ');
    const shown = await project.run(['show', 'traces/prices/tea-and-cake']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('What do tea and cake cost together?');
    const replayed = tsx('replay.ts');
    expect(replayed).toContain("endReason: 'llm_error'");
    expect(replayed).toContain('ReplayDivergenceError');
    expect(replayed).toContain('+{"product":"tea","euros":4.8}');
    const evals = await project.run([]);
    expect(evals.code).toBe(0);
    expect(evals.stdout).toMatch(/eval_total_is_right \(required\) +│ +100%/);
  });
});
