import type { SerializedError, TestModule } from 'vitest/node';
import type { EvalOutcome } from '../evals/types.js';
import type { RunRecord } from '../report/run-record.js';
import type { InfrastructureError } from '../report/summary.js';
import { loopletFileMeta, loopletMeta } from './meta.js';

/** A chunk file (or another test module) that failed as a whole: an eval file that would not import, a crash. */
export interface ModuleFailure {
  module: string;
  message: string;
  /** The error's class name (`AgentScopeError`, `EvalImportError`…), when vitest kept it. */
  name?: string;
}

/** Everything a run produced, read back from vitest's test tree (live or merged from blob reports). */
export interface CollectedRun {
  outcomes: EvalOutcome[];
  /** Every run the chunks scored (replayed, recorded, scripted, live). */
  runs: RunRecord[];
  /** Trace ids no eval and no agent covers. */
  obsolete: string[];
  /** Failures the chunks reported that belong to no eval (unreadable traces). */
  runErrors: InfrastructureError[];
  moduleFailures: ModuleFailure[];
  /** Errors vitest caught outside any test (unhandled rejections in evals…). */
  unhandledErrors: string[];
}

/** What one test module holds, as {@link collectOutcomes} read it. */
interface ModuleResults {
  outcomes: EvalOutcome[];
  runs: RunRecord[];
  obsolete: string[];
  runErrors: InfrastructureError[];
  moduleFailures: ModuleFailure[];
}

/**
 * What each test module held when last read, for a watch session's report of every module: a
 * module not run again since is not walked again. {@link forget} the modules a run is about to run.
 */
export class CollectedModules {
  readonly #kept = new Map<string, { module: TestModule; results: ModuleResults }>();

  /** The module's results, read now unless it is the very module read last time and not forgotten since. */
  resultsOf(module: TestModule): ModuleResults {
    const kept = this.#kept.get(module.moduleId);
    if (kept?.module === module) return kept.results;
    const results = moduleResults(module);
    this.#kept.set(module.moduleId, { module, results });
    return results;
  }

  /** Forgets these modules (about to be run again). */
  forget(moduleIds: readonly string[]): void {
    for (const id of moduleIds) this.#kept.delete(id);
  }
}

/** Reads looplet's outcomes and runs out of vitest's finished test modules (through `kept`, in a watch session). */
export function collectOutcomes({
  testModules,
  unhandledErrors,
  kept,
}: {
  testModules: ReadonlyArray<TestModule>;
  unhandledErrors: ReadonlyArray<SerializedError>;
  kept?: CollectedModules;
}): CollectedRun {
  const outcomes: EvalOutcome[] = [];
  const runs: RunRecord[] = [];
  const obsolete: string[] = [];
  const runErrors: InfrastructureError[] = [];
  const moduleFailures: ModuleFailure[] = [];
  for (const module of testModules) {
    const results = kept ? kept.resultsOf(module) : moduleResults(module);
    // Pushed one by one: a module holds more outcomes than a call takes arguments.
    for (const outcome of results.outcomes) outcomes.push(outcome);
    for (const run of results.runs) runs.push(run);
    for (const id of results.obsolete) obsolete.push(id);
    for (const error of results.runErrors) runErrors.push(error);
    for (const failure of results.moduleFailures) moduleFailures.push(failure);
  }
  return {
    outcomes,
    // `--ui` scores each eval file on its own: every file that scored a run lists it.
    runs: [...new Map(runs.map((run) => [run.id, run])).values()],
    obsolete: [...new Set(obsolete)],
    runErrors: [...new Map(runErrors.map((error) => [JSON.stringify(error), error])).values()],
    moduleFailures,
    unhandledErrors: unhandledErrors.map((error) => error.message),
  };
}

function moduleResults(module: TestModule): ModuleResults {
  const results: ModuleResults = { outcomes: [], runs: [], obsolete: [], runErrors: [], moduleFailures: [] };
  for (const error of module.errors()) {
    const failure: ModuleFailure = { module: module.moduleId, message: error.message };
    if (typeof error.name === 'string') failure.name = error.name;
    results.moduleFailures.push(failure);
  }
  const fileMeta = loopletFileMeta(module.meta());
  if (fileMeta) {
    results.runs.push(...fileMeta.runs);
    results.obsolete.push(...fileMeta.obsolete);
    results.runErrors.push(...(fileMeta.errors ?? []));
  }
  for (const test of module.children.allTests()) {
    const outcome = loopletMeta(test.meta())?.outcome;
    if (outcome) results.outcomes.push(outcome);
  }
  return results;
}
