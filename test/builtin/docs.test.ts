import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');

/** Lines that carry code: trimmed, blank lines dropped (indentation differs inside test bodies). */
const codeLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let offset = 0; offset < needle.length; offset++)
      if (haystack[start + offset] !== needle[offset]) continue outer;
    return true;
  }
  return false;
}

// Every TypeScript sample in docs/hooks.md must be code the test suite type-checks and runs.
describe('docs/hooks.md', () => {
  it('every ts sample appears verbatim in the tests that run it, and imports only what looplet exports', async () => {
    const doc = await read('docs/hooks.md');
    const sources = await Promise.all(
      ['test/builtin/recipes.test.ts', 'test/builtin/docs-examples.test.ts'].map(async (path) => ({
        path,
        lines: codeLines(await read(path)),
      })),
    );
    const index = await read('src/index.ts');
    const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(10);

    for (const block of blocks) {
      const imports = [...block.matchAll(/^import \{([^}]*)\} from '([^']+)';$/gm)];
      for (const [, names = '', from] of imports) {
        expect(from).toBe('looplet');
        for (const name of names.split(',').map((part) => part.replace(/^\s*type\s+/, '').trim()))
          if (name !== '')
            expect(index, `docs import "${name}", which src/index.ts does not export`).toMatch(
              new RegExp(`\\b${name}\\b`),
            );
      }
      const code = codeLines(block.replace(/^import \{[^}]*\} from '[^']+';$/gm, ''));
      expect(
        code.some((line) => line.startsWith('import ')),
        `unparsed import in:\n${block}`,
      ).toBe(false);
      const found = sources.some((source) => containsRun(source.lines, code));
      expect(found, `this sample of docs/hooks.md is not in the tests that run it:\n${block}`).toBe(true);
    }
  });
});
