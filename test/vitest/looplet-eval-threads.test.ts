// Scoring threads started ahead of need (src/vitest/thread-reserve.ts), seen from the evals they
// run: the built CLI in temporary projects. An eval reports whether its thread was a spare
// (`workerData.looplet.spare`) and what the thread's environment holds.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createProject,
  type Project,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTrace,
  recordGreeterTraces,
} from './support.js';

const THREAD_EVAL = `import { workerData } from 'node:worker_threads';
export const eval_thread = () => ({
  score: 1,
  metrics: {
    spare: workerData?.looplet?.spare === true ? 1 : 0,
    probe: process.env.VITE_LOOPLET_PROBE === 'from-dotenv' ? 1 : 0,
    mode: process.env.VITEST_MODE === 'WATCH' ? 1 : 0,
  },
});
`;

interface ThreadMetrics {
  spare: number;
  probe: number;
  mode: number;
}

/** Each trace's thread metrics, from looplet-report.json. */
function threadMetrics(project: Project): Record<string, ThreadMetrics> {
  const report = project.json<{ outcomes: Array<{ name: string; context: string; metrics: ThreadMetrics }> }>(
    '.looplet/report/looplet-report.json',
  );
  return Object.fromEntries(
    report.outcomes.filter((outcome) => outcome.name === 'eval_thread').map((o) => [o.context, o.metrics]),
  );
}

async function threadProject(): Promise<Project> {
  const project = createProject({ files: { 'evals/eval_thread.mjs': THREAD_EVAL } });
  await recordGreeterTraces({ project });
  return project;
}

describe('looplet-eval scoring threads', () => {
  it('scores a run in threads started while vitest loads, with the options vitest gives its own', async () => {
    const project = await threadProject();
    const result = await project.run(['--workers', '2']);
    expect(result.code, result.output).toBe(0);
    const metrics = threadMetrics(project);
    expect(Object.keys(metrics).sort()).toEqual(['greet/alice-bob', 'greet/carol', 'greet/dave-erin']);
    for (const value of Object.values(metrics)) expect(value).toEqual({ spare: 1, probe: 0, mode: 0 });
  });

  it('starts a thread of its own when vitest asks for other options: the evals see vitest’s environment', async () => {
    const project = await threadProject();
    // vite reads .env into vitest's environment for its threads: the early guess cannot know it.
    project.write('.env', 'VITE_LOOPLET_PROBE=from-dotenv\n');
    const result = await project.run(['--workers', '2']);
    expect(result.code, result.output).toBe(0);
    for (const value of Object.values(threadMetrics(project)))
      expect(value).toEqual({ spare: 0, probe: 1, mode: 0 });
  });

  it('readies the next run’s thread in a watch session before anything changes', async () => {
    const project = await threadProject();
    const watch = project.start(['--watch', '--workers', '2']);
    try {
      await watch.waitFor(/^reports: /m);
      const from = watch.output().length;
      await recordGreeterTrace({
        dir: path.join(project.dir, 'traces', 'greet', 'carol'),
        names: ['Carol', 'Dan'],
      });
      await watch.waitFor(/^reports: /m, { from });
      const metrics = threadMetrics(project);
      expect(metrics['greet/carol']).toEqual({ spare: 1, probe: 0, mode: 1 });
      expect(Object.keys(metrics)).toHaveLength(3);
    } finally {
      await watch.stop();
    }
  });

  it('scores a watch re-run in the thread kept from the last run, reading again only what changed', async () => {
    const project = createProject({
      files: {
        'evals/helper.mjs': 'export const VERSION = 1;\n',
        'evals/eval_kept.mjs': KEPT_EVAL,
      },
    });
    await recordGreeterTraces({ project });
    const carolExpected = path.join(project.dir, 'traces', 'greet', 'carol', 'expected.json');
    writeFileSync(carolExpected, '{"mark": 1}\n');
    // One thread, so that each run's chunks are scored by the same one.
    const watch = project.start(['--watch', '--workers', '1']);
    const rerun = async (change: () => Promise<void> | void) => {
      const from = watch.output().length;
      await change();
      await watch.waitFor(/^reports: /m, { from });
      return keptMetrics(project);
    };
    try {
      await watch.waitFor(/^reports: /m);
      const first = keptMetrics(project);
      const thread = first['greet/carol']!.thread;
      expect(first['greet/carol']).toEqual({ thread, evaluated: 1, version: 1, mark: 1 });

      // A trace's file changed in place: the kept thread reads that trace again.
      const inPlace = await rerun(() => writeFileSync(carolExpected, '{"mark": 2}\n'));
      expect(inPlace['greet/carol']).toEqual({ thread, evaluated: 1, version: 1, mark: 2 });

      // A trace recorded again (its directory replaced): the same thread scores it, with the eval
      // module it already evaluated.
      const afterTrace = await rerun(() =>
        recordGreeterTrace({
          dir: path.join(project.dir, 'traces', 'greet', 'carol'),
          names: ['Carol', 'Dan'],
        }),
      );
      expect(afterTrace['greet/carol']).toEqual({ thread, evaluated: 1, version: 1, mark: 0 });

      // A module the eval imports changed: evaluated again, in the same thread.
      const afterHelper = await rerun(() => project.write('evals/helper.mjs', 'export const VERSION = 2;\n'));
      for (const value of Object.values(afterHelper))
        expect(value).toMatchObject({ thread, evaluated: 2, version: 2 });

      // The eval file itself changed.
      const afterEval = await rerun(() =>
        project.write('evals/eval_kept.mjs', KEPT_EVAL.replace('version: VERSION', 'version: VERSION * 10')),
      );
      for (const value of Object.values(afterEval))
        expect(value).toMatchObject({ thread, evaluated: 3, version: 20 });
    } finally {
      await watch.stop();
    }
  });

  it('keeps no thread an eval ended in a watch session: the next run is scored by a new one, then kept', async () => {
    const project = createProject({
      files: { 'evals/helper.mjs': 'export const VERSION = 1;\n', 'evals/eval_kept.mjs': KEPT_EVAL },
    });
    await recordGreeterTraces({ project });
    const carolExpected = path.join(project.dir, 'traces', 'greet', 'carol', 'expected.json');
    writeFileSync(carolExpected, '{"spin": true}\n');
    const watch = project.start(['--watch', '--workers', '1', '--timeout', '500']);
    const keptOutcomes = () =>
      project.json<ReportJson>(REPORT_JSON).outcomes.filter((outcome) => outcome.name === 'eval_kept');
    const rerun = async (expected: string) => {
      const from = watch.output().length;
      writeFileSync(carolExpected, expected);
      await watch.waitFor(/^reports: /m, { from });
      return keptOutcomes();
    };
    const threadOf = (outcomes: ReportJson['outcomes'], trace: string) =>
      (outcomes.find((outcome) => outcome.context === trace)?.metrics as { thread?: number } | undefined)
        ?.thread;
    try {
      await watch.waitFor(/^reports: /m);
      const first = keptOutcomes();
      expect(first.find((outcome) => outcome.context === 'greet/carol')?.error).toMatchObject({
        kind: 'timeout',
      });
      // The chunk went on in a thread started for it (it scored what the ended one had not sent).
      const replacement = threadOf(first, 'greet/dave-erin');
      expect(replacement).toBeDefined();

      const second = await rerun('{"mark": 2}\n');
      expect(second.map((outcome) => outcome.status)).toEqual(['passed', 'passed', 'passed']);
      const fresh = threadOf(second, 'greet/carol');
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(replacement);

      const third = await rerun('{"mark": 3}\n');
      expect(third.find((outcome) => outcome.context === 'greet/carol')?.metrics).toMatchObject({
        thread: fresh,
        mark: 3,
      });
    } finally {
      await watch.stop();
    }
  });
});

/** An eval reporting its thread, how often its module was evaluated there, and its helper's version. */
const KEPT_EVAL = `import { threadId } from 'node:worker_threads';
import { VERSION } from './helper.mjs';
globalThis.__loopletEvaluated = (globalThis.__loopletEvaluated ?? 0) + 1;
const evaluated = globalThis.__loopletEvaluated;
export const eval_kept = (ctx) => {
  if (ctx.expected?.spin) for (;;) {}
  return {
  score: 1,
  metrics: { thread: threadId, evaluated, version: VERSION, mark: ctx.expected?.mark ?? 0 },
  };
};
`;

function keptMetrics(
  project: Project,
): Record<string, { thread: number; evaluated: number; version: number }> {
  const report = project.json<{
    outcomes: Array<{
      name: string;
      context: string;
      metrics: { thread: number; evaluated: number; version: number };
    }>;
  }>('.looplet/report/looplet-report.json');
  return Object.fromEntries(
    report.outcomes.filter((outcome) => outcome.name === 'eval_kept').map((o) => [o.context, o.metrics]),
  );
}
