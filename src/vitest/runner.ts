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
import { EvalImportError } from '../evals/errors.js';
import type { Judge } from '../evals/judge.js';
import type { RunRecord } from '../report/run-record.js';
import type { InfrastructureError } from '../report/summary.js';
import { type CollectedChunk, collectChunk, judgeOf, type ScoredGroup, scoreChunk } from './chunk-scoring.js';
import { applyOutcome, applyRun } from './chunk-tests.js';
import { importEvalModules } from './eval-modules.js';
import { Phase } from './heartbeat.js';
import { loopletFileMeta, loopletMeta, setLoopletFileMeta } from './meta.js';
import { CHUNK_SUFFIX, type ChunkPlan, parseChunkFile } from './plan.js';
import type { FileResume, PoolThreadData } from './pool.js';
import { runPageAnnotation } from './run-page-annotation.js';
import { installSandbox } from './sandbox.js';
import { ChunkTree } from './test-tree.js';
import { threadContext } from './thread-context.js';
import { UI_PLAN_KEY } from './ui-plan.js';

/** A chunk file after collection, with the shape of its tests. */
interface Collected {
  chunk: CollectedChunk<RunnerTestCase>;
  tree: ChunkTree;
}

/** The least time an eval file's import gets before the watchdog ends its thread. */
const IMPORT_TIMEOUT_MS = 60_000;

/** Results are sent to the main process in batches, not per test: per-test messages would cost more than scoring. */
const UPDATE_BATCH = 500;

/**
 * The vitest runner behind `looplet-eval`. Vitest hands it generated chunk files (see `plan.ts`);
 * for each it imports the eval files (through vitest's module runner, so TypeScript works),
 * registers one test per eval × trace (and × case) named `eval_name › id`, plus `replay › id`
 * for each trace replayed through its agent, and when the file runs, scores them in one pass
 * (`chunk-scoring.ts`): each trace is read (or replayed) once, each case run once, evals run in
 * the replay sandbox, and outcomes go to `task.meta.looplet` — and, in interactive runs, to
 * annotations — so every vitest reporter, filter and the UI see them. The chunk file's meta
 * lists its runs. In looplet's pool (`pool.ts`) each eval is timed by the main thread's
 * watchdog, and a chunk whose thread was ended continues in a new one after the culprit.
 */
export default class LoopletRunner extends TestRunner {
  /** Set by vitest's worker on the runner instance: sends result packs to the main process. */
  declare onTaskUpdate?: (packs: RunnerTaskResultPack[], events: RunnerTaskEventPack[]) => Promise<void>;
  /** Set by vitest's worker: records an annotation in the main process (the UI shows it). */
  declare onTestAnnotate?: (test: RunnerTestCase, annotation: TestAnnotation) => Promise<TestAnnotation>;
  /**
   * The run's chunks, let go when it ends: vitest makes a runner per run and, in a runtime that
   * outlives the run (a watch session's kept threads, the in-process pool), keeps every one of
   * them for good — its worker registers a cancel callback that holds the runner and never removes
   * it. Held here past the run, each chunk's tasks, results and plan were kept too (a watch
   * session grew by 1–2 MB per re-run of 120 traces).
   */
  readonly #chunks = new Map<string, Collected>();
  /** The configured judge, built once per run (the OpenAI SDK is loaded only when one is configured). */
  #judge: Promise<Judge | undefined> | undefined;

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
    const supervision = threadContext<PoolThreadData>();
    const heartbeat = supervision?.heartbeat;
    heartbeat?.label(filepath);
    const failed = supervision?.data?.importFailure;
    if (failed) {
      // An eval file ended a thread while it was imported: every chunk imports it, none is run again.
      const evalFile = plan.evalFiles[failed.evalFile] ?? plan.evalFiles.join(', ');
      const message = `${failed.message} while it was imported`;
      throw new EvalImportError({ failures: [{ file: evalFile, message, error: new Error(message) }] });
    }
    // Importing may be slow the first time (vite transforms TypeScript): never less than a minute.
    const timeoutMs = Math.max(plan.options.timeoutMs, IMPORT_TIMEOUT_MS);
    const modules = await importEvalModules({
      files: plan.evalFiles,
      root: plan.root,
      importFile: async (evalFile) => {
        heartbeat?.beat({
          phase: Phase.collect,
          group: -1,
          test: plan.evalFiles.indexOf(evalFile),
          timeoutMs,
        });
        return super.importFile(evalFile, 'collect');
      },
    });
    const tree = new ChunkTree({
      file,
      plan,
      timeout: this.config.testTimeout,
      ...(uiPlan ? { ownSource: text } : {}),
    });
    const chunk = await collectChunk({
      plan,
      modules,
      // Under `--ui` each eval file scores its own evals, and a run's replay test belongs to the
      // file that exports its agent.
      ...(uiPlan
        ? {
            keep: (choice) => choice.eval.file === undefined || samePath(choice.eval.file, filepath),
            replayHere: (agent) => samePath(path.resolve(plan.root, agent.file), filepath),
          }
        : {}),
      createTest: (choice, contextId) => tree.evalTest({ choice, contextId }),
      createReplayTest: (contextId) => tree.replayTest({ contextId }),
    });
    heartbeat?.idle();
    setLoopletFileMeta(file.meta, { runs: [], obsolete: chunk.obsolete });
    this.#chunks.set(filepath, { chunk, tree });
    return {};
  }

  /** The run is over: what it built is let go (see `#chunks` on why). */
  override onAfterRunFiles(): void {
    this.#chunks.clear();
    this.#judge = undefined;
    super.onAfterRunFiles();
  }

  async runSuite(suite: RunnerTestSuite): Promise<void> {
    const collected = this.#chunks.get(suite.file.filepath);
    if (!collected || suite !== suite.file) {
      throw new Error(
        `looplet's runner only runs looplet eval files; ${suite.file.filepath} is an ordinary test file — keep ordinary tests in another vitest project (see docs/vitest.md)`,
      );
    }
    const file = suite.file;
    const { chunk, tree } = collected;
    const options = chunk.plan.options;
    const started = wallClock();
    const sandbox = installSandbox({
      allowHosts: options.allowHosts ?? [],
      network: options.allowNetwork === true,
      readOnly: chunk.plan.traceRoots ?? [],
    });
    const supervision = threadContext<PoolThreadData>();
    const heartbeat = supervision?.heartbeat;
    heartbeat?.label(file.filepath);
    const progress: ChunkProgress = { runs: [], errors: [], pending: [] };
    const resumed = supervision?.data?.resume?.[file.filepath];
    const fromGroup = resumed ? this.#restore({ chunk, resumed, progress }) : 0;
    try {
      this.#judge ??= judgeOf(options);
      const judge = await this.#judge;
      await scoreChunk({
        chunk,
        context: { plan: chunk.plan, modules: chunk.modules, sandbox, judge, caseFiles: chunk.caseFiles },
        runs: (test) => test.mode === 'run',
        ...(heartbeat ? { heartbeat } : {}),
        ...(resumed ? { resume: { fromGroup, culprits: resumed.culprits } } : {}),
        deliver: async (batch) => {
          for (const scored of batch) {
            await this.#apply({ scored, progress, tree, plan: chunk.plan, filepath: file.filepath });
            if (progress.pending.length >= UPDATE_BATCH) await this.#flush({ file, chunk, progress });
          }
        },
      });
    } finally {
      sandbox.restore();
      // vitest sends the file's meta with its result once this returns.
      setLoopletFileMeta(file.meta, {
        runs: progress.runs,
        obsolete: chunk.obsolete,
        errors: progress.errors,
      });
      progress.pending.push(...tree.finish({ startTime: started }));
      await this.#flush({ file, chunk, progress, last: true });
    }
  }

  /** Sets the tests of a scored group from its result. */
  async #apply({
    scored,
    progress,
    tree,
    plan,
    filepath,
  }: {
    scored: ScoredGroup<RunnerTestCase>;
    progress: ChunkProgress;
    tree: ChunkTree;
    plan: ChunkPlan;
    filepath: string;
  }): Promise<void> {
    const { result, startTime, duration } = scored;
    const annotate = plan.options.annotate;
    if (result.run) progress.runs.push(result.run);
    progress.errors.push(...result.errors);
    const page =
      annotate && result.run
        ? await runPageAnnotation({
            root: plan.root,
            file: filepath,
            run: result.run,
            outcomes: [...result.outcomes.values()],
          })
        : undefined;
    for (const { test, selected } of scored.runnable) {
      const outcome = result.outcomes.get(selected.eval.name);
      if (!outcome) continue;
      const annotation = applyOutcome({ test, outcome, startTime });
      // Under --ui the Code tab shows the score beside the eval's definition.
      const location = tree.locate(selected.eval.name);
      if (location) annotation.location = { file: filepath, ...location };
      await this.#annotate(test, annotation, annotate);
      if (page) await this.#annotate(test, page(), annotate);
      progress.pending.push(test);
    }
    const replayTest = scored.replayTest;
    if (replayTest) {
      const annotation = result.run
        ? applyRun({ test: replayTest, run: result.run, startTime, duration })
        : failReplayTest({ test: replayTest, errors: result.errors, startTime, duration });
      await this.#annotate(replayTest, annotation, annotate);
      if (page) await this.#annotate(replayTest, page(), annotate);
      progress.pending.push(replayTest);
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

  /**
   * A thread scoring this chunk was ended (it timed out or ran out of memory): puts back what it
   * had delivered — the main thread kept it — and returns the group to go on from.
   */
  #restore({
    chunk,
    resumed,
    progress,
  }: {
    chunk: CollectedChunk<RunnerTestCase>;
    resumed: FileResume;
    progress: ChunkProgress;
  }): number {
    const saved = new Map(resumed.saved.map(([id, result, meta]) => [id, { result, meta }]));
    const fileMeta = resumed.fileMeta ? loopletFileMeta(resumed.fileMeta) : undefined;
    progress.runs.push(...(fileMeta?.runs ?? []));
    progress.errors.push(...(fileMeta?.errors ?? []));
    let fromGroup = 0;
    for (const [index, group] of chunk.groups.entries()) {
      const tests = [...group.tests.map(({ test }) => test), ...(group.replayTest ? [group.replayTest] : [])];
      const running = tests.filter((test) => test.mode === 'run');
      if (running.length > 0 && running.some((test) => !saved.has(test.id))) break;
      fromGroup = index + 1;
      for (const test of running) {
        const kept = saved.get(test.id)!;
        test.result = kept.result;
        Object.assign(test.meta, kept.meta);
        const meta = loopletMeta(test.meta);
        const startTime = kept.result?.startTime ?? 0;
        if (meta?.outcome) test.annotations.push(applyOutcome({ test, outcome: meta.outcome, startTime }));
        else if (meta?.run)
          test.annotations.push(
            applyRun({ test, run: meta.run, startTime, duration: kept.result?.duration ?? 0 }),
          );
        progress.pending.push(test);
      }
    }
    return fromGroup;
  }

  /**
   * Sends the scored tests to the main process, with the chunk file's meta so far (its runs and
   * errors): if this thread is ended, its replacement starts from what was sent.
   */
  async #flush({
    file,
    chunk,
    progress,
    last = false,
  }: {
    file: RunnerTestFile;
    chunk: CollectedChunk<RunnerTestCase>;
    progress: ChunkProgress;
    last?: boolean;
  }): Promise<void> {
    const tasks = progress.pending;
    if (tasks.length === 0) return;
    const packs: RunnerTaskResultPack[] = tasks.map((task) => [task.id, task.result, task.meta]);
    // Reporters that print each test (verbose, dot, tap…) do it on its 'test-finished' event.
    const events: RunnerTaskEventPack[] = tasks.map((task) => [
      task.id,
      task.type === 'test' ? 'test-finished' : 'suite-finished',
      undefined,
    ]);
    if (!last) {
      // Only a supervised thread can be replaced; vitest sends the file's final meta itself.
      setLoopletFileMeta(file.meta, {
        runs: progress.runs,
        obsolete: chunk.obsolete,
        errors: progress.errors,
      });
      if (threadContext()) packs.push([file.id, file.result, file.meta]);
    }
    progress.pending = [];
    await this.onTaskUpdate?.(packs, events);
  }
}

/** What a chunk has scored so far. */
interface ChunkProgress {
  runs: RunRecord[];
  errors: InfrastructureError[];
  /** Tests (and, last, suites) scored and not sent yet. */
  pending: RunnerTask[];
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

/** `Date` is frozen inside the sandbox, so stamps and durations use the monotonic clock. */
function wallClock(): number {
  return performance.timeOrigin + performance.now();
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
