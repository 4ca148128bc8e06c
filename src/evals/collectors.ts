import type { LoopState } from '../core/state.js';
import type { RunResult } from '../loop/result.js';
import { errorMessage } from '../util/errors.js';
import type { CollectorError } from './types.js';

/**
 * A function of a run's final state whose result is merged into `ctx.artifacts`. Use it to look
 * at the world (re-run the tests, read the file the agent wrote) instead of trusting the agent's
 * own claim. May be async.
 *
 * @example
 * const collectReport: Collector = async () => ({ report_ok: existsSync('report.json') });
 */
export type Collector = (args: {
  state: LoopState;
  result: RunResult;
}) => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * Runs collectors in order and merges their objects (later keys win). A collector that throws or
 * returns something other than a plain object is recorded in `errors`; every eval on that run is
 * then reported as an error, so a broken collector can never produce a false pass.
 */
export async function runCollectors({
  collectors,
  state,
  result,
}: {
  collectors: readonly Collector[];
  state: LoopState;
  result: RunResult;
}): Promise<{ artifacts: Record<string, unknown>; errors: CollectorError[] }> {
  const artifacts: Record<string, unknown> = {};
  const errors: CollectorError[] = [];
  for (const [index, collector] of collectors.entries()) {
    const name = collector.name || `collectors[${index}]`;
    try {
      const output: unknown = await collector({ state, result });
      if (typeof output !== 'object' || output === null || Array.isArray(output)) {
        errors.push({
          collector: name,
          message: `returned ${Array.isArray(output) ? 'an array' : String(output)}; a collector returns an object whose keys become artifacts`,
        });
        continue;
      }
      Object.assign(artifacts, output);
    } catch (error) {
      errors.push({ collector: name, message: `threw: ${errorMessage(error)}` });
    }
  }
  return { artifacts, errors };
}
