import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestAnnotation } from 'vitest';
import type { EvalOutcome } from '../evals/types.js';
import type { RunRecord } from '../report/run-record.js';
import { errorMessage } from '../util/errors.js';

/**
 * Writes one run's own HTML page (its steps, how it was obtained, every eval's verdict on it)
 * under `<root>/.looplet/cache/runs/` and returns the annotation that attaches it to a test:
 * @vitest/ui shows it on each test of the run with a link to the page. `--ui` (and vitest run
 * through the config helper, for IDE plugins) only: the page re-reads the run's trace, which a CI
 * run or a terminal watch session has no use for.
 */
export async function runPageAnnotation({
  root,
  file,
  run,
  outcomes,
}: {
  root: string;
  /** The vitest file whose evals scored the run (under --ui each eval file scores its own). */
  file: string;
  run: RunRecord;
  outcomes: readonly EvalOutcome[];
}): Promise<() => TestAnnotation> {
  // Loaded on first use: the page renderer and its client bundle are not needed by CI runs.
  const { renderRunHtml } = await import('../report/html/run-page.js');
  const dir = path.join(root, '.looplet', 'cache', 'runs');
  await mkdir(dir, { recursive: true });
  // Ids are paths (`greet/alice`): flattened for a file name, with a hash so two never collide.
  const hash = createHash('sha256').update(`${file}\n${run.id}`).digest('hex').slice(0, 12);
  const page = path.join(dir, `${run.id.replace(/[^\w.-]+/g, '-').slice(0, 80)}-${hash}.html`);
  // A re-run may be writing the same page: replace it whole.
  const temporary = `${page}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, renderRunHtml({ record: run, outcomes, root }));
    await rename(temporary, page);
  } catch (error) {
    // The page is a view of the run, not a verdict on it: the tests keep their outcomes.
    const message = `run ${run.id}: its page could not be written: ${errorMessage(error)}`;
    return () => ({ type: 'looplet run', message });
  }
  const message = `run ${run.id}: ${run.steps} steps, ${run.endReason} (its steps, in one page)`;
  // vitest rewrites an annotation's attachment when it records it: a fresh one per test.
  return () => ({ type: 'looplet run', message, attachment: { path: page, contentType: 'text/html' } });
}
