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
import { type AgentFactory, runCase } from '../evals/case-runner.js';
import { type EvalCase, loadCaseFile } from '../evals/cases.js';
import type { Collector } from '../evals/collectors.js';
import { contextFromTrace } from '../evals/context.js';
import { toEvalDefinitions, uniqueEvals } from '../evals/definitions.js';
import { EvalImportError, type ImportFailure } from '../evals/errors.js';
import { createJudge, type Judge } from '../evals/judge.js';
import { inScope, selectEvals } from '../evals/marks.js';
import { runEval } from '../evals/run.js';
import type { EvalDefinition, EvalOutcome } from '../evals/types.js';
import { openTrace } from '../provenance/read-trace.js';
import { errorMessage } from '../util/errors.js';
import {
  applyOutcome,
  type ContextSource,
  createTest,
  sourceErrorOutcome,
  type TestGroup,
} from './chunk-tests.js';
import { MissingAgentError } from './errors.js';
import { CHUNK_SUFFIX, type ChunkPlan, parseChunkFile } from './plan.js';
import { installSandbox, type Sandbox } from './sandbox.js';

/** What eval files provide besides evals: the agent that cases run, and collectors for its state. */
interface EvalModules {
  definitions: EvalDefinition[];
  agent: AgentFactory | undefined;
  collectors: Collector[];
}

/** A chunk file after collection: its plan, what its eval files export, and its tests by context. */
interface CollectedChunk {
  plan: ChunkPlan;
  modules: EvalModules;
  groups: TestGroup[];
  /** Case files parsed so far: a file holding several cases is read once, not once per case. */
  caseFiles: Map<string, Promise<EvalCase[]>>;
}

/** Results are sent to the main process in batches, not per test: per-test messages would cost more than scoring. */
const UPDATE_BATCH = 500;

/** `Date` is frozen inside the sandbox, so stamps and durations use the monotonic clock. */
const wallClock = () => performance.timeOrigin + performance.now();

/**
 * The vitest runner behind `looplet-eval`. Vitest hands it generated chunk files (see `plan.ts`);
 * for each it imports the eval files (through vitest's module runner, so TypeScript works),
 * registers one test per eval × trace (and × case) named `eval_name › id`, and when the file
 * runs, scores them in one pass: each trace is read once (each case run once), evals run in the
 * replay sandbox, and outcomes go to `task.meta.looplet` — and, in interactive runs, to
 * annotations — so every vitest reporter, filter and the UI see them.
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
    if (source !== 'collect' || !filepath.endsWith(CHUNK_SUFFIX)) return super.importFile(filepath, source);
    // vitest sets the file being collected on the default suite before importing it (its
    // onCollectStart is not awaited and may run after this import has begun).
    const file = (TestRunner.getCurrentSuite() as { file?: RunnerTestFile }).file;
    if (!file || file.filepath !== filepath)
      throw new Error(`looplet runner: collecting ${filepath} without its file task`);
    const plan = parseChunkFile(await readFile(filepath, 'utf8'));
    const modules = await this.#importEvalFiles(plan.evalFiles);
    const selected = selectEvals({
      evals: modules.definitions,
      include: plan.options.include,
      exclude: plan.options.exclude,
    });
    const sources: ContextSource[] = [
      ...plan.traces.map((trace): ContextSource => ({ kind: 'trace', id: trace.id, dir: trace.dir })),
      ...plan.cases.map((item): ContextSource => ({ kind: 'case', id: item.id, file: item.file })),
    ];
    const timeout = this.config.testTimeout;
    const groups = sources.map((source) => ({
      source,
      tests: selected
        .filter((choice) => inScope({ marks: choice.eval.marks, contextId: source.id }))
        .map((choice) => ({
          selected: choice,
          test: createTest({ file, choice, contextId: source.id, timeout }),
        })),
    }));
    for (const group of groups) for (const planned of group.tests) file.tasks.push(planned.test);
    this.#chunks.set(filepath, { plan, modules, groups, caseFiles: new Map() });
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
    const pending: RunnerTestCase[] = [];
    try {
      for (const group of chunk.groups) {
        const runnable = group.tests.filter(({ test }) => test.mode === 'run');
        if (runnable.length === 0) continue;
        const startTime = wallClock();
        const outcomes =
          group.source.kind === 'trace'
            ? await this.#scoreTrace(chunk, group, sandbox)
            : await this.#scoreCase(chunk, group, sandbox);
        for (const { test, selected } of runnable) {
          const outcome = outcomes.get(selected.eval.name);
          if (!outcome) continue;
          const annotation = applyOutcome({ test, outcome, startTime });
          test.annotations.push(
            options.annotate && this.onTestAnnotate
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

  /** Reads the trace once and runs each eval on it. */
  async #scoreTrace(
    chunk: CollectedChunk,
    group: TestGroup,
    sandbox: Sandbox,
  ): Promise<Map<string, EvalOutcome>> {
    const outcomes = new Map<string, EvalOutcome>();
    const source = group.source as Extract<ContextSource, { kind: 'trace' }>;
    let context: ReturnType<typeof contextFromTrace>;
    try {
      context = contextFromTrace({ trace: openTrace(source.dir), id: source.id });
    } catch (error) {
      for (const { selected } of group.tests) {
        const message = `could not read trace ${source.dir}: ${errorMessage(error)}`;
        outcomes.set(
          selected.eval.name,
          sourceErrorOutcome({
            definition: selected.eval,
            source,
            kind: 'trace',
            message,
            errorName: (error as Error).name,
          }),
        );
      }
      return outcomes;
    }
    const options = chunk.plan.options;
    for (const { test, selected } of group.tests) {
      if (test.mode !== 'run') continue;
      sandbox.subject = { eval: selected.eval.name, trace: source.id };
      const outcome = await runEval({
        eval: selected.eval,
        context,
        threshold: options.threshold,
        timeoutMs: options.timeoutMs,
        deselected: selected.deselected,
      });
      outcomes.set(selected.eval.name, outcome);
    }
    return outcomes;
  }

  /** Runs the case's agent once (replayed or scripted) and scores the run with every eval. */
  async #scoreCase(
    chunk: CollectedChunk,
    group: TestGroup,
    sandbox: Sandbox,
  ): Promise<Map<string, EvalOutcome>> {
    const outcomes = new Map<string, EvalOutcome>();
    const source = group.source as Extract<ContextSource, { kind: 'case' }>;
    const failAll = (kind: 'agent' | 'replay', error: unknown) => {
      for (const { selected } of group.tests)
        outcomes.set(
          selected.eval.name,
          sourceErrorOutcome({
            definition: selected.eval,
            source,
            kind,
            message: errorMessage(error),
            errorName: (error as Error).name,
          }),
        );
      return outcomes;
    };
    let testCase: EvalCase | undefined;
    try {
      let cases = chunk.caseFiles.get(source.file);
      if (!cases) {
        cases = loadCaseFile({ file: source.file });
        chunk.caseFiles.set(source.file, cases);
      }
      testCase = (await cases).find((item) => item.id === source.id);
      if (!testCase) throw new Error(`case "${source.id}" is no longer in ${source.file}`);
      if (!chunk.modules.agent) throw new MissingAgentError({ caseId: source.id, file: source.file });
    } catch (error) {
      return failAll('agent', error);
    }
    const options = chunk.plan.options;
    const judge = await this.#judgeFor(options);
    sandbox.subject = { eval: 'agent', trace: source.id };
    const run = await runCase({
      case: testCase,
      agent: chunk.modules.agent,
      mode: testCase.trace ? 'replay' : testCase.script ? 'scripted' : 'live',
      evals: group.tests.map(({ selected }) => selected.eval),
      collectors: chunk.modules.collectors,
      ...(judge ? { judge } : {}),
      include: options.include,
      exclude: options.exclude,
      ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
      timeoutMs: options.timeoutMs,
    }).catch((error: unknown) => error as Error);
    if (run instanceof Error) return failAll('agent', run);
    for (const outcome of run.outcomes) outcomes.set(outcome.name, outcome);
    return outcomes;
  }

  async #flush(tests: RunnerTestCase[]): Promise<void> {
    if (tests.length === 0) return;
    const packs: RunnerTaskResultPack[] = tests.map((test) => [test.id, test.result, test.meta]);
    // Reporters that print each test (verbose, dot, tap…) do it on its 'test-finished' event.
    const events: RunnerTaskEventPack[] = tests.map((test) => [test.id, 'test-finished', undefined]);
    tests.length = 0;
    await this.onTaskUpdate?.(packs, events);
  }

  /** Imports eval files through vitest's module runner (so TypeScript works) and reads their exports. */
  async #importEvalFiles(files: readonly string[]): Promise<EvalModules> {
    const definitions: EvalDefinition[] = [];
    const failures: ImportFailure[] = [];
    let agent: AgentFactory | undefined;
    let agentFile: string | undefined;
    const collectors: Collector[] = [];
    for (const file of files) {
      let module: Record<string, unknown>;
      try {
        module = (await super.importFile(file, 'collect')) as Record<string, unknown>;
      } catch (error) {
        failures.push({ file, message: errorMessage(error), error });
        continue;
      }
      definitions.push(...toEvalDefinitions({ evals: module, file }));
      if (typeof module.agent === 'function') {
        if (agent && agentFile !== file) {
          failures.push({
            file,
            message: `exports \`agent\`, and so does ${agentFile}: cases need exactly one agent factory`,
            error: undefined,
          });
        }
        agent = module.agent as AgentFactory;
        agentFile = file;
      }
      if (Array.isArray(module.collectors)) collectors.push(...(module.collectors as Collector[]));
    }
    if (failures.length > 0) throw new EvalImportError(failures);
    return { definitions: uniqueEvals(definitions), agent, collectors };
  }
}
