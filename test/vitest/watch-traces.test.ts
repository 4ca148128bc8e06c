// How a watch session watches its traces: a kernel watch per directory, not per file (the system's
// watches are a budget every process of the user shares: out of them, a session died or stopped
// noticing edits), and a traces root anywhere, inside the project or not.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inotifyWatches } from '../../bench/support/inotify-watches.mjs';
import {
  breakTraceAndWait,
  CLI,
  GREETER_TRACES,
  greeterProject,
  recordGreeterTrace,
  startNode,
} from './support.js';

/** Files and directories under `dir`. */
function countEntries(dir: string): { files: number; dirs: number } {
  let files = 0;
  let dirs = 1;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isDirectory()) dirs++;
    else files++;
  return { files, dirs };
}

const outside: string[] = [];
afterAll(() => {
  for (const dir of outside) rmSync(dir, { recursive: true, force: true });
});

describe('looplet-eval --watch, watching traces', () => {
  it.runIf(process.platform === 'linux')(
    'holds a kernel watch per trace directory, not per file, and still re-runs on an edit',
    async () => {
      const project = await greeterProject();
      // More traces, so that watches per file and per directory differ by far more than the
      // handful the rest of the project (package.json, evals/) costs.
      for (let index = 0; index < 12; index++)
        await recordGreeterTrace({
          dir: path.join(project.dir, 'traces', 'more', `t${index}`),
          names: ['Ann'],
        });
      const traces = countEntries(path.join(project.dir, 'traces'));
      const allowed = traces.dirs + 20;
      expect(traces.files).toBeGreaterThan(allowed);
      const watch = project.start(['--watch']);
      try {
        await watch.waitFor(/^reports: /m);
        const watches = inotifyWatches(watch.child.pid!);
        expect(watches).toBeGreaterThanOrEqual(traces.dirs);
        expect(watches).toBeLessThan(allowed);
        expect(await breakTraceAndWait({ watch, traces: path.join(project.dir, 'traces') })).toContain(
          'greet/carol',
        );
      } finally {
        await watch.stop();
      }
    },
  );

  it('re-runs on an edit in a traces root outside the project', async () => {
    const project = await greeterProject();
    const shared = mkdtempSync(path.join(os.tmpdir(), 'looplet-shared-traces-'));
    outside.push(shared);
    for (const [id, names] of Object.entries(GREETER_TRACES))
      await recordGreeterTrace({ dir: path.join(shared, id), names });
    const watch = project.start(['--watch', '--traces', shared]);
    try {
      await watch.waitFor(/^reports: /m);
      expect(await breakTraceAndWait({ watch, traces: shared })).toContain('greet/carol');
    } finally {
      await watch.stop();
    }
  });

  it('under a hidden directory, with the report written into the traces root: no re-run loop, each edit and removal scored at once', async () => {
    const template = await greeterProject();
    const hidden = mkdtempSync(path.join(os.tmpdir(), '.looplet-hidden-'));
    outside.push(hidden);
    const dir = path.join(hidden, 'project');
    cpSync(template.dir, dir, { recursive: true, verbatimSymlinks: true });
    const watch = startNode({ cwd: dir, args: [CLI, '--watch', '--out', 'traces'] });
    try {
      await watch.waitFor(/^reports: /m);
      // Writing the report inside a traces root must not start another run.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(watch.output().match(/^reports: /gm)).toHaveLength(1);
      // The re-run sees the edit (the trace was re-recorded broken), not the trace as it was.
      expect(await breakTraceAndWait({ watch, traces: path.join(dir, 'traces') })).toMatch(
        /✗ \S+ › greet\/carol/,
      );
      const from = watch.output().length;
      rmSync(path.join(dir, 'traces', 'greet', 'dave-erin'), { recursive: true });
      await watch.waitFor(/^reports: /m, { from });
      expect(watch.output().slice(from)).toMatch(/greet\/dave-erin.*does not exist/);
    } finally {
      await watch.stop();
    }
  });
});
