import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  RunnerTask,
  RunnerTaskEventPack,
  RunnerTaskResultPack,
  RunnerTestCase,
  RunnerTestFile,
  RunnerTestSuite,
  TestAnnotation,
} from 'vitest';
import { inject, TestRunner } from 'vitest';
import { agentFor } from '../evals/agent.js';
import type { EvalCase } from '../evals/cases.js';
import { createJudge, type Judge } from '../evals/judge.js';
import { inScope, selectEvals } from '../evals/marks.js';
import type { RunRecord } from '../report/run-record.js';
import type { InfrastructureError } from '../report/summary.js';
import { applyOutcome, applyRun, type ContextSource, type TestGroup } from './chunk-tests.js';
import { type EvalModules, importEvalModules } from './eval-modules.js';
import { setLoopletFileMeta } from './meta.js';
import { CHUNK_SUFFIX, type ChunkPlan, parseChunkFile } from './plan.js';
import { runPageAnnotation } from './run-page-annotation.js';
import { installSandbox } from './sandbox.js';
import { isReplayed, loadCase, scoreGroup } from './score-group.js';
import { ChunkTree } from './test-tree.js';
import { UI_PLAN_KEY } from './ui-plan.js';

/** A chunk file after collection: its plan, what its eval files export, and its tests by context. */
interface CollectedChunk {
  plan: ChunkPlan;
  modules: EvalModules;
  groups: TestGroup[];
  tree: ChunkTree;
  /** Case files parsed so far: a file holding several cases is read once, not once per case. */
  caseFiles: Map<string, Promise<EvalCase[]>>;
  obsolete: string[];
}

/** Results are sent to the main process in batches, not per test: per-test messages would cost more than scoring. */
const UPDATE_BATCH = 500;

/** `Date` is frozen inside the sandbox, so stamps and durations use the monotonic clock. */
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * The vitest runner behind `looplet-eval`. Vitest hands it generated chunk files (see `plan.ts`);
 * for each it imports the eval files (through vitest's module runner, so TypeScript works),
 * registers one test per eval × trace (and × case) named `eval_name › id`, plus `replay › id`
 * for each trace replayed through its agent, and when the file runs, scores them in one pass:
 * each trace is read (or replayed) once, each case run once, evals run in the replay sandbox,
 * and outcomes go to `task.meta.looplet` — and, in interactive runs, to annotations — so every
 * vitest reporter, filter and the UI see them. The chunk file's meta lists its runs.
 */
export default class LoopletRunner extends TestRunner {
  /** Set by vitest's worker on the runner instance: sends result packs to the main process. */
  declare onTaskUpdate?: (packs: RunnerTaskResultPack[], events: RunnerTaskEventPack[]) => Promise<void>;
  /** Set by vitest's worker: records an annotation in the main process (the UI shows it). */
  declare onTestAnnotate?: (test: RunnerTestCase, annotation: TestAnnotation) => Promise<TestAnnotation>;
  readonly #chunks = new Map<string, CollectedChunk>();
  #judge: Promise<Judge | undefined> | undefined;

  /** The configured judge, built once per worker (the OpenAI SDK is loaded only when one is configured). */
  #judgeFor(options: ChunkPlan['options']): Promise<Judge | undefined> {
    this.#judge ??= (async () => {
      if (!options.judge) return undefined;
      const { OpenAIBackend } = await import('../llm/openai.js');
      const { model, baseURL } = options.judge;
      return createJudge({ llm: OpenAIBackend.fromEnv({ model, ...(baseURL ? { baseURL } : {}) }) });
    })();
    return this.#judge;
  }

  override async importFile(filepath: string, source: 'collect' | 'setup'): Promise<unknown> {
    if (source !== 'collect') return super.importFile(filepath, source);
    // `--ui` runs the eval files themselves, each scoring its own evals on every trace and case.
    const uiPlan = filepath.endsWith(CHUNK_SUFFIX) ? undefined : uiPlanFor(filepath);
    if (!uiPlan && !filepath.endsWith(CHUNK_SUFFIX)) return super.importFile(filepath, source);
    // vitest sets the file being collected on the default suite before importing it (its
    // onCollectStart is not awaited and may run after this import has begun).
    const file = (TestRunner.getCurrentSuite() as { file?: RunnerTestFile }).file;
    if (!file || file.filepath !== filepath)
      throw new Error(`looplet runner: collecting ${filepath} without its file task`);
    const text = await readFile(filepath, 'utf8');
    const plan = uiPlan ?? parseChunkFile(text);
    const modules = await importEvalModules({
      files: plan.evalFiles,
      root: plan.root,
      importFile: async (evalFile) => super.importFile(evalFile, 'collect'),
    });
    const selected = selectEvals({
      evals: modules.definitions,
      include: plan.options.include,
      exclude: plan.options.exclude,
    }).filter((choice) => !uiPlan || choice.eval.file === undefined || samePath(choice.eval.file, filepath));
    const sources: ContextSource[] = [
      ...plan.traces.map((trace): ContextSource => ({ kind: 'trace', id: trace.id, dir: trace.dir })),
      ...plan.cases.map((item): ContextSource => ({ kind: 'case', id: item.id, file: item.file })),
    ];
    const tree = new ChunkTree({
      file,
      plan,
      timeout: this.config.testTimeout,
      ...(uiPlan ? { ownSource: text } : {}),
    });
    const caseFiles = new Map<string, Promise<EvalCase[]>>();
    const groups: TestGroup[] = [];
    const obsolete: string[] = [];
    for (const source of sources) {
      // Two agents covering one id is a configuration error: the chunk fails as a whole.
      const agent = agentFor({ agents: modules.agents, id: source.id });
      const group: TestGroup = {
        source,
        tests: selected
          .filter((choice) => inScope({ marks: choice.eval.marks, contextId: source.id }))
          .map((choice) => ({ selected: choice, test: tree.evalTest({ choice, contextId: source.id }) })),
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
      // Under `--ui` a run's replay test belongs to the file that exports its agent.
      const replayHere =
        !uiPlan || (agent !== undefined && samePath(path.resolve(plan.root, agent.file), filepath));
      if (agent && replayHere && isReplayed({ group, replay: plan.options.replay }))
        group.replayTest = tree.replayTest({ contextId: source.id });
      const covered =
        agent !== undefined ||
        modules.definitions.some((definition) => inScope({ marks: definition.marks, contextId: source.id }));
      if (source.kind === 'trace' && !covered) obsolete.push(source.id);
      groups.push(group);
    }
    setLoopletFileMeta(file.meta, { runs: [], obsolete });
    this.#chunks.set(filepath, { plan, modules, groups, tree, caseFiles, obsolete });
    return {};
  }

  async runSuite(suite: RunnerTestSuite): Promise<void> {
    const chunk = this.#chunks.get(suite.file.filepath);
    if (!chunk || suite !== suite.file) {
      throw new Error(
        `looplet's runner only runs looplet eval files; ${suite.file.filepath} is an ordinary test file — keep ordinary tests in another vitest project (see docs/vitest.md)`,
      );
    }
    const options = chunk.plan.options;
    const sandbox = installSandbox({
      allowHosts: options.allowHosts ?? [],
      network: options.allowNetwork === true,
    });
    const judge = await this.#judgeFor(options);
    const context = { plan: chunk.plan, modules: chunk.modules, sandbox, judge, caseFiles: chunk.caseFiles };
    const runs: RunRecord[] = [];
    const errors: InfrastructureError[] = [];
    const pending: RunnerTask[] = [];
    const started = wallClock();
    try {
      for (const group of chunk.groups) {
        const runnable = group.tests.filter(({ test }) => test.mode === 'run');
        const replayTest = group.replayTest?.mode === 'run' ? group.replayTest : undefined;
        if (runnable.length === 0 && !replayTest) continue;
        const startTime = wallClock();
        const scored = await scoreGroup({ group, runnable, context });
        if (scored.run) runs.push(scored.run);
        errors.push(...scored.errors);
        const page =
          options.annotate && scored.run
            ? await runPageAnnotation({
                root: chunk.plan.root,
                file: suite.file.filepath,
                run: scored.run,
                outcomes: [...scored.outcomes.values()],
              })
            : undefined;
        for (const { test, selected } of runnable) {
          const outcome = scored.outcomes.get(selected.eval.name);
          if (!outcome) continue;
          const annotation = applyOutcome({ test, outcome, startTime });
          // Under --ui the Code tab shows the score beside the eval's definition.
          const location = chunk.tree.locate(selected.eval.name);
          if (location) annotation.location = { file: suite.file.filepath, ...location };
          await this.#annotate(test, annotation, options.annotate);
          if (page) await this.#annotate(test, page(), options.annotate);
          pending.push(test);
        }
        if (replayTest) {
          const duration = wallClock() - startTime;
          const annotation = scored.run
            ? applyRun({ test: replayTest, run: scored.run, startTime, duration })
            : failReplayTest({ test: replayTest, errors: scored.errors, startTime, duration });
          await this.#annotate(replayTest, annotation, options.annotate);
          if (page) await this.#annotate(replayTest, page(), options.annotate);
          pending.push(replayTest);
        }
        if (pending.length >= UPDATE_BATCH) await this.#flush(pending);
      }
    } finally {
      sandbox.restore();
      // vitest sends the file's meta with its result once this returns.
      setLoopletFileMeta(suite.file.meta, { runs, obsolete: chunk.obsolete, errors });
      pending.push(...chunk.tree.finish({ startTime: started }));
      await this.#flush(pending);
    }
  }

  /**
   * Sends an outcome's annotation to the main process (interactive runs). A worker's own task
   * objects never reach reporters, so an annotation not sent is not kept; and in the in-process
   * pool the main process holds this very task, which vitest's annotation handler already updated.
   */
  async #annotate(
    test: RunnerTestCase,
    annotation: TestAnnotation,
    send: boolean | undefined,
  ): Promise<void> {
    if (!send || !this.onTestAnnotate) return;
    const recorded = await this.onTestAnnotate(test, annotation);
    if (!test.annotations.includes(recorded)) test.annotations.push(recorded);
  }

  async #flush(tasks: RunnerTask[]): Promise<void> {
    if (tasks.length === 0) return;
    const packs: RunnerTaskResultPack[] = tasks.map((task) => [task.id, task.result, task.meta]);
    // Reporters that print each test (verbose, dot, tap…) do it on its 'test-finished' event.
    const events: RunnerTaskEventPack[] = tasks.map((task) => [
      task.id,
      task.type === 'test' ? 'test-finished' : 'suite-finished',
      undefined,
    ]);
    tasks.length = 0;
    await this.onTaskUpdate?.(packs, events);
  }
}

/** A replay test whose trace could not even be read. */
function failReplayTest({
  test,
  errors,
  startTime,
  duration,
}: {
  test: RunnerTestCase;
  errors: readonly InfrastructureError[];
  startTime: number;
  duration: number;
}): TestAnnotation {
  const message = errors.map((error) => error.message).join('\n') || 'the run could not be replayed';
  test.result = { startTime, duration, state: 'fail', errors: [{ name: 'ReplayError', message }] };
  return { type: 'looplet', message };
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/** `--ui`: the run's plan, when `filepath` is one of its eval files (else undefined). */
function uiPlanFor(filepath: string): ChunkPlan | undefined {
  // Not declared in vitest's ProvidedContext: augmenting it would reach users' types.
  const plan = (inject as (key: string) => unknown)(UI_PLAN_KEY) as ChunkPlan | undefined;
  return plan?.evalFiles.some((file) => samePath(file, filepath)) ? plan : undefined;
}
