import type { LLMBackend } from '../core/llm.js';
import type { Task } from '../core/types.js';
import { ScriptExhaustedError, ScriptedLLM } from '../llm/scripted.js';
import type { AgentRun } from '../loop/agent-loop.js';
import type { Hook } from '../loop/hooks.js';
import type { RunResult } from '../loop/result.js';
import { ReplayDivergenceError } from '../provenance/errors.js';
import { ReplayLLM } from '../provenance/replay.js';
import { errorMessage } from '../util/errors.js';
import type { EvalCase } from './cases.js';
import { type Collector, runCollectors } from './collectors.js';
import { contextFromRun } from './context.js';
import { type EvalsInput, toEvalDefinitions } from './definitions.js';
import { CaseRunError } from './errors.js';
import type { Judge } from './judge.js';
import { inScope, selectEvals } from './marks.js';
import { effectiveThreshold, runEvals } from './run.js';
import type { CaseMode, EvalContext, EvalErrorInfo, EvalOutcome } from './types.js';

/** What an agent factory is told about the case: everything but the grader-only `expected`. */
export interface CaseInfo {
  id: string;
  task: Task;
  marks: readonly string[];
  notes?: string;
}

/**
 * Builds and starts the agent under test for one case. Call `agentLoop` with your tools and
 * hooks, the `llm` given here (scripted, replayed or live) and the `task`.
 *
 * @example
 * const agent: AgentFactory = ({ llm, task }) => agentLoop({ llm, task, tools: [publishReport] });
 */
export type AgentFactory = (args: {
  llm: LLMBackend;
  task: Task;
  case: CaseInfo;
  /**
   * Hooks looplet needs in the loop — e.g. `looplet record`'s `ProvenanceSink` hook. Pass them to
   * `agentLoop({ hooks: [...yourHooks, ...hooks] })`; a factory that drops them cannot be recorded.
   */
  hooks: Hook[];
}) => AgentRun | Promise<AgentRun>;

/** The options of {@link runCase}. */
export interface RunCaseOptions {
  case: EvalCase;
  agent: AgentFactory;
  /**
   * `scripted`: the model answers from the case's `script`. `replay`: from the recorded trace
   * (`trace` here, or the case's `trace` field). `live`: the `llm` you pass.
   */
  mode: CaseMode;
  /** The evals that score the run (none: the run is only executed). */
  evals?: EvalsInput;
  /** Run after the agent, before the evals; their objects become `ctx.artifacts`. */
  collectors?: readonly Collector[];
  /** Hooks handed to the agent factory (it passes them to `agentLoop`), e.g. a `ProvenanceSink`'s. */
  hooks?: readonly Hook[];
  /** The model for `live` mode. */
  llm?: LLMBackend;
  /** Trace directory for `replay` mode (default: the case's `trace`). */
  trace?: string;
  /** Opens a trace for replay. Default: `ReplayLLM.fromTrace` (strict replay). */
  replayLLM?: (args: { dir: string }) => LLMBackend | Promise<LLMBackend>;
  judge?: Judge | LLMBackend;
  include?: readonly string[];
  exclude?: readonly string[];
  threshold?: number;
  timeoutMs?: number;
}

/** What {@link runCase} returns. */
export interface CaseRun {
  case: EvalCase;
  /** The scored context; absent when the agent itself crashed. */
  context?: EvalContext;
  result?: RunResult;
  outcomes: EvalOutcome[];
  /**
   * Set when the agent factory or the run threw (every eval is then an `agent` error), or when the
   * replayed or scripted responses ran out or diverged (every eval is a `replay` error).
   */
  error?: Error;
}

/**
 * Runs one case: builds the agent with your factory (which never sees `expected`), runs it to
 * the end with scripted, replayed or live model responses, applies the collectors and scores the
 * run with the evals. Configuration mistakes (no script in scripted mode, no model in live mode)
 * throw {@link CaseRunError}; anything the agent or an eval does becomes an outcome.
 */
export async function runCase(options: RunCaseOptions): Promise<CaseRun> {
  const testCase = options.case;
  const llm = await modelFor(options);
  const info: CaseInfo = { id: testCase.id, task: testCase.task, marks: testCase.marks };
  if (testCase.notes !== undefined) info.notes = testCase.notes;
  const evals = options.evals ?? [];

  let run: AgentRun;
  let result: RunResult;
  try {
    run = await options.agent({ llm, task: testCase.task, case: info, hooks: [...(options.hooks ?? [])] });
    result = await run.result;
  } catch (error) {
    const asError = error instanceof Error ? error : new Error(String(error));
    const outcomes = failAll({
      options,
      evals,
      error: { kind: 'agent', message: `the agent run failed: ${errorMessage(asError)}`, name: asError.name },
    });
    return { case: testCase, outcomes, error: asError };
  }
  // The recorded (or scripted) responses no longer fit the harness: the run says nothing about
  // the agent, so scoring it would be a guess. Every eval is an error (exit code 3), with the diff.
  if (result.error instanceof ReplayDivergenceError || result.error instanceof ScriptExhaustedError) {
    const outcomes = failAll({
      options,
      evals,
      error: { kind: 'replay', message: result.error.message, name: result.error.name },
    });
    return { case: testCase, result, outcomes, error: result.error };
  }
  const collected = await runCollectors({ collectors: options.collectors ?? [], state: run.state, result });
  const context = contextFromRun({
    result,
    state: run.state,
    artifacts: collected.artifacts,
    expected: testCase.expected,
    id: testCase.id,
    source: { kind: 'case', caseId: testCase.id, mode: options.mode, file: testCase.file },
    collectorErrors: collected.errors,
  });
  const outcomes = await runEvals({
    evals,
    contexts: [context],
    judge: options.judge,
    include: options.include,
    exclude: options.exclude,
    threshold: options.threshold,
    timeoutMs: options.timeoutMs,
  });
  return { case: testCase, context, result, outcomes };
}

async function modelFor(options: RunCaseOptions): Promise<LLMBackend> {
  const { case: testCase, mode } = options;
  switch (mode) {
    case 'scripted':
      if (!testCase.script)
        throw new CaseRunError({
          caseId: testCase.id,
          message: `mode "scripted" needs a "script" (a list of model turns) in ${testCase.file}`,
        });
      return new ScriptedLLM(testCase.script);
    case 'live':
      if (!options.llm)
        throw new CaseRunError({ caseId: testCase.id, message: 'mode "live" needs an `llm` to call' });
      return options.llm;
    case 'replay': {
      const dir = options.trace ?? testCase.trace;
      if (!dir)
        throw new CaseRunError({
          caseId: testCase.id,
          message: `mode "replay" needs a trace: set "trace" in ${testCase.file} or pass \`trace\``,
        });
      return options.replayLLM ? options.replayLLM({ dir }) : ReplayLLM.fromTrace(dir);
    }
    default:
      throw new CaseRunError({
        caseId: testCase.id,
        message: `unknown mode ${JSON.stringify(mode)}; use "scripted", "replay" or "live"`,
      });
  }
}

function failAll({
  options,
  evals,
  error,
}: {
  options: RunCaseOptions;
  evals: EvalsInput;
  error: EvalErrorInfo;
}): EvalOutcome[] {
  const selected = selectEvals({
    evals: toEvalDefinitions({ evals }),
    include: options.include ?? [],
    exclude: options.exclude ?? [],
  });
  const scoped = selected.filter(({ eval: definition }) =>
    inScope({ marks: definition.marks, contextId: options.case.id }),
  );
  return scoped.map(({ eval: definition }) => {
    const outcome: EvalOutcome = {
      name: definition.name,
      context: options.case.id,
      status: 'error',
      metrics: {},
      details: {},
      error,
      required: definition.marks.required,
      tags: [...definition.marks.tags],
      threshold: effectiveThreshold({ definition, runThreshold: options.threshold }),
      durationMs: 0,
    };
    if (definition.file !== undefined) outcome.file = definition.file;
    return outcome;
  });
}
