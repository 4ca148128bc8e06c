import { agentFor, type ScopedAgent } from '../evals/agent.js';
import type { EvalCase } from '../evals/cases.js';
import { createJudge, type Judge } from '../evals/judge.js';
import { inScope, type SelectedEval, selectEvals } from '../evals/marks.js';
import type { EvalDefinition } from '../evals/types.js';
import type { ContextSource } from './chunk-tests.js';
import type { EvalModules } from './eval-modules.js';
import { type Heartbeat, Phase, wallClock } from './heartbeat.js';
import type { ChunkPlan } from './plan.js';
import { sendReportRuns } from './report-runs.js';
import {
  errorOutcome,
  failAll,
  type GroupResult,
  isReplayed,
  loadCase,
  type PlannedEval,
  type ScoreContext,
  type ScoringGroup,
  scoreGroup,
  unreadableTrace,
} from './score-group.js';

/**
 * Collecting and scoring one chunk for looplet's vitest runner (`runner.ts`), apart from vitest's
 * task objects (the runner says how to make a test and how to deliver what was scored), so that
 * a chunk can be resumed after the eval that ended its thread.
 */

/** A chunk after collection: its plan, what its eval files export, and its groups of tests. */
export interface CollectedChunk<T> {
  plan: ChunkPlan;
  modules: EvalModules;
  groups: ScoringGroup<T>[];
  /** Case files parsed so far: a file holding several cases is read once, not once per case. */
  caseFiles: Map<string, Promise<EvalCase[]>>;
  /** Trace ids of the chunk that no eval and no agent covers. */
  obsolete: string[];
}

/**
 * Builds the groups of a chunk: one per trace and case, holding a test per selected eval in
 * scope (and `replay › id` for a run replayed through its agent). Throws `AgentScopeError` when
 * two agents cover one id: the chunk fails as a whole.
 */
export async function collectChunk<T>({
  plan,
  modules,
  createTest,
  createReplayTest,
  keep = () => true,
  replayHere = () => true,
}: {
  plan: ChunkPlan;
  modules: EvalModules;
  /** Which selected evals this chunk scores (default: all). */
  keep?: (choice: SelectedEval) => boolean;
  /** Whether this chunk holds the `replay › id` test of a run the agent replays (default: yes). */
  replayHere?: (agent: ScopedAgent) => boolean;
  createTest: (choice: SelectedEval, contextId: string) => T;
  createReplayTest: (contextId: string) => T;
}): Promise<CollectedChunk<T>> {
  const selected = selectEvals({
    evals: modules.definitions,
    include: plan.options.include,
    exclude: plan.options.exclude,
  }).filter(keep);
  const sources: ContextSource[] = [
    ...plan.traces.map((trace): ContextSource => ({ kind: 'trace', id: trace.id, dir: trace.dir })),
    ...plan.cases.map((item): ContextSource => ({ kind: 'case', id: item.id, file: item.file })),
  ];
  const caseFiles = new Map<string, Promise<EvalCase[]>>();
  const groups: ScoringGroup<T>[] = [];
  const obsolete: string[] = [];
  for (const source of sources) {
    const agent = agentFor({ agents: modules.agents, id: source.id });
    const group: ScoringGroup<T> = {
      source,
      tests: selected
        .filter((choice) => inScope({ marks: choice.eval.marks, contextId: source.id }))
        .map((choice) => ({ selected: choice, test: createTest(choice, source.id) })),
    };
    if (agent) group.agent = agent;
    // A case that does not load is reported when it runs; whether it replays needs it now.
    if (source.kind === 'case')
      await loadCase({ source, context: { caseFiles } }).then(
        (testCase) => {
          group.testCase = testCase;
        },
        () => undefined,
      );
    if (agent && replayHere(agent) && isReplayed({ group, replay: plan.options.replay }))
      group.replayTest = createReplayTest(source.id);
    const covered =
      agent !== undefined ||
      modules.definitions.some((definition) => inScope({ marks: definition.marks, contextId: source.id }));
    if (source.kind === 'trace' && !covered) obsolete.push(source.id);
    groups.push(group);
  }
  return { plan, modules, groups, caseFiles, obsolete };
}

/** The judge a plan configures (the OpenAI SDK is loaded only when one is), or undefined. */
export async function judgeOf(options: ChunkPlan['options']): Promise<Judge | undefined> {
  if (!options.judge) return undefined;
  const { OpenAIBackend } = await import('../llm/openai.js');
  const { model, baseURL } = options.judge;
  return createJudge({ llm: OpenAIBackend.fromEnv({ model, ...(baseURL ? { baseURL } : {}) }) });
}

/** One scored group, ready to deliver. */
export interface ScoredGroup<T> {
  /** The group's index in its chunk. */
  index: number;
  group: ScoringGroup<T>;
  /** The eval tests that ran (the others were filtered out or skipped). */
  runnable: PlannedEval<T>[];
  /** `replay › id`, when it runs. */
  replayTest?: T;
  result: GroupResult;
  /** Wall-clock start and duration of the group, in ms. */
  startTime: number;
  duration: number;
}

/** Where a scoring thread that was ended (timed out, out of memory, crashed) left off. */
export interface ChunkResume {
  /** Groups before this one were delivered already. */
  fromGroup: number;
  /** What was running each time a thread was ended on this chunk: none of it runs again. */
  culprits: Culprit[];
}

/** What a scoring thread was running when it was ended, and why it was ended. */
export interface Culprit {
  group: number;
  /** The eval test's index in the group, or -1 when the thread ended while reading the run or running its agent. */
  test: number;
  phase: Phase;
  /** `timeout` (the watchdog ended it) or `threw` (out of memory, or the thread exited). */
  kind: 'timeout' | 'threw';
  /** What happened, e.g. "timed out after 500 ms" or "ran out of memory (heap limit 512 MB)". */
  message: string;
}

/** Groups scored per delivery: a replacement thread starts after the last delivered group. */
const BATCH_GROUPS = 32;

/**
 * Scores the runnable tests of a chunk's groups, in order, and delivers them in batches. With a
 * heartbeat, each phase (reading, agent, eval) is announced so the main thread's watchdog can end
 * a thread stuck past its timeout; `resume` continues a chunk after such an end (or after its
 * thread ran out of memory), with the culprit's error in its place.
 */
export async function scoreChunk<T>({
  chunk,
  context,
  runs,
  heartbeat,
  resume,
  deliver,
}: {
  chunk: CollectedChunk<T>;
  context: Omit<ScoreContext, 'track'>;
  /** Whether a test is to run (not filtered out by `-t` or skipped). */
  runs: (test: T) => boolean;
  heartbeat?: Heartbeat;
  resume?: ChunkResume;
  deliver: (batch: ScoredGroup<T>[]) => Promise<void> | void;
}): Promise<void> {
  const timeoutMs = chunk.plan.options.timeoutMs;
  let current = -1;
  const track = heartbeat
    ? (phase: Phase, definition?: EvalDefinition) => {
        const group = chunk.groups[current];
        const test = definition && group ? group.tests.findIndex((t) => t.selected.eval === definition) : -1;
        heartbeat.beat({
          phase,
          group: current,
          test,
          timeoutMs: phaseTimeoutMs({ phase, definition, timeoutMs }),
        });
      }
    : undefined;
  const scoreContext: ScoreContext = { ...context, ...(track ? { track } : {}) };
  try {
    let batch: ScoredGroup<T>[] = [];
    for (let index = resume?.fromGroup ?? 0; index < chunk.groups.length; index++) {
      current = index;
      const scored = await scoreOne({
        chunk,
        index,
        context: scoreContext,
        runs,
        culprits: resume?.culprits ?? [],
      });
      if (scored) batch.push(scored);
      if (batch.length >= BATCH_GROUPS || index === chunk.groups.length - 1) {
        heartbeat?.idle();
        sendReportRuns();
        await deliver(batch);
        batch = [];
      }
    }
  } finally {
    heartbeat?.idle();
  }
}

/** Agent runs get this many eval timeouts: a replay runs tools for real, and may take a while. */
const AGENT_TIMEOUTS = 10;

/** How long the watchdog lets a phase run (0: no limit). */
function phaseTimeoutMs({
  phase,
  definition,
  timeoutMs,
}: {
  phase: Phase;
  definition: EvalDefinition | undefined;
  timeoutMs: number;
}): number {
  if (phase === Phase.eval) return definition?.marks.timeoutMs ?? timeoutMs;
  if (phase === Phase.agent) return AGENT_TIMEOUTS * timeoutMs;
  if (phase === Phase.live) return 0;
  return timeoutMs;
}

/** Scores one group; undefined when none of its tests runs. */
async function scoreOne<T>({
  chunk,
  index,
  context,
  runs,
  culprits,
}: {
  chunk: CollectedChunk<T>;
  index: number;
  context: ScoreContext;
  runs: (test: T) => boolean;
  culprits: readonly Culprit[];
}): Promise<ScoredGroup<T> | undefined> {
  const group = chunk.groups[index]!;
  const runnable = group.tests.filter(({ test }) => runs(test));
  const replayTest = group.replayTest !== undefined && runs(group.replayTest) ? group.replayTest : undefined;
  if (runnable.length === 0 && !replayTest) return undefined;
  const startTime = wallClock();
  const blamed = culprits.filter((culprit) => culprit.group === index);
  const whole = blamed.find((culprit) => culprit.test < 0);
  let result: GroupResult;
  if (whole) {
    result = groupFailure({ group, culprit: whole, context });
  } else {
    const guilty = new Map(blamed.map((culprit) => [group.tests[culprit.test], culprit]));
    const scoring = runnable.filter((planned) => !guilty.has(planned));
    result = await scoreGroup({ group, runnable: scoring, context });
    for (const [planned, culprit] of guilty) {
      if (!planned || !runnable.includes(planned)) continue;
      result.outcomes.set(
        planned.selected.eval.name,
        errorOutcome({
          definition: planned.selected.eval,
          id: group.source.id,
          error: { kind: culprit.kind, message: culprit.message },
          context,
        }),
      );
    }
  }
  const scored: ScoredGroup<T> = {
    index,
    group,
    runnable,
    result,
    startTime,
    duration: wallClock() - startTime,
  };
  if (replayTest !== undefined) scored.replayTest = replayTest;
  return scored;
}

/** Every eval of a group fails: its thread was ended while reading the run or running its agent. */
function groupFailure<T>({
  group,
  culprit,
  context,
}: {
  group: ScoringGroup<T>;
  culprit: Culprit;
  context: ScoreContext;
}): GroupResult {
  const { source } = group;
  if (culprit.phase === Phase.read && source.kind === 'trace')
    return unreadableTrace({ group, source, error: new Error(culprit.message), context });
  const who = group.agent ? `the agent of ${group.agent.file}` : 'the run';
  const message = `${who} ${culprit.message} on ${source.id}`;
  return { outcomes: failAll({ group, kind: 'agent', message, errorName: undefined, context }), errors: [] };
}
