// `looplet/testing`: fast-check arbitraries and hook-composition laws. fast-check is a peer dependency.

export { arbitraries } from './arbitraries.js';
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
  type GeneratedMethod,
  type HookAnswer,
  type HookSpec,
  hookFromSpec,
} from './hook-spec.js';
export { SchemaArbitraryError } from './json-schema-arbitrary.js';
export type { HookLaw, LawContext, LawName } from './law.js';
export {
  type AbortPlan,
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
export type { HookSlot, LawScenario, ScenarioOptions } from './scenario.js';
export type { ScriptOptions, ScriptTurn } from './script-arbitraries.js';
export type { CallValidity, ToolShape } from './tool-arbitraries.js';
export {
  type CorruptedTraceSpec,
  corruptTrace,
  type OddValue,
  recordTrace,
  type TraceCorruption,
  type TraceRecipe,
  writeCorruptedTrace,
} from './trace-arbitraries.js';
