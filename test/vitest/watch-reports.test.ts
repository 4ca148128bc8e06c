// A watch re-run renders only the outcomes and runs of the chunks it scored again; the others'
// report text is kept from the last run (src/report/render-cache.ts). End to end through the built
// CLI, on both pools: after one trace changed, the four report files are the files a fresh run
// writes — only what a clock measured may differ.
import { cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  greeterProject,
  type LiveProcess,
  type Project,
  REPORT_JSON,
  REPORT_JUNIT,
  REPORT_MD,
  recordGreeterTrace,
} from './support.js';

const REPORT_HTML = '.looplet/report/looplet-report.html';

/** Re-records greet/carol (broken as told) in a watched project; the watch session's output of the re-run it causes. */
async function reRecordCarol(
  project: Project,
  watch: LiveProcess,
  broken: readonly string[],
): Promise<string> {
  const from = watch.output().length;
  await recordGreeterTrace({
    dir: path.join(project.dir, 'traces', 'greet', 'carol'),
    names: ['Carol'],
    broken,
  });
  await watch.waitFor(/^reports: /m, { from });
  return watch.output().slice(from);
}

/** The four report files, with durations and write times blanked. */
function reports(project: Project): Record<string, string> {
  const times = (text: string) =>
    text
      .replace(/"durationMs": ?[\d.e+-]+/g, '"durationMs":0')
      .replace(/"createdAt": ?"[^"]*"/g, '"createdAt":""');
  return {
    json: times(project.read(REPORT_JSON)),
    markdown: project.read(REPORT_MD),
    junit: project.read(REPORT_JUNIT).replace(/ time="[^"]*"/g, ' time=""'),
    html: times(project.read(REPORT_HTML)),
  };
}

describe('looplet-eval --watch reports', () => {
  for (const pool of ['threads', 'inline']) {
    it(`after one trace changed, are the reports a fresh run writes (${pool})`, async () => {
      const project = await greeterProject();
      const env = { LOOPLET_POOL: pool };
      // Two chunks: the change re-runs one, the other's outcomes are the last run's.
      const watch = project.start(['--watch', '--workers', '2'], { env });
      let watched: Record<string, string>;
      try {
        await watch.waitFor(/^reports: /m);
        expect(await reRecordCarol(project, watch, ['Carol'])).toContain(
          '✗ eval_no_tool_errors › greet/carol (required)',
        );
        watched = reports(project);
      } finally {
        await watch.stop();
      }
      const fresh = await project.run([], { env });
      expect(fresh.code).toBe(1); // the required eval fails on the changed trace
      const scratch = reports(project);
      expect(watched.json).toContain('"greet/carol"');
      for (const kind of ['json', 'markdown', 'junit', 'html'])
        expect(watched[kind], kind).toBe(scratch[kind]);
    });
  }

  it('with a baseline and hundreds of outcomes, after one trace changed, are the reports a fresh run writes', async () => {
    const project = await greeterProject();
    // 43 runs × 5 evals: the reports keep blocks of outcomes, and the change lands in one of them.
    for (let copy = 0; copy < 40; copy++)
      cpSync(
        path.join(project.dir, 'traces', 'greet', 'alice-bob'),
        path.join(project.dir, 'traces', 'greet', `copy-${String(copy).padStart(2, '0')}`),
        { recursive: true },
      );
    expect((await project.run(['baseline', 'update'])).code).toBe(0);
    const watch = project.start(['--watch', '--workers', '2']);
    let watched: Record<string, string>;
    try {
      await watch.waitFor(/^reports: /m);
      // Broken, mended, broken again: a new failure against the baseline, none, one again.
      await reRecordCarol(project, watch, ['Carol']);
      await reRecordCarol(project, watch, []);
      expect(await reRecordCarol(project, watch, ['Carol'])).toContain(
        '✗ eval_no_tool_errors › greet/carol (required)',
      );
      watched = reports(project);
    } finally {
      await watch.stop();
    }
    await project.run([]);
    const scratch = reports(project);
    expect(watched.html).toContain('"new-failure"');
    for (const kind of ['json', 'markdown', 'junit', 'html']) expect(watched[kind], kind).toBe(scratch[kind]);
  });
});
