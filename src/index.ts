// The public surface of `looplet`. Sub-entry points: `looplet/evals`, `looplet/vitest`, `looplet/testing`.

export { canonicalJson } from './core/canonical-json.js';
export type { LLMBackend, LLMRequest, LLMResponse, ToolSpec } from './core/llm.js';
export type { JsonSchema, ParameterSchema } from './core/schema.js';
export type { LoopState, Tool, ToolContext } from './core/state.js';
export { Step, type StepData } from './core/step.js';
export {
  type Clock,
  END_REASONS,
  type EndReason,
  type IdGenerator,
  type Message,
  type Task,
  type ToolCall,
  type ToolError,
  type ToolResult,
  type Usage,
} from './core/types.js';
export { AnthropicBackend, type AnthropicBackendOptions } from './llm/anthropic.js';
export type { CallLimits } from './llm/call-limits.js';
export {
  LLMConfigError,
  LLMError,
  type LLMErrorCode,
  LLMRefusalError,
  LLMResponseError,
  MissingEnvError,
} from './llm/errors.js';
export { OpenAIBackend, type OpenAIBackendOptions, PLACEHOLDER_API_KEY } from './llm/openai.js';
export {
  ScriptExhaustedError,
  ScriptedLLM,
  type ScriptedTurn,
  ScriptIncompleteError,
} from './llm/scripted.js';
export {
  parseTextToolCalls,
  type TextToolCall,
  type TextToolCallsOptions,
  textToolCalls,
} from './llm/text-tool-calls.js';
export { type AgentRun, agentLoop, LoopConfigError } from './loop/agent-loop.js';
export {
  type BudgetStatus,
  type BudgetWarningOptions,
  type StepBudgetOptions,
  stepBudget,
  type TokenBudgetOptions,
  tokenBudget,
} from './loop/builtin/budget.js';
export {
  CompactionError,
  type CompactionInput,
  type CompactionOptions,
  type CompactionStrategy,
  type CompactionStrategyFn,
  compaction,
  estimateTokens,
  type TokenEstimator,
} from './loop/builtin/compaction.js';
export {
  DEFAULT_SUMMARY_PROMPT,
  type KeepLastOptions,
  type NamedStrategy,
  type PruneToolResultsOptions,
  pruneToolResults,
  SUMMARY_HEADER,
  type SummarizeOptions,
  summarize,
  truncate,
} from './loop/builtin/compaction-strategies.js';
export { type ConsoleTracerOptions, consoleTracer } from './loop/builtin/console-tracer.js';
export {
  type ConversationParts,
  conversationChars,
  splitConversation,
  toolPairingProblem,
} from './loop/builtin/conversation.js';
export { HookConfigError } from './loop/builtin/errors.js';
export {
  type ApprovalAnswer,
  type Approver,
  type PermissionDefault,
  type PermissionOptions,
  type PermissionRequest,
  type PermissionRule,
  permissionHook,
} from './loop/builtin/permission.js';
export { composeHooks } from './loop/compose-hooks.js';
export {
  allow,
  block,
  deny,
  type HookDecision,
  inject,
  isNoop,
  mergeDecisions,
  normalizeDecision,
  stop,
  updateArgs,
  updateResult,
} from './loop/decision.js';
export {
  DECISION_METHODS,
  type DecisionMethod,
  HOOK_METHODS,
  type Hook,
  HookError,
  type HookReturn,
} from './loop/hooks.js';
export type { AgentLoopOptions } from './loop/options.js';
export { DEFAULT_SYSTEM_PROMPT, formatTask } from './loop/prompt.js';
export type { RunResult } from './loop/result.js';
export { defaultClock, fixedClock, randomIds, sequentialIds } from './loop/runtime.js';
export { diffTraces, type TraceDifference } from './provenance/diff.js';
export {
  RecordedLLMError,
  type ReplayDivergence,
  ReplayDivergenceError,
  ReplayExhaustedError,
  TraceReadError,
  TraceVersionError,
  TraceWriteError,
} from './provenance/errors.js';
export { TRACE_MIGRATIONS, type TraceMigration } from './provenance/migrate.js';
export { openTrace, type ReadTraceOptions, readTrace } from './provenance/read-trace.js';
export type {
  CallRecord,
  ErrorRecord,
  RequestRecord,
  StepRecord,
  TraceCall,
  TraceFileRecord,
  VolatileRecord,
} from './provenance/records.js';
export { TRACE_SCHEMA_VERSION, type TraceMeta, type TraceSource } from './provenance/records.js';
export {
  createRedactor,
  DEFAULT_REDACT_KEYS,
  DEFAULT_REDACT_PATTERNS,
  type RedactOptions,
  type Redactor,
  type RedactSetting,
} from './provenance/redaction.js';
export {
  type ReplayCheck,
  ReplayLLM,
  type ReplayMode,
  type ReplayOptions,
  type ReplayStrictness,
} from './provenance/replay.js';
export { describeRequestChange, type RequestChangeInput } from './provenance/request-change.js';
export { type ResumeOptions, resumeFromTrace } from './provenance/resume.js';
export { ProvenanceSink, type ProvenanceSinkOptions } from './provenance/sink.js';
export type { RecordedTrace, Trace } from './provenance/types.js';
export { findTraceDirs, type TraceValidation, validateTraceDir } from './provenance/validate.js';
export { defineTool, type ToolOptions } from './tools/define-tool.js';
export { DONE_TOOL_NAME, doneTool } from './tools/done-tool.js';
export { ToolDefinitionError } from './tools/schema.js';
export { errorMessage, LoopletError } from './util/errors.js';
