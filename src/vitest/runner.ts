import { readFile } from 'node:fs/promises';
import type {
  RunnerTaskEventPack,
  RunnerTaskResultPack,
  RunnerTestCase,
  RunnerTestFile,
  RunnerTestSuite,
  TestAnnotation,
} from 'vitest';
import { TestRunner } from 'vitest';
import { contextFromTrace } from '../evals/context.js';
import { discoverEvals } from '../evals/discover.js';
import { type SelectedEval, selectEvals } from '../evals/marks.js';
import { runEval } from '../evals/run.js';
import type { EvalContext, EvalDefinition, EvalOutcome } from '../evals/types.js';
import { openTrace } from '../provenance/read-trace.js';
import { describeOutcome } from '../report/format.js';
import { setLoopletMeta, testName } from './meta.js';
import { CHUNK_SUFFIX, type ChunkPlan, parseChunkFile, type TraceRef } from './plan.js';
import { installSandbox } from './sandbox.js';

/** One registered test: which eval it runs on which trace. */
interface PlannedTest {
  test: RunnerTestCase;
  selected: SelectedEval;
}

/** A chunk file after collection: its plan and its tests grouped by trace, in order. */
interface CollectedChunk {
  plan: ChunkPlan;
  byTrace: Array<{ trace: TraceRef; tests: PlannedTest[] }>;
}

/** Results are sent to the main process in batches, not per test: per-test messages would cost more than scoring. */
const UPDATE_BATCH = 500;

/** Virtual-time helper: `Date` is frozen inside the sandbox, so durations and stamps use the monotonic clock. */
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * The vitest runner behind `looplet-eval`. Vitest hands it generated chunk files (see
 * `plan.ts`); for each it imports the eval files (through vite, so TypeScript works), registers
 * one test per eval × trace named `eval_name › trace_id`, and when the file runs, scores every
 * test in one pass: each trace is read once, evals run in the replay sandbox, and outcomes go to
 * `task.meta.looplet` and the test's annotations so every vitest reporter, filter and the UI see
 * them. Tests are created directly rather than through `test()`, which captures a stack trace per
 * call — at thousands of traces that, not scoring, would dominate the run.
 */
export default class LoopletRunner extends TestRunner {
  /** Set by vitest's worker on the runner instance: sends result packs to the main process. */
  declare onTaskUpdate?: (packs: RunnerTaskResultPack[], events: RunnerTaskEventPack[]) => Promise<void>;
  /** Set by vitest's worker: records an annotation in the main process (the UI shows it). */
  declare onTestAnnotate?: (test: RunnerTestCase, annotation: TestAnnotation) => Promise<TestAnnotation>;
  readonly #chunks = new Map<string, CollectedChunk>();

  override async importFile(filepath: string, source: 'collect' | 'setup'): Promise<unknown> {
    if (source !== 'collect' || !filepath.endsWith(CHUNK_SUFFIX)) return super.importFile(filepath, source);
    // vitest sets the file being collected on the default suite before importing it; onCollectStart
    // is not awaited by vitest and may run after this import has begun.
    const file = (TestRunner.getCurrentSuite() as { file?: RunnerTestFile }).file;
    if (!file || file.filepath !== filepath)
      throw new Error(`looplet runner: collecting ${filepath} without its file task`);
    const plan = parseChunkFile(await readFile(filepath, 'utf8'));
    const evals = await this.#importEvals(plan.evalFiles);
    const selected = selectEvals({ evals, include: plan.options.include, exclude: plan.options.exclude });
    const byTrace = plan.traces.map((trace) => ({
      trace,
      tests: selected.map((choice) => ({ selected: choice, test: this.#createTest(file, choice, trace) })),
    }));
    for (const group of byTrace) for (const planned of group.tests) file.tasks.push(planned.test);
    this.#chunks.set(filepath, { plan, byTrace });
    return {};
  }

  async runSuite(suite: RunnerTestSuite): Promise<void> {
    const chunk = this.#chunks.get(suite.file.filepath);
    if (!chunk || suite !== suite.file) {
      throw new Error(
        `looplet's runner only runs looplet eval files; ${suite.file.filepath} is an ordinary test file — keep ordinary tests in another vitest project (see docs/vitest.md)`,
      );
    }
    const sandbox = installSandbox({
      allowHosts: chunk.plan.options.allowHosts ?? [],
      network: chunk.plan.options.allowNetwork === true,
    });
    const pending: RunnerTestCase[] = [];
    try {
      for (const { trace, tests } of chunk.byTrace) {
        const runnable = tests.filter(({ test }) => test.mode === 'run');
        if (runnable.length === 0) continue;
        const context = loadContext(trace);
        for (const { test, selected } of runnable) {
          sandbox.subject = { eval: selected.eval.name, trace: trace.id };
          const startTime = wallClock();
          const outcome =
            context instanceof Error
              ? traceErrorOutcome(selected.eval, trace, context)
              : await runEval({
                  eval: selected.eval,
                  context,
                  threshold: chunk.plan.options.threshold,
                  timeoutMs: chunk.plan.options.timeoutMs,
                  deselected: selected.deselected,
                });
          const annotation = applyOutcome(test, outcome, trace, startTime);
          test.annotations.push(
            chunk.plan.options.annotate && this.onTestAnnotate
              ? await this.onTestAnnotate(test, annotation)
              : annotation,
          );
          pending.push(test);
        }
        if (pending.length >= UPDATE_BATCH) await this.#flush(pending);
      }
    } finally {
      sandbox.restore();
      await this.#flush(pending);
    }
  }

  async #flush(tests: RunnerTestCase[]): Promise<void> {
    if (tests.length === 0) return;
    const packs: RunnerTaskResultPack[] = tests.map((test) => [test.id, test.result, test.meta]);
    const events: RunnerTaskEventPack[] = [];
    tests.length = 0;
    await this.onTaskUpdate?.(packs, events);
  }

  #importEvals(files: readonly string[]): Promise<EvalDefinition[]> {
    // Through vitest's module runner (vite), so TypeScript eval files import like tests do.
    return discoverEvals({
      paths: files,
      importModule: (file) => super.importFile(file, 'collect') as Promise<Record<string, unknown>>,
    });
  }

  #createTest(file: RunnerTestFile, choice: SelectedEval, trace: TraceRef): RunnerTestCase {
    const name = testName({ evalName: choice.eval.name, contextId: trace.id });
    const skip = choice.eval.marks.skip !== undefined && !choice.eval.marks.required;
    const test = {
      id: '',
      name,
      fullName: `${file.name} > ${name}`,
      fullTestName: name,
      suite: file,
      file,
      type: 'test',
      mode: skip ? 'skip' : 'run',
      meta: Object.create(null),
      annotations: [],
      artifacts: [],
      tags: [],
      timeout: this.config.testTimeout,
      retry: 0,
      context: undefined,
    } as unknown as RunnerTestCase;
    return test;
  }
}

/** Opens a trace synchronously (a few small reads; steps stay lazy); an unreadable trace is returned as its error. */
function loadContext(trace: TraceRef): EvalContext | Error {
  try {
    return contextFromTrace({ trace: openTrace(trace.dir), id: trace.id });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function traceErrorOutcome(definition: EvalDefinition, trace: TraceRef, error: Error): EvalOutcome {
  return {
    name: definition.name,
    context: trace.id,
    status: 'error',
    metrics: {},
    details: {},
    error: {
      kind: 'trace',
      message: `could not read trace ${trace.dir}: ${error.message}`,
      name: error.name,
    },
    required: definition.marks.required,
    tags: [...definition.marks.tags],
    threshold: definition.marks.threshold ?? 0.5,
    durationMs: 0,
  };
}

/** Sets the test's result and meta from an outcome; returns the annotation that describes it. */
function applyOutcome(
  test: RunnerTestCase,
  outcome: EvalOutcome,
  trace: TraceRef,
  startTime: number,
): TestAnnotation {
  setLoopletMeta(test.meta, { outcome, source: trace.dir });
  const summary = `${outcome.status}${outcome.required ? ' (required)' : ''}: ${describeOutcome(outcome)}`;
  const base = { startTime, duration: outcome.durationMs };
  switch (outcome.status) {
    case 'passed':
    case 'reported':
      test.result = { ...base, state: 'pass' };
      break;
    case 'skipped':
      test.mode = 'skip';
      test.result = { ...base, state: 'skip' };
      break;
    case 'failed':
      test.result = { ...base, state: 'fail', errors: [{ name: 'EvalFailure', message: summary }] };
      break;
    case 'error': {
      const error = outcome.error;
      test.result = {
        ...base,
        state: 'fail',
        errors: [
          {
            name: error?.name ?? 'EvalError',
            message: summary,
            ...(error?.stack ? { stack: error.stack } : {}),
          },
        ],
      };
      break;
    }
  }
  return { type: 'looplet', message: summary };
}
