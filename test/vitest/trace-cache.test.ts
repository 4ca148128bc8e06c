// The watch session's trace cache: a re-run reads again only the traces that changed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearTraceCache, openCachedTrace } from '../../src/vitest/trace-cache.js';
import { noteChangedFile } from '../../src/vitest/watch-changes.js';
import { recordGreeterTrace } from './support.js';

describe('openCachedTrace', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'looplet-trace-cache-'));
    clearTraceCache();
  });
  afterEach(() => {
    clearTraceCache();
    rmSync(root, { recursive: true, force: true });
  });

  it('does not read an unchanged trace again, steps included', async () => {
    const dir = path.join(root, 'alice');
    await recordGreeterTrace({ dir, names: ['Alice'] });
    const first = openCachedTrace(dir);
    const step = first.readStep(1);
    // Overwritten in place, unreported: a second read would fail on this.
    writeFileSync(path.join(dir, 'trace.json'), '{ not json');
    writeFileSync(path.join(dir, 'steps', '0001.json'), '{ not json');
    const again = openCachedTrace(dir);
    expect(again).toBe(first);
    expect(again.readStep(1)).toBe(step);
  });

  it('reads a trace again when the watcher reports one of its files', async () => {
    const dir = path.join(root, 'alice');
    await recordGreeterTrace({ dir, names: ['Alice'], expected: { greeted: ['Alice'] } });
    const other = path.join(root, 'bob');
    await recordGreeterTrace({ dir: other, names: ['Bob'] });
    const before = openCachedTrace(dir);
    const untouched = openCachedTrace(other);
    expect(before.expected).toEqual({ greeted: ['Alice'] });
    writeFileSync(path.join(dir, 'expected.json'), '{ "greeted": ["Alice", "Zoe"] }\n');
    noteChangedFile(path.join(dir, 'expected.json'));
    const after = openCachedTrace(dir);
    expect(after).not.toBe(before);
    expect(after.expected).toEqual({ greeted: ['Alice', 'Zoe'] });
    expect(openCachedTrace(other)).toBe(untouched);
  });

  it('reads a re-recorded trace again even when no change was reported', async () => {
    const dir = path.join(root, 'alice');
    await recordGreeterTrace({ dir, names: ['Alice'] });
    const before = openCachedTrace(dir);
    // A flush replaces the whole directory (a new one renamed into place).
    await recordGreeterTrace({ dir, names: ['Alice', 'Bob'] });
    const after = openCachedTrace(dir);
    expect(after).not.toBe(before);
    expect(after.meta.task).toEqual({ goal: 'Greet Alice and Bob' });
  });
});
