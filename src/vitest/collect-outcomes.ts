import type { SerializedError, TestModule } from 'vitest/node';
import type { EvalOutcome } from '../evals/types.js';
import { loopletMeta } from './meta.js';

/** A chunk file (or another test module) that failed as a whole: an eval file that would not import, a crash. */
export interface ModuleFailure {
  module: string;
  message: string;
}

/** Everything a run produced, read back from vitest's test tree (live or merged from blob reports). */
export interface CollectedRun {
  outcomes: EvalOutcome[];
  moduleFailures: ModuleFailure[];
  /** Errors vitest caught outside any test (unhandled rejections in evals…). */
  unhandledErrors: string[];
}

/** Reads looplet's outcomes out of vitest's finished test modules. */
export function collectOutcomes({
  testModules,
  unhandledErrors,
}: {
  testModules: ReadonlyArray<TestModule>;
  unhandledErrors: ReadonlyArray<SerializedError>;
}): CollectedRun {
  const outcomes: EvalOutcome[] = [];
  const moduleFailures: ModuleFailure[] = [];
  for (const module of testModules) {
    for (const error of module.errors())
      moduleFailures.push({ module: module.moduleId, message: error.message });
    for (const test of module.children.allTests()) {
      const meta = loopletMeta(test.meta());
      if (meta) outcomes.push(meta.outcome);
    }
  }
  return { outcomes, moduleFailures, unhandledErrors: unhandledErrors.map((error) => error.message) };
}
