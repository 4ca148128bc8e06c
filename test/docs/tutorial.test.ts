// docs/tutorial.md is run, not just read: its named code blocks (`// agent.ts` …) are written into
// a fresh project and executed the way the tutorial says, so the tutorial cannot rot.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createProject, type Project, REPO } from '../vitest/support.js';

const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

const tutorial = readFileSync(path.join(REPO, 'docs', 'tutorial.md'), 'utf8');

describe('docs/tutorial.md', () => {
  let project: Project;
  const tsx = (file: string) =>
    execFileSync(TSX, [file], { cwd: project.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  beforeAll(() => {
    const files: Record<string, string> = {};
    for (const [, code, name] of tutorial.matchAll(/```ts\n(\/\/ (\S+)\n[\s\S]*?)```/g)) files[name!] = code!;
    expect(Object.keys(files).sort()).toEqual(['agent.ts', 'evals/eval_prices.ts', 'record.ts']);
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

  it('steps 3–5: record, show, replay through the agent in CI, change a tool, see the divergence with its diff', async () => {
    expect(tsx('record.ts')).toContain('wrote ');
    const shown = await project.run(['show', 'traces/prices/tea-and-cake']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('What do tea and cake cost together?');
    const evals = await project.run([]);
    expect(evals.code, evals.output).toBe(0);
    for (const line of printedLines('npx looplet-eval                  # evals/'))
      expect(evals.stdout).toContain(line);
    expect(evals.stdout).toMatch(/eval_total_is_right \(required\) +│ +100%/);

    // Step 5: the edit the tutorial shows, applied to agent.ts.
    const edit =
      /\n {2}run: \(\{ product \}\) => \(\{ product, euros: \(product === 'tea' \? 4 : 9\) \* 1\.2 \}\),\n/;
    expect(tutorial).toMatch(edit);
    project.write(
      'agent.ts',
      project
        .read('agent.ts')
        .replace("euros: product === 'tea' ? 4 : 9 }", "euros: (product === 'tea' ? 4 : 9) * 1.2 }"),
    );
    const diverged = await project.run([]);
    expect(diverged.code, diverged.output).toBe(1);
    for (const line of printedLines('npx looplet-eval\n# ✗')) expect(diverged.stdout).toContain(line);
    const diff = await project.run([
      'diff',
      'traces/prices/tea-and-cake',
      '.looplet/replays/prices/tea-and-cake',
    ]);
    expect(diff.code, diff.output).toBe(1);
    const lenient = await project.run(['--replay', 'lenient']);
    expect(lenient.code, lenient.output).toBe(0);
    expect(lenient.stdout).toContain('! prices/tea-and-cake replayed with 1 warning (lenient):');
  }, 120_000);
});

/** The `# …` output lines of the tutorial's sh block that starts with `start` (without the `# `; `…` lines left out). */
function printedLines(start: string): string[] {
  const block = tutorial.slice(tutorial.indexOf(`\`\`\`sh\n${start}`));
  const end = block.indexOf('\n```', 5);
  return block
    .slice(0, end)
    .split('\n')
    .filter((line) => line.startsWith('# ') && !line.trim().endsWith('…'))
    .map((line) => line.slice(2).trim());
}
