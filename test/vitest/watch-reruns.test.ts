// What a watch session re-runs for a file the watcher reports, on a real plan (chunk files written).
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planRun } from '../../src/vitest/plan-run.js';
import { chunkHoldingTrace, linkInsideTraceRoots } from '../../src/vitest/watch-reruns.js';
import { recordGreeterTrace } from './support.js';

describe('chunkHoldingTrace', () => {
  let cwd: string;
  beforeEach(async () => {
    cwd = mkdtempSync(path.join(os.tmpdir(), 'looplet-watch-reruns-'));
    mkdirSync(path.join(cwd, 'evals'));
    writeFileSync(path.join(cwd, 'evals', 'eval_x.mjs'), 'export const eval_x = () => true;\n');
    for (const name of ['alice', 'bob', 'carol', 'dave'])
      await recordGreeterTrace({ dir: path.join(cwd, 'traces', 'greet', name), names: [name] });
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const plan = () => planRun({ cwd, workers: 2, tracesPerChunk: 1 });

  it('re-runs only the chunk that scores the trace a changed file is in, at any depth', async () => {
    const planned = await plan();
    expect(planned.entries.length).toBeGreaterThan(1);
    const rerun = chunkHoldingTrace({ plan: planned, cwd });
    const carol = planned.plans.findIndex((chunk) =>
      chunk.traces.some((trace) => trace.id === 'greet/carol'),
    );
    const expected = [planned.entries[carol]!];
    expect(rerun(path.join(cwd, 'traces', 'greet', 'carol', 'trace.json'))).toEqual(expected);
    expect(rerun(path.join(cwd, 'traces', 'greet', 'carol', 'steps', '0001.json'))).toEqual(expected);
  });

  it('re-runs everything for an eval file, a file outside every trace, or any change in a project with cases', async () => {
    const rerun = chunkHoldingTrace({ plan: await plan(), cwd });
    expect(rerun(path.join(cwd, 'evals', 'eval_x.mjs'))).toBeUndefined();
    expect(rerun(path.join(cwd, 'traces', 'greet', 'notes.txt'))).toBeUndefined();
    expect(rerun(path.join(cwd, 'traces', 'greet', 'erin', 'trace.json'))).toBeUndefined();
    mkdirSync(path.join(cwd, 'cases'));
    writeFileSync(path.join(cwd, 'cases', 'one.json'), JSON.stringify({ id: 'one', task: 'greet Ann' }));
    const withCases = chunkHoldingTrace({ plan: await plan(), cwd });
    expect(withCases(path.join(cwd, 'traces', 'greet', 'carol', 'trace.json'))).toBeUndefined();
  });
});

describe('linkInsideTraceRoots (what the watcher does not follow)', () => {
  it('is true for a link inside a traces root only: not for files, nor for a root that is a link', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'looplet-watch-links-'));
    try {
      mkdirSync(path.join(cwd, 'shared', 'greet'), { recursive: true });
      writeFileSync(path.join(cwd, 'shared', 'greet', 'trace.json'), '{}');
      symlinkSync(path.join(cwd, 'shared'), path.join(cwd, 'traces'));
      symlinkSync('/', path.join(cwd, 'shared', 'greet', 'root'));
      symlinkSync('/', path.join(cwd, 'elsewhere'));
      const ignored = linkInsideTraceRoots({ roots: [path.join(cwd, 'traces')] });
      // As the watcher asks when it is about to walk into a directory: with the followed stats.
      const asked = (file: string) => ignored(file, statSync(file));
      expect(asked(path.join(cwd, 'traces'))).toBe(false);
      expect(asked(path.join(cwd, 'traces', 'greet'))).toBe(false);
      expect(asked(path.join(cwd, 'traces', 'greet', 'trace.json'))).toBe(false);
      expect(asked(path.join(cwd, 'traces', 'greet', 'root'))).toBe(true);
      expect(asked(path.join(cwd, 'elsewhere'))).toBe(false);
      // Asked without stats, or about a file: nothing to walk into, no question asked of the disk.
      expect(ignored(path.join(cwd, 'traces', 'greet', 'root'))).toBe(false);
      expect(ignored(path.join(cwd, 'traces', 'greet', 'missing'))).toBe(false);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
