// `looplet/vitest`: run looplet evals through vitest — programmatically (what `looplet-eval` does)
// or from a project's own vitest.config.ts.
export { type LoopletProjectOptions, loopletProject } from './config.js';
export { MissingAgentError } from './errors.js';
export { EvalsFailedError, type ExpectEvalsOptions, expectEvals } from './expect-evals.js';
export { type LoopletTaskMeta, loopletMeta, testName } from './meta.js';
export { CHUNK_SUFFIX, type ScoringOptions, type TraceRef } from './plan.js';
export { PlanError } from './plan-run.js';
export { type FinishedRun, LoopletReporter, type LoopletReporterOptions } from './reporter.js';
export { type LoopletEvalOptions, type LoopletEvalRun, runLoopletEval } from './run-evals.js';
export {
  FROZEN_TIME,
  installSandbox,
  NetworkDisabledError,
  type Sandbox,
  type SandboxSubject,
} from './sandbox.js';
