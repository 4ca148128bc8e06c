// On Node 22.1 and later looplet-eval turns on Node's module compile cache, in its scoring threads
// too (they get NODE_COMPILE_CACHE through the environment); NODE_DISABLE_COMPILE_CACHE=1 turns it
// off. Node 20 has no such cache: there the launcher leaves the environment alone.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { greeterProject, outcomeLines, type Project, REPORT_JSON, type ReportJson } from './support.js';

const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

// Each scoring thread says whether its code is compiled through the cache.
const CACHE_EVAL = `import module from 'node:module';
export const eval_compile_cache = () => module.getCompileCacheDir?.() !== undefined;
`;

describe('looplet-eval and Node’s module compile cache', () => {
  let project: Project;
  beforeAll(async () => {
    project = await greeterProject();
    project.write('evals/eval_cache.mjs', CACHE_EVAL);
  }, 120_000);

  const cacheOutcomes = (report: ReportJson) =>
    outcomeLines(report).filter((line) => line.startsWith('eval_compile_cache'));

  it.runIf(hasCompileCache)('keeps compiled code on disk, for the scoring threads too', async () => {
    // Where Node puts the cache when nothing says: the system's temporary directory.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'looplet-compile-cache-'));
    onTestFinished(() => rmSync(tmp, { recursive: true, force: true }));
    const run = await project.run(['--fail-on', 'never'], { env: { TMPDIR: tmp } });
    expect(run.code, run.output).toBe(0);
    const outcomes = cacheOutcomes(project.json<ReportJson>(REPORT_JSON));
    expect(outcomes.length).toBeGreaterThan(0);
    for (const line of outcomes) expect(line).toMatch(/: passed( 1)?$/);
    expect(readdirSync(path.join(tmp, 'node-compile-cache')).length).toBeGreaterThan(0);
  });

  it('leaves the environment alone when the cache is off (NODE_DISABLE_COMPILE_CACHE=1, or Node 20)', async () => {
    const run = await project.run(['--fail-on', 'never'], { env: { NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(run.code, run.output).toBe(0);
    const outcomes = cacheOutcomes(project.json<ReportJson>(REPORT_JSON));
    expect(outcomes.length).toBeGreaterThan(0);
    for (const line of outcomes) expect(line).toMatch(/: failed( 0)?$/);
  });
});
