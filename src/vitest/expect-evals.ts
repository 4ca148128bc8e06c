import type { LLMBackend } from '../core/llm.js';
import { type Collector, runCollectors } from '../evals/collectors.js';
import { contextFromRun } from '../evals/context.js';
import type { EvalsInput } from '../evals/definitions.js';
import { EvalDefinitionError } from '../evals/errors.js';
import type { Judge } from '../evals/judge.js';
import { runEvals } from '../evals/run.js';
import type { EvalContext, EvalOutcome, EvalStatus } from '../evals/types.js';
import type { AgentRun } from '../loop/agent-loop.js';
import { formatOutcome } from '../report/format.js';
import { LoopletError } from '../util/errors.js';

/** The options of {@link expectEvals}: the run to score (`run` or `context`) and the evals. */
export interface ExpectEvalsOptions {
  /** A run from `agentLoop()`: awaited to its end (iterated or not), then scored. */
  run?: AgentRun;
  /** Or a context you already have (`contextFromRun`, `contextFromTrace`, a case run's `context`). */
  context?: EvalContext;
  /** A module namespace (`import * as evals from './evals/eval_x.js'`), an object or a list of evals. */
  evals: EvalsInput;
  /** With `run`: grader-only data for `ctx.expected`. */
  expected?: Record<string, unknown>;
  /** With `run`: collectors whose objects become `ctx.artifacts`. */
  collectors?: readonly Collector[];
  /** With `run`: the name in messages (default: the run id). */
  id?: string;
  judge?: Judge | LLMBackend;
  include?: readonly string[];
  exclude?: readonly string[];
  threshold?: number;
  timeoutMs?: number;
}

/** Outcomes that do not fail a test: verdicts that passed, metrics, and skips of evals that are not required. */
const FINE: ReadonlySet<EvalStatus> = new Set(['passed', 'reported', 'skipped']);

/**
 * Evals failed (or errored) on a run asserted with {@link expectEvals}. The message lists each
 * failing eval with its score, error or reason; `outcomes` holds every outcome.
 */
export class EvalsFailedError extends LoopletError {
  /** Every outcome of the run, failing or not. */
  readonly outcomes: readonly EvalOutcome[];
  /** The outcomes that failed the assertion. */
  readonly failures: readonly EvalOutcome[];

  constructor({
    outcomes,
    failures,
    context,
  }: { outcomes: EvalOutcome[]; failures: EvalOutcome[]; context: string }) {
    const lines = failures.map((outcome) => {
      const line = `  ${formatOutcome(outcome)}`;
      // Where a thrown eval threw: the first frame of its stack.
      const frame = outcome.error?.stack?.split('\n').find((text) => /^\s+at /.test(text));
      return frame ? `${line}\n      ${frame.trim()}` : line;
    });
    super({
      message: `${failures.length} of ${outcomes.length} eval${outcomes.length === 1 ? '' : 's'} failed on ${context}:\n${lines.join('\n')}`,
      code: 'EVALS_FAILED',
    });
    this.outcomes = outcomes;
    this.failures = failures;
  }
}

/**
 * Scores a run with evals and throws {@link EvalsFailedError} when any failed or errored — one
 * line in a test (vitest, node:test, anything that fails on a throw). A required eval that was
 * skipped or answered only metrics counts as failed, as in `looplet-eval`; other skips and
 * metric-only answers do not fail the test. Resolves to the outcomes.
 *
 * @example
 * import * as evals from '../evals/eval_prices.js';
 *
 * test('the agent totals the prices', async () => {
 *   await expectEvals({ run: agentLoop({ llm, tools, task }), evals, expected: { total: 13 } });
 * });
 */
export async function expectEvals(options: ExpectEvalsOptions): Promise<EvalOutcome[]> {
  const context = await contextOf(options);
  const outcomes = await runEvals({
    evals: options.evals,
    contexts: [context],
    judge: options.judge,
    include: options.include,
    exclude: options.exclude,
    threshold: options.threshold,
    timeoutMs: options.timeoutMs,
  });
  // An assertion that checked nothing must not pass.
  if (outcomes.length === 0)
    throw new EvalDefinitionError({
      message: `expectEvals: no eval scored ${context.id}: pass eval_* functions (a module namespace, an object or a list), and check include/exclude and scope marks`,
    });
  const failures = outcomes.filter((outcome) => !FINE.has(outcome.status));
  if (failures.length > 0) throw new EvalsFailedError({ outcomes, failures, context: context.id });
  return outcomes;
}

async function contextOf(options: ExpectEvalsOptions): Promise<EvalContext> {
  const { run, context } = options;
  if ((run === undefined) === (context === undefined))
    throw new EvalDefinitionError({
      message: 'expectEvals: pass either `run` (an agentLoop run) or `context`, not both',
    });
  if (context) return context;
  const result = await run!.result;
  const collected = await runCollectors({ collectors: options.collectors ?? [], state: run!.state, result });
  return contextFromRun({
    result,
    state: run!.state,
    expected: options.expected ?? {},
    artifacts: collected.artifacts,
    collectorErrors: collected.errors,
    ...(options.id === undefined ? {} : { id: options.id }),
  });
}
