// What a watch session re-runs for a file a watcher reports, on a real plan (chunk files written),
// and which watcher watches what.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planRun } from '../../src/vitest/plan-run.js';
import { chunkHoldingTrace, isReportFile, watchScope } from '../../src/vitest/watch-reruns.js';
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

describe('watchScope (which watcher watches what)', () => {
  const root = path.join(os.tmpdir(), 'project');
  const at = (...parts: string[]) => path.join(root, ...parts);

  it('leaves the traces roots to looplet, everything else to vite', () => {
    const scope = watchScope({ traceRoots: [at('traces')], sourceRoots: [at('evals'), at('cases')] });
    expect(scope.ignoredByVite(at('traces'))).toBe(true);
    expect(scope.ignoredByVite(at('traces', 'greet', 'alice', 'trace.json'))).toBe(true);
    expect(scope.ignoredByVite(at('traces-old', 'trace.json'))).toBe(false);
    expect(scope.ignoredByVite(at('evals', 'eval_x.mjs'))).toBe(false);
    expect(scope.ignoredByVite(root)).toBe(false);
    expect(scope.ignoredByLooplet(at('traces', 'greet'))).toBe(false);
  });

  it('ignores the report files wherever they are written, and nothing else of their directory', () => {
    const scope = watchScope({ traceRoots: [at('traces')], sourceRoots: [at('evals')] });
    expect(scope.ignoredByVite(at('out', 'looplet-report.json'))).toBe(true);
    expect(scope.ignoredByVite(at('out', 'looplet-junit.xml.4242.tmp'))).toBe(true);
    expect(scope.ignoredByVite(at('evals', 'looplet-report.html'))).toBe(true);
    expect(scope.ignoredByVite(at('evals', 'eval_x.mjs'))).toBe(false);
    expect(isReportFile(at('traces', 'looplet-report.md'))).toBe(true);
    expect(isReportFile(at('traces', 't1', 'trajectory.json'))).toBe(false);
    expect(isReportFile(at('traces', 'looplet-report-notes.txt'))).toBe(false);
  });

  it('matches a root given through a symbolic link by its real path too', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'looplet-watch-scope-'));
    try {
      mkdirSync(path.join(dir, 'project', 'traces'), { recursive: true });
      symlinkSync(path.join(dir, 'project'), path.join(dir, 'link'));
      const scope = watchScope({ traceRoots: [path.join(dir, 'link', 'traces')], sourceRoots: [] });
      expect(scope.ignoredByVite(path.join(dir, 'project', 'traces', 't1', 'trajectory.json'))).toBe(true);
      expect(scope.ignoredByVite(path.join(dir, 'link', 'traces', 't1', 'trajectory.json'))).toBe(true);
      expect(scope.ignoredByVite(path.join(dir, 'project', 'evals', 'eval_x.mjs'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves eval and case directories inside a traces root, and the directories above them, to vite', () => {
    const scope = watchScope({ traceRoots: [root], sourceRoots: [at('suite', 'evals')] });
    expect(scope.ignoredByVite(at('suite', 'evals', 'eval_x.mjs'))).toBe(false);
    expect(scope.ignoredByVite(at('suite'))).toBe(false);
    expect(scope.ignoredByVite(root)).toBe(false);
    expect(scope.ignoredByVite(at('suite', 'greet', 'trace.json'))).toBe(true);
    expect(scope.ignoredByLooplet(at('suite', 'evals'))).toBe(true);
    expect(scope.ignoredByLooplet(at('suite', 'evals', 'nested'))).toBe(true);
    expect(scope.ignoredByLooplet(at('suite'))).toBe(false);
  });
});
