// The globalSetup that keeps the E2E tests off a stale dist/: when it rebuilds and when it does not.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OUTPUTS, staleBuild } from './fresh-build.js';

const roots: string[] = [];

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A repository layout whose sources were written at `sources` and whose build at `built` (seconds). */
function layout({ sources, built }: { sources: number; built: number | undefined }): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'looplet-build-'));
  roots.push(root);
  const write = (file: string, time: number) => {
    const target = path.join(root, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, '');
    utimesSync(target, time, time);
  };
  write('src/cli/main.ts', sources);
  write('tsconfig.json', 1_000);
  if (built !== undefined) for (const file of OUTPUTS) write(file, built);
  // Directories take the time of their newest entry, as after an edit.
  utimesSync(path.join(root, 'src', 'cli'), sources, sources);
  utimesSync(path.join(root, 'src'), 1_000, 1_000);
  return root;
}

describe('staleBuild', () => {
  it('is fresh when the build is newer than every source', () => {
    expect(staleBuild({ root: layout({ sources: 2_000, built: 3_000 }) })).toBeUndefined();
  });

  it('rebuilds when a source changed after the build, however deep', () => {
    expect(staleBuild({ root: layout({ sources: 4_000, built: 3_000 }) })).toBe(
      'src changed after the last build',
    );
  });

  it('rebuilds when there is no build', () => {
    expect(staleBuild({ root: layout({ sources: 2_000, built: undefined }) })).toBe(
      'dist/index.js does not exist',
    );
  });

  it('rebuilds when one output is older than a source (a build that stopped half way)', () => {
    const root = layout({ sources: 2_500, built: 3_000 });
    utimesSync(path.join(root, 'dist/report/html/page-client.js'), 2_000, 2_000);
    expect(staleBuild({ root })).toBe('src changed after the last build');
  });
});
