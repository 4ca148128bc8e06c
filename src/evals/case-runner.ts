import type { LLMBackend } from '../core/llm.js';
import type { LoopState } from '../core/state.js';
import { ScriptedLLM } from '../llm/scripted.js';
import type { Hook } from '../loop/hooks.js';
import type { RunResult } from '../loop/result.js';
import { ReplayLLM, type ReplayStrictness } from '../provenance/replay.js';
import type { AgentFactory, CaseInfo } from './agent.js';
import { runAndScore } from './agent-run.js';
import type { EvalCase } from './cases.js';
import type { Collector } from './collectors.js';
import type { EvalsInput } from './definitions.js';
import { CaseRunError } from './errors.js';
import type { Judge } from './judge.js';
import type { CaseMode, EvalContext, EvalOutcome, ReplayDivergence } from './types.js';

export type { AgentFactory, CaseInfo } from './agent.js';

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
  /**
   * `replay` mode: end the run as diverged at the first difference from the recording (`strict`,
   * default), or serve the recorded answers in order and keep the differences as `warnings`.
   */
  strictness?: ReplayStrictness;
  /** Opens a trace for replay. Default: `ReplayLLM.fromTrace` with `strictness`. */
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
  /** The scored context; absent when the agent crashed or the replay diverged. */
  context?: EvalContext;
  result?: RunResult;
  outcomes: EvalOutcome[];
  /**
   * Set when the agent factory or the run threw (every eval is then an `agent` error), or when
   * the scripted responses ran out (every eval is a `replay` error).
   */
  error?: Error;
  /**
   * Set when the replayed run parted from its recording (a changed prompt, tool or tool result):
   * the run is not scored, every eval's status is `diverged`.
   */
  divergence?: ReplayDivergence;
  /** A lenient replay: where the run parted from its recording and went on with the recorded answers. */
  warnings?: ReplayDivergence[];
}

/**
 * Runs one case: builds the agent with your factory (which never sees `expected`), runs it to
 * the end with scripted, replayed or live model responses, applies the collectors and scores the
 * run with the evals. A replay that parts from its recording is reported as `divergence` (every
 * eval `diverged`), not scored. Configuration mistakes (no script in scripted mode, no model in
 * live mode) throw {@link CaseRunError}; anything the agent or an eval does becomes an outcome.
 */
export async function runCase(options: RunCaseOptions): Promise<CaseRun> {
  const testCase = options.case;
  const llm = await modelFor(options);
  const info: CaseInfo = { id: testCase.id, task: testCase.task, marks: testCase.marks };
  if (testCase.notes !== undefined) info.notes = testCase.notes;
  const scored = await runAndScore({
    ...options,
    llm,
    info,
    expected: testCase.expected,
    source: { kind: 'case', caseId: testCase.id, mode: options.mode, file: testCase.file },
    ...(llm instanceof ReplayLLM ? { finish: (state: LoopState) => llm.finish(state) } : {}),
  });
  const run: CaseRun = { case: testCase, outcomes: scored.outcomes };
  if (scored.result) run.result = scored.result;
  if (scored.context) run.context = scored.context;
  if (scored.error) run.error = scored.error;
  if (scored.divergence) run.divergence = scored.divergence;
  if (llm instanceof ReplayLLM && llm.warnings.length > 0) run.warnings = [...llm.warnings];
  return run;
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
      return options.replayLLM
        ? options.replayLLM({ dir })
        : ReplayLLM.fromTrace(dir, { mode: 'replay', strictness: options.strictness ?? 'strict' });
    }
    default:
      throw new CaseRunError({
        caseId: testCase.id,
        message: `unknown mode ${JSON.stringify(mode)}; use "scripted", "replay" or "live"`,
      });
  }
}
