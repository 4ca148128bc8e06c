// The two places looplet-eval scores chunks — the main process (LOOPLET_POOL=inline, and watch
// sessions) and supervised worker threads (the default) — must give the same reports,
// with filters and shards as well: only measured times may differ.
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { greeterProject, type Project, REPORT_JSON, REPORT_JUNIT, REPORT_MD } from './support.js';

const PYTHON_TRACE = fileURLToPath(new URL('../../traces/python-report', import.meta.url));

/** The report files with what a clock measured (durations, write times) blanked out. */
function reports(project: Project, output: string): Record<string, string> {
  const read = (file: string) => readFileSync(path.join(project.dir, file), 'utf8');
  return {
    json: read(REPORT_JSON)
      .replace(/"durationMs": [\d.e+-]+/g, '"durationMs": 0')
      .replace(/"createdAt": "[^"]*"/g, '"createdAt": ""'),
    markdown: read(REPORT_MD),
    junit: read(REPORT_JUNIT).replace(/ (time|timestamp)="[^"]*"/g, ' $1=""'),
    // vitest's verbose reporter: every test with its state, then the summary (times cut).
    // Threads finish chunks in any order: the lines are compared as a set.
    verbose: output
      .replace(/ \d+(\.\d+)?m?s\b/g, '')
      .replace(/^ *(Start at|Duration) .*$/gm, '')
      .split('\n')
      .sort()
      .join('\n'),
  };
}

describe('in the main process and in worker threads', () => {
  let project: Project;

  beforeAll(async () => {
    project = await greeterProject({ broken: ['dave'] });
    cpSync(PYTHON_TRACE, path.join(project.dir, 'traces', 'python'), { recursive: true });
  });

  for (const args of [[], ['-t', 'greet'], ['--shard', '2/2'], ['--include', 'smoke']]) {
    it(`give the same reports (${args.join(' ') || 'all'})`, async () => {
      const flags = [...args, '--reporter', 'verbose'];
      const results: Array<Record<string, string>> = [];
      const codes: Array<number | null> = [];
      for (const pool of ['inline', 'threads']) {
        const run = await project.run(flags, { env: { LOOPLET_POOL: pool } });
        codes.push(run.code);
        results.push(reports(project, run.stdout));
      }
      const [inline, threads] = results;
      // The broken trace is an infrastructure error (exit 3) on both paths.
      expect(codes[0]).toBe(codes[1]);
      expect(inline!.json).toContain('"outcomes"');
      expect(inline!.verbose).toMatch(/[✓×] .* › /);
      for (const kind of ['json', 'markdown', 'junit', 'verbose'])
        expect(inline![kind], kind).toBe(threads![kind]);
    });
  }
});
