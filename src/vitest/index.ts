// `looplet/vitest`: what a project imports to run looplet evals through vitest: the project and
// reporter for its own vitest.config.ts, and expectEvals for a test file. The runner vitest loads
// (`looplet/vitest/runner`) is not API.
export { type LoopletProjectOptions, loopletProject } from './config.js';
export { EvalsFailedError, type ExpectEvalsOptions, expectEvals } from './expect-evals.js';
export type { ScoringOptions, TraceRef } from './plan.js';
export { PlanError } from './plan-run.js';
export { type FinishedRun, LoopletReporter, type LoopletReporterOptions } from './reporter.js';
export { NetworkDisabledError } from './sandbox.js';
