import type { RunnerTestCase, TestAnnotation } from 'vitest';
import type { ScopedAgent } from '../evals/agent.js';
import type { EvalCase } from '../evals/cases.js';
import type { SelectedEval } from '../evals/marks.js';
import type { EvalDefinition, EvalOutcome } from '../evals/types.js';
import { describeOutcome } from '../report/format.js';
import { diffCommand, divergencePlace, divergenceWhere, type RunRecord } from '../report/run-record.js';
import { replayTestName, setLoopletMeta } from './meta.js';

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
  /** The agent whose scope covers the id, if any. */
  agent?: ScopedAgent;
  /** The case, parsed when the chunk was collected (undefined for traces, or when it failed to parse). */
  testCase?: EvalCase;
  /** `replay › id`, for a trace (or a case with a trace) replayed through its agent. */
  replayTest?: RunnerTestCase;
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
  kind: 'trace' | 'agent';
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
  const summary =
    outcome.status === 'diverged'
      ? `not scored: the replay of ${outcome.context} diverged (see ${replayTestName(outcome.context)}): ${outcome.reason ?? ''}`
      : `${outcome.status}${outcome.required ? ' (required)' : ''}: ${describeOutcome(outcome)}`;
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
    case 'diverged':
      test.result = { ...base, state: 'fail', errors: [{ name: 'ReplayDiverged', message: summary }] };
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
  // Named by run: under --ui the Code tab lists every run's annotation beside the eval.
  return { type: 'looplet', message: `${outcome.context}: ${summary}` };
}

/**
 * Sets the `replay › id` test from its run: it passes when the replay matched the recording
 * (lenient warnings go in the annotation), and fails with what changed and the whole diff when
 * it diverged — what `--ui` and `--reporter verbose` show on the test. Returns the annotation.
 */
export function applyRun({
  test,
  run,
  startTime,
  duration,
}: {
  test: RunnerTestCase;
  run: RunRecord;
  startTime: number;
  duration: number;
}): TestAnnotation {
  setLoopletMeta(test.meta, { run });
  const base = { startTime, duration };
  const divergence = run.replay?.diverged;
  const warnings = run.replay?.warnings ?? [];
  if (run.error) {
    const message = `${run.error.kind} error: ${run.error.message}`;
    test.result = { ...base, state: 'fail', errors: [{ name: 'ReplayError', message }] };
    return { type: 'looplet', message };
  }
  if (divergence) {
    const command = diffCommand(run);
    const message = [
      `diverged ${divergenceWhere(run)}`,
      ...divergence.summary.map((line) => `  ${line}`),
      ...(command ? [`see: ${command}`] : []),
      '',
      divergence.diff,
    ].join('\n');
    test.result = { ...base, state: 'fail', errors: [{ name: 'ReplayDiverged', message }] };
    return { type: 'looplet', message };
  }
  test.result = { ...base, state: 'pass' };
  const how = `replayed (${run.replay?.mode ?? 'strict'}, ${run.replay?.check ?? 'request'} check): ${run.steps} steps, ${run.endReason}`;
  const message =
    warnings.length === 0
      ? how
      : [
          `${how}; ${warnings.length} warning${warnings.length === 1 ? '' : 's'}:`,
          ...warnings.map((warning) => `  ${divergencePlace(run, warning)}: ${warning.summary.join('; ')}`),
        ].join('\n');
  return { type: 'looplet', message };
}
