import type { RunnerTestCase, RunnerTestFile, TestAnnotation } from 'vitest';
import type { SelectedEval } from '../evals/marks.js';
import type { EvalDefinition, EvalOutcome } from '../evals/types.js';
import { describeOutcome } from '../report/format.js';
import { setLoopletMeta, testName } from './meta.js';

/** What a group of tests scores: one trace, or one case (run through the agent first). */
export type ContextSource =
  | { kind: 'trace'; id: string; dir: string }
  | { kind: 'case'; id: string; file: string };

/** One registered test: which eval it runs. */
export interface PlannedTest {
  test: RunnerTestCase;
  selected: SelectedEval;
}

/** The tests of one trace or case, scored together (the context is built once). */
export interface TestGroup {
  source: ContextSource;
  tests: PlannedTest[];
}

/**
 * Creates a vitest test task directly. Vitest's `test()` captures a stack trace per call for the
 * test's location; at thousands of traces that, not scoring, would dominate the run — and eval ×
 * trace tests have no source location of their own anyway.
 */
export function createTest({
  file,
  choice,
  contextId,
  timeout,
}: {
  file: RunnerTestFile;
  choice: SelectedEval;
  contextId: string;
  timeout: number;
}): RunnerTestCase {
  const name = testName({ evalName: choice.eval.name, contextId });
  const skip = choice.eval.marks.skip !== undefined && !choice.eval.marks.required;
  return {
    id: '',
    name,
    fullName: `${file.name} > ${name}`,
    fullTestName: name,
    suite: file,
    file,
    type: 'test',
    mode: skip ? 'skip' : 'run',
    meta: Object.create(null),
    annotations: [],
    artifacts: [],
    tags: [],
    timeout,
    retry: 0,
    context: undefined,
  } as unknown as RunnerTestCase;
}

/** The outcome of an eval that could not run because its trace or case could not be loaded or run. */
export function sourceErrorOutcome({
  definition,
  source,
  kind,
  message,
  errorName,
}: {
  definition: EvalDefinition;
  source: ContextSource;
  kind: 'trace' | 'agent' | 'replay';
  message: string;
  errorName?: string;
}): EvalOutcome {
  return {
    name: definition.name,
    context: source.id,
    status: 'error',
    metrics: {},
    details: {},
    error: { kind, message, ...(errorName ? { name: errorName } : {}) },
    required: definition.marks.required,
    tags: [...definition.marks.tags],
    threshold: definition.marks.threshold ?? 0.5,
    durationMs: 0,
  };
}

/** Sets a test's result and meta from an outcome; returns the annotation that describes it. */
export function applyOutcome({
  test,
  outcome,
  startTime,
}: {
  test: RunnerTestCase;
  outcome: EvalOutcome;
  startTime: number;
}): TestAnnotation {
  // Meta crosses to the main process for every test: the outcome only (the context id names the source).
  setLoopletMeta(test.meta, { outcome });
  const summary = `${outcome.status}${outcome.required ? ' (required)' : ''}: ${describeOutcome(outcome)}`;
  const base = { startTime, duration: outcome.durationMs };
  switch (outcome.status) {
    case 'passed':
    case 'reported':
      test.result = { ...base, state: 'pass' };
      break;
    case 'skipped':
      test.mode = 'skip';
      test.result = { ...base, state: 'skip' };
      break;
    case 'failed':
      test.result = { ...base, state: 'fail', errors: [{ name: 'EvalFailure', message: summary }] };
      break;
    case 'error': {
      const error = outcome.error;
      const serialized = {
        name: error?.name ?? 'EvalError',
        message: summary,
        ...(error?.stack ? { stack: error.stack } : {}),
      };
      test.result = { ...base, state: 'fail', errors: [serialized] };
      break;
    }
  }
  return { type: 'looplet', message: summary };
}
