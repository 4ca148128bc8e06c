import type { LLMBackend } from '../core/llm.js';
import type { LoopState } from '../core/state.js';
import { ScriptExhaustedError } from '../llm/scripted.js';
import type { Hook } from '../loop/hooks.js';
import type { RunResult } from '../loop/result.js';
import { ReplayDivergenceError } from '../provenance/errors.js';
import { errorMessage } from '../util/errors.js';
import type { AgentFactory, CaseInfo } from './agent.js';
import { type Collector, runCollectors } from './collectors.js';
import { contextFromRun } from './context.js';
import { type EvalsInput, toEvalDefinitions } from './definitions.js';
import type { Judge } from './judge.js';
import { inScope, selectEvals } from './marks.js';
import { effectiveThreshold, runEvals } from './run.js';
import type {
  EvalContext,
  EvalDefinition,
  EvalErrorInfo,
  EvalOutcome,
  EvalSource,
  NormalizedResult,
  ReplayDivergence,
} from './types.js';

/** How the evals of a run are chosen and scored. */
export interface RunScoring {
  /** The evals that score the run (none: the run is only executed). */
  evals?: EvalsInput;
  judge?: Judge | LLMBackend;
  include?: readonly string[];
  exclude?: readonly string[];
  threshold?: number;
  timeoutMs?: number;
  /** Called as each eval starts (see `runEvals`). */
  onEvalStart?: (definition: EvalDefinition) => void;
}

/** The options of {@link runAndScore}. */
export interface RunAndScoreOptions extends RunScoring {
  agent: AgentFactory;
  llm: LLMBackend;
  info: CaseInfo;
  /** Hooks handed to the factory (a `ProvenanceSink`'s, when the run is recorded). */
  hooks?: readonly Hook[];
  /** Run after the agent, before the evals; their objects become `ctx.artifacts`. */
  collectors?: readonly Collector[];
  /** Grader-only data, for `ctx.expected`. */
  expected: Record<string, unknown>;
  source: EvalSource;
  /**
   * Called when the run has ended: where a replay parted from its recording beyond what the
   * run's error says (fewer model calls than recorded, a tool call without a recorded result…).
   * `ReplayLLM.finish` is such a check.
   */
  finish?: (state: LoopState) => ReplayDivergence | undefined;
}

/** A run of the agent and what the evals said about it. */
export interface ScoredRun {
  result?: RunResult;
  state?: LoopState;
  /** The scored context; absent when the agent crashed or the replay diverged. */
  context?: EvalContext;
  outcomes: EvalOutcome[];
  /**
   * The agent factory or the run threw (every eval is an `agent` error), or a script ran out
   * (every eval is a `replay` error: the run says nothing about the agent).
   */
  error?: Error;
  /** The replay parted from its recording: every eval is `diverged`, none scored. */
  divergence?: ReplayDivergence;
}

/**
 * Builds the agent with its factory, runs it to the end, applies the collectors and scores the
 * run. A replay that parted from its recording is not scored (its outcomes are `diverged`); an
 * agent that crashed makes every eval an `agent` error. Never throws for what the agent does.
 */
export async function runAndScore(options: RunAndScoreOptions): Promise<ScoredRun> {
  const { info } = options;
  let result: RunResult;
  let state: LoopState;
  try {
    const run = await options.agent({
      llm: options.llm,
      task: info.task,
      case: info,
      hooks: [...(options.hooks ?? [])],
    });
    result = await run.result;
    state = run.state;
  } catch (error) {
    const asError = error instanceof Error ? error : new Error(String(error));
    const outcomes = unscoredOutcomes({
      scoring: options,
      id: info.id,
      verdict: errorVerdict({
        kind: 'agent',
        message: `the agent run failed: ${errorMessage(asError)}`,
        name: asError.name,
      }),
    });
    return { outcomes, error: asError };
  }
  // Checked even when the run's error already says it diverged: a lenient replay collects its last warnings here.
  const atEnd = options.finish?.(state);
  const divergence = divergenceOf(result.error) ?? atEnd;
  if (divergence) {
    const outcomes = unscoredOutcomes({
      scoring: options,
      id: info.id,
      verdict: { status: 'diverged', metrics: {}, details: {}, reason: divergence.summary[0] ?? 'diverged' },
    });
    return { result, state, outcomes, divergence };
  }
  if (result.error instanceof ScriptExhaustedError) {
    const { message, name } = result.error;
    const outcomes = unscoredOutcomes({
      scoring: options,
      id: info.id,
      verdict: errorVerdict({ kind: 'replay', message, name }),
    });
    return { result, state, outcomes, error: result.error };
  }
  const collected = await runCollectors({ collectors: options.collectors ?? [], state, result });
  const context = contextFromRun({
    result,
    state,
    artifacts: collected.artifacts,
    expected: options.expected,
    id: info.id,
    source: options.source,
    collectorErrors: collected.errors,
  });
  const outcomes = await runEvals({
    evals: options.evals ?? [],
    contexts: [context],
    judge: options.judge,
    include: options.include,
    exclude: options.exclude,
    threshold: options.threshold,
    timeoutMs: options.timeoutMs,
    ...(options.onEvalStart ? { onEvalStart: options.onEvalStart } : {}),
  });
  return { result, state, context, outcomes };
}

/** The divergence a replay error describes, or undefined for any other end of a run. */
export function divergenceOf(error: unknown): ReplayDivergence | undefined {
  return error instanceof ReplayDivergenceError ? error.toDivergence() : undefined;
}

/** One outcome per selected eval in scope of `id`, all with the same verdict: for runs that could not be scored. */
export function unscoredOutcomes({
  scoring,
  id,
  verdict,
}: {
  scoring: RunScoring;
  id: string;
  verdict: NormalizedResult;
}): EvalOutcome[] {
  const selected = selectEvals({
    evals: toEvalDefinitions({ evals: scoring.evals ?? [] }),
    include: scoring.include ?? [],
    exclude: scoring.exclude ?? [],
  });
  return selected
    .filter(({ eval: definition }) => inScope({ marks: definition.marks, contextId: id }))
    .map(({ eval: definition }) => {
      const outcome: EvalOutcome = {
        name: definition.name,
        context: id,
        ...verdict,
        required: definition.marks.required,
        tags: definition.marks.tags,
        threshold: effectiveThreshold({ definition, runThreshold: scoring.threshold }),
        durationMs: 0,
      };
      if (definition.file !== undefined) outcome.file = definition.file;
      return outcome;
    });
}

/** An `error` verdict. */
export function errorVerdict(error: EvalErrorInfo): NormalizedResult {
  return { status: 'error', metrics: {}, details: {}, error };
}
