// `looplet/testing`: fast-check arbitraries and hook-composition laws. fast-check is a peer dependency.

export { arbitraries } from './arbitraries.js';
export { firstDifference } from './difference.js';
export { associativityLaw, identityLaw } from './equivalence-laws.js';
export type { HookGenOptions } from './hook-arbitraries.js';
export {
  HOOK_LAWS,
  type HookLawsOptions,
  HookLawViolation,
  hookLaws,
  type LawFailure,
  lawProperty,
} from './hook-laws.js';
export {
  describeSpec,
  GENERATED_METHODS,
  type GeneratedMethod,
  type HookAnswer,
  type HookSpec,
  hookFromSpec,
} from './hook-spec.js';
export { SchemaArbitraryError } from './json-schema-arbitrary.js';
export type { HookLaw, LawContext, LawName } from './law.js';
export {
  type AbortPlan,
  defaultLawTools,
  type ExitMode,
  type HookSource,
  type Observation,
  observeRun,
  type RunEvent,
  type RunOutcome,
  type RunPlan,
} from './observe.js';
export {
  abortLaw,
  contextOrderLaw,
  firstBlockWinsLaw,
  loopEndOnceLaw,
  stopIsFinalLaw,
} from './run-laws.js';
export { describeScenario, type HookSlot, type LawScenario, type ScenarioOptions } from './scenario.js';
export type { ScriptOptions, ScriptTurn } from './script-arbitraries.js';
export { type CallValidity, type ToolShape, UNPARSEABLE_ARGS } from './tool-arbitraries.js';
export {
  type CorruptedTraceSpec,
  corruptTrace,
  type OddValue,
  recordTrace,
  TRACE_TASK,
  type TraceCorruption,
  type TraceRecipe,
  traceFiles,
  writeCorruptedTrace,
} from './trace-arbitraries.js';
