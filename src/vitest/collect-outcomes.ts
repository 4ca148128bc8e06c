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

/** Reads looplet's outcomes and runs out of vitest's finished test modules. */
export function collectOutcomes({
  testModules,
  unhandledErrors,
}: {
  testModules: ReadonlyArray<TestModule>;
  unhandledErrors: ReadonlyArray<SerializedError>;
}): CollectedRun {
  const outcomes: EvalOutcome[] = [];
  const runs: RunRecord[] = [];
  const obsolete: string[] = [];
  const runErrors: InfrastructureError[] = [];
  const moduleFailures: ModuleFailure[] = [];
  for (const module of testModules) {
    for (const error of module.errors()) {
      const failure: ModuleFailure = { module: module.moduleId, message: error.message };
      if (typeof error.name === 'string') failure.name = error.name;
      moduleFailures.push(failure);
    }
    const fileMeta = loopletFileMeta(module.meta());
    if (fileMeta) {
      runs.push(...fileMeta.runs);
      obsolete.push(...fileMeta.obsolete);
      runErrors.push(...(fileMeta.errors ?? []));
    }
    for (const test of module.children.allTests()) {
      const outcome = loopletMeta(test.meta())?.outcome;
      if (outcome) outcomes.push(outcome);
    }
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
