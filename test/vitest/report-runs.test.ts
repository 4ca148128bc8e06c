// The runs a scoring thread embeds for the HTML report: in a watch session a thread scores the
// very trace objects again while their files do not change (trace-cache.ts), and sends each run
// once; the reporter keeps a run until a file under its trace changes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportRunCollector, sendReportRuns, shareReportRun } from '../../src/vitest/report-runs.js';
import { clearTraceCache, openCachedTrace } from '../../src/vitest/trace-cache.js';
import { noteChangedFile } from '../../src/vitest/watch-changes.js';
import { recordGreeterTrace } from './support.js';

/** Waits until the collector holds `count` runs, or a little while (messages come asynchronously). */
async function settle(collector: ReportRunCollector, count: number): Promise<void> {
  for (let tries = 0; tries < 50 && collector.runs.size !== count; tries++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  // Long enough for a message that should not come to arrive.
  await new Promise((resolve) => setTimeout(resolve, 30));
}

describe('report runs in a watch session', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'looplet-report-runs-'));
    clearTraceCache();
  });
  afterEach(() => {
    clearTraceCache();
    rmSync(root, { recursive: true, force: true });
  });

  it('are sent once per trace read, and kept until a file of their trace changes', async () => {
    const alice = path.join(root, 'alice');
    const bob = path.join(root, 'bob');
    await recordGreeterTrace({ dir: alice, names: ['Alice'] });
    await recordGreeterTrace({ dir: bob, names: ['Bob'] });
    const collector = new ReportRunCollector();

    for (const dir of [alice, bob]) shareReportRun(openCachedTrace(dir));
    sendReportRuns();
    await settle(collector, 2);
    const first = new Map(collector.runs);
    expect([...first.keys()].sort()).toEqual([alice, bob]);

    // Scored again, unchanged: nothing is embedded or sent again.
    collector.runs.clear();
    for (const dir of [alice, bob]) shareReportRun(openCachedTrace(dir));
    sendReportRuns();
    await settle(collector, 0);
    expect(collector.runs.size).toBe(0);
    for (const [dir, run] of first) collector.runs.set(dir, run);

    // Alice re-recorded: her run is dropped at the next run's start, then sent anew; Bob's stays.
    await recordGreeterTrace({ dir: alice, names: ['Alice', 'Ann'] });
    noteChangedFile(path.join(alice, 'trace.json'));
    collector.forgetChanged([path.join(alice, 'trace.json')]);
    expect([...collector.runs.keys()]).toEqual([bob]);
    for (const dir of [alice, bob]) shareReportRun(openCachedTrace(dir));
    sendReportRuns();
    await settle(collector, 2);
    expect(collector.runs.get(bob)).toBe(first.get(bob));
    expect(collector.runs.get(alice)?.json).not.toBe(first.get(alice)?.json);
    expect(collector.runs.get(alice)?.json).toContain('Ann');
  });
});
