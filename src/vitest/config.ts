import path from 'node:path';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import type { ScoringOptions } from './plan.js';
import { LOOPLET_DIST, planRun, RUNNER_PATH } from './plan-run.js';
import { loopletPool } from './pool.js';

/** The options of {@link loopletProject}. */
export interface LoopletProjectOptions {
  /** Project root (default: `process.cwd()`). */
  root?: string;
  /** Eval files or directories (default `evals`). */
  evals?: readonly string[];
  /** Trace directories (default `traces`). */
  traces?: readonly string[];
  scoring?: Partial<ScoringOptions>;
  /** Name of the vitest project (default `looplet`). */
  name?: string;
}

/**
 * A vitest project that runs looplet evals, for projects that keep their own
 * `vitest.config.ts`. It scores exactly what `looplet-eval` scores (same planning, runner and
 * test names); add `LoopletReporter` to `reporters` for the eval report, baseline and exit code.
 *
 * @example
 * // vitest.config.ts
 * import { defineConfig } from 'vitest/config';
 * import { LoopletReporter, loopletProject } from 'looplet/vitest';
 * export default defineConfig({
 *   test: {
 *     projects: [{ test: { name: 'unit', include: ['test/**\/*.test.ts'] } }, await loopletProject()],
 *     reporters: ['default', new LoopletReporter()],
 *   },
 * });
 */
export async function loopletProject(
  options: LoopletProjectOptions = {},
): Promise<TestProjectInlineConfiguration> {
  const root = path.resolve(options.root ?? process.cwd());
  const plan = await planRun({
    cwd: root,
    ...(options.evals ? { evals: options.evals } : {}),
    ...(options.traces ? { traces: options.traces } : {}),
    // Annotations are what the UI and IDEs show; in a config-file setup those are the usual readers.
    scoring: { ...options.scoring, annotate: true },
    // A fixed directory: vitest runs (and re-runs, in watch mode) these files after this returns.
    cacheDir: path.join(root, '.looplet', 'cache', 'run-vitest-config'),
  });
  return {
    test: {
      name: options.name ?? 'looplet',
      root,
      include: plan.entries.map((entry) => path.relative(root, entry).split(path.sep).join('/')),
      runner: RUNNER_PATH,
      server: { deps: { external: [LOOPLET_DIST] } },
      // vitest's thread worker in threads looplet supervises: an eval that hangs or runs out of
      // memory costs its own result, not the run.
      pool: loopletPool(),
      isolate: false,
    },
  };
}
