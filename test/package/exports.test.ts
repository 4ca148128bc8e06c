// Every name each entry point exports, types included, kept in a snapshot file per entry: an
// addition or removal shows up in review as a one-line diff, so no name becomes API by accident.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
};

/** `./vitest` → `src/vitest/index.ts`: the source each entry's `dist/*.js` is built from. */
const entries = Object.entries(manifest.exports)
  .filter((entry): entry is [string, { types: string; import: string }] => typeof entry[1] === 'object')
  .map(([subpath, target]) => ({
    name: `looplet${subpath.slice(1)}`,
    source: path.join(root, target.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
  }));

function exportNames(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${file} has no exports`);
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return target.flags & ts.SymbolFlags.Value ? symbol.name : `type ${symbol.name}`;
    })
    .sort((a, b) => a.replace(/^type /, '').localeCompare(b.replace(/^type /, '')));
}

describe('export names of each entry point', () => {
  const program = ts.createProgram(
    entries.map((entry) => entry.source),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
      skipLibCheck: true,
    },
  );

  it('covers every entry in package.json exports', () => {
    expect(entries.map((entry) => entry.name)).toEqual([
      'looplet',
      'looplet/evals',
      'looplet/vitest',
      'looplet/vitest/runner',
      'looplet/testing',
    ]);
  });

  for (const entry of entries) {
    it(`${entry.name} exports exactly the names in its snapshot`, async () => {
      const names = exportNames(program, entry.source);
      const runtime = Object.keys(await import(entry.source)).sort();
      // The checker's value names are the module's runtime names: the snapshot is what users get.
      expect(names.filter((name) => !name.startsWith('type ')).sort()).toEqual(runtime);
      await expect(`${names.join('\n')}\n`).toMatchFileSnapshot(
        `exports/${entry.name.replaceAll('/', '__')}.txt`,
      );
    });
  }
});
