// A watch session lets each run's tests go once a later run replaced them. vitest keeps every
// run's runner for as long as the runtime lives (a cancel callback it never removes); looplet's
// runner held its chunks — every task, result and plan of the run — so a session grew by 1–2 MB
// per re-run of 120 traces. Checked in the in-process pool, where the runner's tasks are the very
// objects reporters are handed: a reporter of the project holds each run's test cases weakly and,
// after a forced full collection, says how many of each run are still reachable.
import { describe, expect, it } from 'vitest';
import { CLI, greeterProject, startNode } from './support.js';

const REPORTER = `const runs = [];
export default class {
  onTestRunEnd(testModules) {
    runs.push(testModules.flatMap((module) => [...module.children.allTests()]).map((test) => new WeakRef(test)));
    // On a later turn: a WeakRef made or read in this one keeps its object until the turn ends.
    setTimeout(() => {
      globalThis.gc();
      const alive = runs.map((run) => run.filter((ref) => ref.deref() !== undefined).length);
      process.stdout.write('alive: ' + alive.join(' ') + '\\n');
    }, 0);
  }
}
`;

describe('looplet-eval --watch memory', () => {
  it("lets an earlier run's tests go once later runs replaced them (in-process pool)", async () => {
    const project = await greeterProject();
    project.write('alive-reporter.mjs', REPORTER);
    const watch = startNode({
      cwd: project.dir,
      args: ['--expose-gc', CLI, '--watch', '--reporter', './alive-reporter.mjs'],
      env: { LOOPLET_POOL: 'inline' },
    });
    try {
      const [, first] = await watch.waitFor(/^alive: (\d+)$/m);
      expect(Number(first)).toBeGreaterThan(0);
      const evals = project.read('evals/eval_greeter.ts');
      let alive: number[] = [];
      for (let rerun = 1; rerun <= 3; rerun++) {
        const from = watch.output().length;
        // An eval file's edit re-runs every chunk: each run's tests replace the last run's.
        project.write('evals/eval_greeter.ts', `${evals}\n// edit ${rerun}\n`);
        const [, counts] = await watch.waitFor(/^alive: ([\d ]+)$/m, { from });
        alive = counts!.split(' ').map(Number);
      }
      expect(alive).toHaveLength(4);
      // The two runs before the last two: nothing of theirs is reachable any more.
      expect(alive.slice(0, 2)).toEqual([0, 0]);
      expect(alive[3]).toBe(Number(first));
    } finally {
      await watch.stop();
    }
  });
});
