// A watch session over files that came from a pull request: symbolic links inside a trace (a
// loop, a link to the file system's root, a dangling one) must neither crash the session nor
// make a file watcher walk outside the project; a watcher's error elsewhere (a link loop among
// the eval files) is a warning, not the end of the session; edits to real traces still re-run.
import { rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakTraceAndWait, greeterProject } from './support.js';

describe('looplet-eval --watch on traces holding symbolic links', () => {
  it('keeps watching: no crash, no walk through the links, and an edited trace re-runs', async () => {
    const project = await greeterProject();
    const hostile = path.join(project.dir, 'traces', 'greet', 'carol');
    symlinkSync('..', path.join(hostile, 'loop'));
    symlinkSync('/', path.join(hostile, 'root'));
    symlinkSync('/nonexistent', path.join(hostile, 'dangling'));
    const watch = project.start(['--watch']);
    try {
      await watch.waitFor(/^reports: /m);
      // Long enough for the watcher to have followed a link, had it done so.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const traces = path.join(project.dir, 'traces');
      expect(await breakTraceAndWait({ watch, traces, id: 'greet/dave-erin' })).toContain('greet/dave-erin');
      expect(watch.output()).not.toMatch(/Unhandled|ELOOP/);
      expect(watch.child.exitCode).toBeNull();
    } finally {
      await watch.stop();
    }
  });

  it('survives a file watcher error (a link loop among the eval files) and re-runs', async () => {
    const project = await greeterProject();
    symlinkSync('b', path.join(project.dir, 'evals', 'a'));
    symlinkSync('a', path.join(project.dir, 'evals', 'b'));
    const watch = project.start(['--watch']);
    try {
      await watch.waitFor(/^reports: /m);
      // Long enough for vite's watcher to have walked evals/ (it reports the loop as an error on
      // most walks, not all: which of its paths stats a link first varies).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await breakTraceAndWait({ watch, traces: path.join(project.dir, 'traces') })).toContain(
        'greet/carol',
      );
      expect(watch.output()).not.toMatch(/Unhandled/);
      // When the error came, it was said once, naming the link.
      expect(watch.output().match(/cannot watch/g)?.length ?? 0).toBeLessThanOrEqual(1);
      if (watch.output().includes('cannot watch'))
        expect(watch.output()).toMatch(/cannot watch evals[/\\][ab]: ELOOP/);
      expect(watch.child.exitCode).toBeNull();
    } finally {
      await watch.stop();
    }
  });

  it('a trace swapped for a link to / while the session runs is refused, not read or walked through', async () => {
    const project = await greeterProject();
    const watch = project.start(['--watch']);
    try {
      await watch.waitFor(/^reports: /m);
      const from = watch.output().length;
      const carol = path.join(project.dir, 'traces', 'greet', 'carol');
      rmSync(carol, { recursive: true });
      symlinkSync('/', carol);
      await watch.waitFor(/^reports: /m, { from });
      const rerun = watch.output().slice(from);
      expect(rerun).toMatch(/greet\/carol.*is now a symbolic link/);
      expect(rerun).not.toMatch(/while evals ran/);
    } finally {
      await watch.stop();
    }
  });
});
