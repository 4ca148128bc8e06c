import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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
