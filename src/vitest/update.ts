import type { LLMBackend } from '../core/llm.js';
import type { ScopedAgent } from '../evals/agent.js';
import { type RunScoring, runAndScore } from '../evals/agent-run.js';
import type { Collector } from '../evals/collectors.js';
import { contextFromTrace } from '../evals/context.js';
import { runEvals } from '../evals/run.js';
import type { EvalOutcome, EvalSource } from '../evals/types.js';
import { ProvenanceSink } from '../provenance/sink.js';
import type { RunRecord, RunUpdate } from '../report/run-record.js';
import { errorMessage } from '../util/errors.js';
import type { ReplayTarget } from './replay-run.js';
import type { Sandbox } from './sandbox.js';

/** What `-u` did with one trace. */
export type UpdateResult =
  | { ok: true; outcomes: EvalOutcome[]; run: RunRecord }
  | { ok: false; message: string };

/**
 * `-u`: records the run again against the live model (the agent's `llm`, else
 * `OpenAIBackend.fromEnv()`) and replaces the trace directory atomically, keeping its task and
 * expected.json. The sandbox is lifted for the live run only. A run that fails (the model could
 * not be reached, the agent crashed) leaves the old trace as it was. The evals score the new run;
 * the update names the evals whose verdict differs from their verdict on the old recording.
 */
export async function rerecordTrace({
  target,
  agent,
  collectors,
  scoring,
  sandbox,
  replayed,
  onLive,
}: {
  target: ReplayTarget;
  agent: ScopedAgent;
  collectors: readonly Collector[];
  scoring: RunScoring;
  sandbox: Sandbox;
  /** The replay that led to the update (its divergence is kept on the update). */
  replayed: RunRecord;
  /** Called as the live run starts (the runner's watchdog does not time it). */
  onLive?: () => void;
}): Promise<UpdateResult> {
  const { trace } = target;
  const failed = (problem: string): UpdateResult => ({
    ok: false,
    message: `could not re-record ${replayed.trace ?? target.id} against the live model (the trace is unchanged): ${problem}`,
  });
  // Scored before the directory is replaced: the trace's steps are read lazily.
  const before = await runEvals({
    ...scoring,
    evals: scoring.evals ?? [],
    contexts: [contextFromTrace({ trace, id: target.id, expected: target.expected })],
  });
  const sink = new ProvenanceSink({ dir: trace.dir });
  onLive?.();
  const resume = sandbox.suspend();
  let live: Awaited<ReturnType<typeof runAndScore>>;
  try {
    let llm: LLMBackend;
    try {
      llm = agent.definition.llm ? await agent.definition.llm() : await defaultLiveModel();
    } catch (error) {
      return failed(`no live model: ${errorMessage(error)}`);
    }
    live = await runAndScore({
      agent: agent.definition.create,
      llm: sink.wrapLLM(llm),
      info: target.info,
      hooks: [sink.hook()],
      collectors,
      expected: target.expected,
      source: liveSource({ source: target.source, dir: trace.dir }),
    });
  } finally {
    resume();
  }
  const result = live.result;
  if (live.error) return failed(`the agent failed: ${live.error.message}`);
  if (!result || result.endReason === 'llm_error')
    return failed(`the model call failed: ${errorMessage(result?.error ?? 'no result')}`);
  sink.artifacts = live.context?.artifacts ?? {};
  sink.expected = trace.expected;
  // The one write to traces/ looplet-eval makes: lift the read-only guard for it.
  const guarded = sandbox.suspend();
  try {
    await sink.flush();
  } catch (error) {
    return failed(errorMessage(error));
  } finally {
    guarded();
  }
  const outcomes = live.context
    ? await runEvals({ ...scoring, evals: scoring.evals ?? [], contexts: [live.context] })
    : [];
  const statusBefore = new Map(before.map((outcome) => [outcome.name, outcome.status]));
  const update: RunUpdate = {
    stepsBefore: trace.meta.stepCount,
    stepsAfter: result.steps.length,
    endReasonBefore: trace.meta.endReason,
    endReasonAfter: result.endReason,
    changedEvals: outcomes
      .filter((outcome) => statusBefore.get(outcome.name) !== outcome.status)
      .map((outcome) => outcome.name),
  };
  if (replayed.replay?.diverged) update.divergence = replayed.replay.diverged;
  const run: RunRecord = {
    id: target.id,
    origin: 'live',
    endReason: result.endReason,
    steps: result.steps.length,
    updated: update,
  };
  if (replayed.trace) run.trace = replayed.trace;
  if (replayed.agentFile) run.agentFile = replayed.agentFile;
  return { ok: true, outcomes, run };
}

/** `OpenAIBackend.fromEnv()`, loaded only when a trace is re-recorded. */
async function defaultLiveModel(): Promise<LLMBackend> {
  const { OpenAIBackend } = await import('../llm/openai.js');
  return OpenAIBackend.fromEnv();
}

/** The new run is the trace's recording now (for a case: a live run of it). */
function liveSource({ source, dir }: { source: EvalSource; dir: string }): EvalSource {
  return source.kind === 'case'
    ? { ...source, mode: 'live' }
    : { kind: 'trace', dir, format: 'looplet', origin: 'recorded' };
}
