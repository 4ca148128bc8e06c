import path from 'node:path';
import type { StepData } from '../core/step.js';
import type { CaseInfo, ScopedAgent } from '../evals/agent.js';
import type { RunScoring } from '../evals/agent-run.js';
import type { EvalCase } from '../evals/cases.js';
import { contextFromTrace } from '../evals/context.js';
import type { Judge } from '../evals/judge.js';
import type { SelectedEval } from '../evals/marks.js';
import { effectiveThreshold, runEval } from '../evals/run.js';
import type { EvalDefinition, EvalErrorInfo, EvalOutcome } from '../evals/types.js';
import { readTrace } from '../provenance/read-trace.js';
import type { RecordedTrace } from '../provenance/types.js';
import type { ReplayStrictness, RunRecord } from '../report/run-record.js';
import type { InfrastructureError } from '../report/summary.js';
import { errorMessage } from '../util/errors.js';
import type { ContextSource } from './chunk-tests.js';
import { MissingAgentError } from './errors.js';
import type { EvalModules } from './eval-modules.js';
import { Phase } from './heartbeat.js';
import type { ChunkPlan } from './plan.js';
import type { ReplayTarget } from './replay-run.js';
import { shareReportRun } from './report-runs.js';
import type { Sandbox } from './sandbox.js';
import { openCachedTrace } from './trace-cache.js';

// Replays, re-recording and cases load the loop, the recorder, the YAML parser and the schema
// compiler: imported when a chunk first needs them, so scoring recorded traces loads none of it.

/** One eval test of a group: which eval it runs, and the runner's handle on it. */
export interface PlannedEval<T> {
  test: T;
  selected: SelectedEval;
}

/** The tests of one trace or case, scored together (the context is built once). */
export interface ScoringGroup<T> {
  source: ContextSource;
  tests: PlannedEval<T>[];
  /** The agent whose scope covers the id, if any. */
  agent?: ScopedAgent;
  /** The case, parsed when the chunk was collected (undefined for traces, or when it failed to parse). */
  testCase?: EvalCase;
  /** `replay › id`, for a trace (or a case with a trace) replayed through its agent. */
  replayTest?: T;
}

/** What scoring one trace or case gave: an outcome per eval test, the run, and errors that belong to no eval. */
export interface GroupResult {
  outcomes: Map<string, EvalOutcome>;
  /** Absent when the trace could not be read, or the case could not be loaded. */
  run?: RunRecord;
  errors: InfrastructureError[];
}

/** Everything scoring a group needs besides the group. */
export interface ScoreContext {
  plan: ChunkPlan;
  modules: EvalModules;
  sandbox: Sandbox;
  judge: Judge | undefined;
  /** Case files parsed so far: a file holding several cases is read once, not once per case. */
  caseFiles: Map<string, Promise<EvalCase[]>>;
  /** Told what starts now (reading, the agent, an eval), so a watchdog can time it and name it. */
  track?: (phase: Phase, definition?: EvalDefinition) => void;
}

/** True when a trace (or a case's trace) is run through its agent rather than scored as recorded. */
export function isReplayed({
  group,
  replay,
}: {
  group: Pick<ScoringGroup<unknown>, 'source' | 'agent' | 'testCase'>;
  replay: ChunkPlan['options']['replay'];
}): boolean {
  if (replay === 'off' || !group.agent) return false;
  return group.source.kind === 'trace' || group.testCase?.trace !== undefined;
}

type AnyGroup = Pick<ScoringGroup<unknown>, 'source' | 'agent' | 'testCase'> & {
  tests: ReadonlyArray<{ selected: SelectedEval }>;
};
type Runnable = ReadonlyArray<{ selected: SelectedEval }>;

/**
 * Scores one trace or case with the runnable eval tests of its group: a trace with an agent in
 * scope is replayed through it (and re-recorded with `-u`), one without is scored as recorded; a
 * case runs its agent (replayed from its trace, scripted or live). A trace is read whole first
 * (every step): a trace that cannot be read is an error of kind `trace` for every eval on it,
 * whether or not the eval would have read the broken file.
 */
export async function scoreGroup({
  group,
  runnable,
  context,
}: {
  group: AnyGroup;
  runnable: Runnable;
  context: ScoreContext;
}): Promise<GroupResult> {
  const { source } = group;
  if (source.kind === 'trace') {
    context.track?.(Phase.read);
    let opened: OpenedTrace;
    try {
      opened = openWhole(source.dir, context.plan.options.reuseTraces ? openCachedTrace : readTrace);
    } catch (error) {
      return unreadableTrace({ group, source, error, context });
    }
    const { trace } = opened;
    if (!isReplayed({ group, replay: context.plan.options.replay })) {
      const outcomes = await scoreRecorded({ opened, id: source.id, runnable, context });
      shareReportRun(trace);
      return { outcomes, run: recordedRun({ trace, id: source.id, context }), errors: [] };
    }
    const target: ReplayTarget = {
      id: source.id,
      trace,
      info: { id: source.id, task: trace.meta.task, marks: [] },
      expected: trace.expected,
      source: { kind: 'trace', dir: trace.dir, format: trace.meta.source, origin: 'replayed' },
    };
    return replay({
      target,
      group,
      agent: group.agent!,
      strictness: runStrictness(context),
      runnable,
      context,
    });
  }
  return scoreCase({ group, source, runnable, context });
}

/** A trace with every step read. */
interface OpenedTrace {
  trace: RecordedTrace;
  steps: StepData[];
}

function openWhole(dir: string, open: (dir: string) => RecordedTrace = readTrace): OpenedTrace {
  const trace = open(dir);
  const steps: StepData[] = new Array(trace.meta.stepCount);
  for (let index = 1; index <= trace.meta.stepCount; index++) steps[index - 1] = trace.readStep(index);
  return { trace, steps };
}

async function scoreCase({
  group,
  source,
  runnable,
  context,
}: {
  group: AnyGroup;
  source: Extract<ContextSource, { kind: 'case' }>;
  runnable: Runnable;
  context: ScoreContext;
}): Promise<GroupResult> {
  let testCase: EvalCase;
  context.track?.(Phase.read);
  try {
    testCase = group.testCase ?? (await loadCase({ source, context }));
    if (!group.agent) throw new MissingAgentError({ caseId: source.id, file: source.file });
  } catch (error) {
    const errorName = error instanceof Error ? error.name : undefined;
    return {
      outcomes: failAll({ group, kind: 'agent', message: errorMessage(error), errorName, context }),
      errors: [],
    };
  }
  const agent = group.agent;
  const options = context.plan.options;
  if (testCase.trace !== undefined) {
    let opened: OpenedTrace;
    try {
      opened = openWhole(testCase.trace);
    } catch (error) {
      return unreadableTrace({ group, source, error, context });
    }
    const { trace } = opened;
    const info: CaseInfo = { id: testCase.id, task: testCase.task, marks: testCase.marks };
    if (testCase.notes !== undefined) info.notes = testCase.notes;
    if (options.replay === 'off') {
      const recorded = await scoreRecorded({
        opened,
        id: testCase.id,
        runnable,
        context,
        expected: testCase.expected,
      });
      return { outcomes: recorded, run: recordedRun({ trace, id: testCase.id, context }), errors: [] };
    }
    const target: ReplayTarget = {
      id: testCase.id,
      trace,
      info,
      expected: testCase.expected,
      source: { kind: 'case', caseId: testCase.id, mode: 'replay', file: testCase.file },
    };
    // A case may ask for lenient replay itself (a recording made before a tool fix).
    const strictness = testCase.replay ?? runStrictness(context);
    return replay({ target, group, agent, strictness, runnable, context });
  }
  const mode = testCase.script ? 'scripted' : 'live';
  agentPhase({ context, id: source.id, live: mode === 'live' });
  // Loaded only when a chunk has cases: the loop and the recorder are not needed to score traces.
  const { runCase } = await import('../evals/case-runner.js');
  const run = await runCase({
    case: testCase,
    agent: agent.definition.create,
    mode,
    collectors: context.modules.collectors,
    ...scoring({ runnable, context, id: source.id }),
  }).catch((error: unknown) => error as Error);
  if (run instanceof Error)
    return {
      outcomes: failAll({ group, kind: 'agent', message: run.message, errorName: run.name, context }),
      errors: [],
    };
  const record: RunRecord = {
    id: testCase.id,
    origin: mode,
    agentFile: agent.file,
    endReason: run.result?.endReason ?? 'llm_error',
    steps: run.result?.steps.length ?? 0,
  };
  if (run.error && !run.result)
    record.error = {
      kind: 'agent',
      message: `the agent of ${agent.file} failed on case ${testCase.id}: ${run.error.message}`,
    };
  return { outcomes: byName(run.outcomes), run: record, errors: [] };
}

/** The agent runs now: the watchdog times it, the sandbox names it. */
function agentPhase({
  context,
  id,
  live = false,
}: {
  context: ScoreContext;
  id: string;
  live?: boolean;
}): void {
  context.track?.(live ? Phase.live : Phase.agent);
  context.sandbox.subject = { eval: 'agent', trace: id };
}

/** Replays a trace (or a case's trace) through its agent; with `-u`, records it again against the live model. */
async function replay({
  target,
  group,
  agent,
  strictness,
  runnable,
  context,
}: {
  target: ReplayTarget;
  group: AnyGroup;
  agent: ScopedAgent;
  strictness: ReplayStrictness;
  runnable: Runnable;
  context: ScoreContext;
}): Promise<GroupResult> {
  const options = context.plan.options;
  const runScoring = scoring({ runnable, context, id: target.id });
  agentPhase({ context, id: target.id });
  const { replayThroughAgent } = await import('./replay-run.js');
  const replayed = await replayThroughAgent({
    target,
    agent,
    mode: strictness,
    collectors: context.modules.collectors,
    scoring: runScoring,
    root: context.plan.root,
  });
  // A recorded call file that cannot be read is the trace's fault, not the agent's.
  const cause = replayed.scored.result?.error ?? replayed.scored.error;
  if (cause?.name === 'TraceReadError')
    return unreadableTrace({ group, source: group.source, error: cause, context });
  const result: GroupResult = { outcomes: byName(replayed.scored.outcomes), run: replayed.run, errors: [] };
  const update = options.update;
  if (!update || replayed.run.error || (update === 'diverged' && !replayed.run.replay?.diverged))
    return result;
  const { rerecordTrace } = await import('./update.js');
  const updated = await rerecordTrace({
    target,
    agent,
    collectors: context.modules.collectors,
    scoring: runScoring,
    sandbox: context.sandbox,
    replayed: replayed.run,
    onLive: () => agentPhase({ context, id: target.id, live: true }),
  });
  if (!updated.ok) {
    replayed.run.error = { kind: 'update', message: updated.message };
    return result;
  }
  return { outcomes: byName(updated.outcomes), run: updated.run, errors: [] };
}

function runStrictness(context: ScoreContext): ReplayStrictness {
  return context.plan.options.replay === 'lenient' ? 'lenient' : 'strict';
}

/** Scores a trace as it was recorded: read once, each eval run on it. */
async function scoreRecorded({
  opened,
  id,
  runnable,
  context,
  expected,
}: {
  opened: OpenedTrace;
  id: string;
  runnable: Runnable;
  context: ScoreContext;
  expected?: Record<string, unknown>;
}): Promise<Map<string, EvalOutcome>> {
  const evalContext = contextFromTrace({
    trace: opened.trace,
    id,
    steps: opened.steps,
    ...(expected ? { expected } : {}),
  });
  const options = context.plan.options;
  const outcomes = new Map<string, EvalOutcome>();
  for (const { selected } of runnable) {
    startEval({ context, definition: selected.eval, id });
    const outcome = await runEval({
      eval: selected.eval,
      context: evalContext,
      judge: context.judge,
      threshold: options.threshold,
      timeoutMs: options.timeoutMs,
      deselected: selected.deselected,
    });
    outcomes.set(selected.eval.name, outcome);
  }
  return outcomes;
}

function startEval({
  context,
  definition,
  id,
}: {
  context: ScoreContext;
  definition: EvalDefinition;
  id: string;
}): void {
  context.track?.(Phase.eval, definition);
  context.sandbox.subject = { eval: definition.name, trace: id };
}

function recordedRun({
  trace,
  id,
  context,
}: {
  trace: RecordedTrace;
  id: string;
  context: ScoreContext;
}): RunRecord {
  return {
    id,
    origin: 'recorded',
    trace: path.relative(context.plan.root, trace.dir).split(path.sep).join('/'),
    endReason: trace.meta.endReason,
    steps: trace.meta.stepCount,
  };
}

/** Every eval of the group fails with the trace's read error: reported once, as an infrastructure error. */
export function unreadableTrace({
  group,
  source,
  error,
  context,
}: {
  group: AnyGroup;
  source: ContextSource;
  error: unknown;
  context: Pick<ScoreContext, 'plan'>;
}): GroupResult {
  const name = error instanceof Error ? error.name : undefined;
  const dir = source.kind === 'trace' ? source.dir : (group.testCase?.trace ?? source.file);
  const message = `could not read trace ${dir}: ${errorMessage(error)}`;
  return {
    outcomes: failAll({ group, kind: 'trace', message, errorName: name, context }),
    // A trace from a newer looplet is a configuration matter (upgrade looplet), not a broken run.
    errors: [{ source: source.id, kind: name === 'TraceVersionError' ? 'trace-version' : 'trace', message }],
  };
}

/** The same error outcome for every eval of the group (the trace or the agent failed, not the evals). */
export function failAll({
  group,
  kind,
  message,
  errorName,
  context,
}: {
  group: AnyGroup;
  kind: 'trace' | 'agent';
  message: string;
  errorName: string | undefined;
  context: Pick<ScoreContext, 'plan'>;
}): Map<string, EvalOutcome> {
  const outcomes = new Map<string, EvalOutcome>();
  for (const { selected } of group.tests)
    outcomes.set(
      selected.eval.name,
      errorOutcome({
        definition: selected.eval,
        id: group.source.id,
        error: { kind, message, ...(errorName ? { name: errorName } : {}) },
        context,
      }),
    );
  return outcomes;
}

/** An eval's error outcome on a run, with the threshold the run would have applied. */
export function errorOutcome({
  definition,
  id,
  error,
  context,
}: {
  definition: EvalDefinition;
  id: string;
  error: EvalErrorInfo;
  context: Pick<ScoreContext, 'plan'>;
}): EvalOutcome {
  const outcome: EvalOutcome = {
    name: definition.name,
    context: id,
    status: 'error',
    metrics: {},
    details: {},
    error,
    required: definition.marks.required,
    tags: definition.marks.tags,
    threshold: effectiveThreshold({ definition, runThreshold: context.plan.options.threshold }),
    durationMs: 0,
  };
  if (definition.file !== undefined) outcome.file = definition.file;
  return outcome;
}

/** How the runnable evals of a group are scored (the selection is applied again: it is cheap and keeps required evals required). */
function scoring({
  runnable,
  context,
  id,
}: {
  runnable: Runnable;
  context: ScoreContext;
  id: string;
}): RunScoring {
  const options = context.plan.options;
  return {
    evals: runnable.map(({ selected }) => selected.eval),
    ...(context.judge ? { judge: context.judge } : {}),
    include: options.include,
    exclude: options.exclude,
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    timeoutMs: options.timeoutMs,
    onEvalStart: (definition) => startEval({ context, definition, id }),
  };
}

/** The case a case source names, from its file (parsed once per chunk). */
export async function loadCase({
  source,
  context,
}: {
  source: Extract<ContextSource, { kind: 'case' }>;
  context: Pick<ScoreContext, 'caseFiles'>;
}): Promise<EvalCase> {
  let cases = context.caseFiles.get(source.file);
  if (!cases) {
    // Loaded only when there are cases: the YAML parser and the case schema are not small.
    cases = import('../evals/cases.js').then(({ loadCaseFile }) => loadCaseFile({ file: source.file }));
    context.caseFiles.set(source.file, cases);
  }
  const found = (await cases).find((item) => item.id === source.id);
  if (!found) throw new Error(`case "${source.id}" is no longer in ${source.file}`);
  return found;
}

function byName(outcomes: readonly EvalOutcome[]): Map<string, EvalOutcome> {
  return new Map(outcomes.map((outcome) => [outcome.name, outcome]));
}
