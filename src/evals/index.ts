// The public surface of `looplet/evals`: EvalContext, eval discovery, scoring, marks, cases,
// collectors, judges, and (from src/report) run summaries, baselines and reports.
// Nothing here imports vitest: the runner in src/vitest builds on it.

export * from '../report/index.js';
export {
  type AgentDefinition,
  type AgentFactory,
  type CaseInfo,
  type DefineAgentOptions,
  defineAgent,
} from './agent.js';
export { type CaseRun, type RunCaseOptions, runCase } from './case-runner.js';
export { CASE_SCHEMA } from './case-schema.js';
export {
  type CaseTurn,
  type EvalCase,
  loadCases,
} from './cases.js';
export type { Collector } from './collectors.js';
export {
  type ContextFromRunOptions,
  type ContextFromTraceOptions,
  contextFromRun,
  contextFromTrace,
} from './context.js';
export type { EvalsInput } from './definitions.js';
export {
  type DiscoverEvalsOptions,
  discoverEvals,
  findEvalFiles,
  type ImportModule,
} from './discover.js';
export {
  AgentScopeError,
  CaseFileError,
  CaseRunError,
  DuplicateEvalError,
  EvalDefinitionError,
  EvalImportError,
  EvalPathError,
  type ImportFailure,
  JudgeAnswerError,
  JudgeNotConfiguredError,
} from './errors.js';
export { type EvalHook, type EvalHookOptions, evalHook } from './hook.js';
export {
  createJudge,
  type Judge,
  type JudgeScore,
  type JudgeScoreArgs,
} from './judge.js';
export {
  type MarkOptions,
  mark,
  type SelectedEval,
  selectEvals,
} from './marks.js';
export {
  effectiveThreshold,
  type RunEvalOptions,
  type RunEvalsOptions,
  runEval,
  runEvals,
} from './run.js';
export {
  type CaseData,
  type CaseFormat,
  type SaveCaseOptions,
  type SaveCasesOptions,
  saveCase,
  saveCases,
} from './save-cases.js';
export { type FormatTranscriptOptions, formatTranscript } from './transcript.js';
export type {
  CaseMode,
  CollectorError,
  EvalContext,
  EvalDefinition,
  EvalErrorInfo,
  EvalFunction,
  EvalMarks,
  EvalOutcome,
  EvalResult,
  EvalSource,
  EvalStatus,
  EvalToolCall,
  EvalTools,
  ReplayCheck,
  ReplayDivergence,
  RunOrigin,
} from './types.js';
