import type { LLMBackend } from '../core/llm.js';
import { isPromiseLike } from '../util/maybe-async.js';
import { type EvalsInput, toEvalDefinitions } from './definitions.js';
import { throwLocation } from './error-location.js';
import { JudgeNotConfiguredError } from './errors.js';
import { createJudge, isJudge, type Judge } from './judge.js';
import { inScope, selectEvals } from './marks.js';
import { DEFAULT_THRESHOLD, normalizeReturn } from './normalize.js';
import type {
  EvalContext,
  EvalDefinition,
  EvalErrorInfo,
  EvalOutcome,
  EvalTools,
  NormalizedResult,
} from './types.js';

/** Milliseconds an async eval may take unless its mark says otherwise. */
export const DEFAULT_EVAL_TIMEOUT_MS = 60_000;

/** The options of {@link runEval}. */
export interface RunEvalOptions {
  eval: EvalDefinition;
  context: EvalContext;
  /** The judge for evals that want one; without it they are skipped (required ones fail). */
  judge?: Judge | LLMBackend;
  /** The run's pass boundary for numeric scores (default 0.5); an eval's own `threshold` mark wins. */
  threshold?: number;
  /** Default timeout for async evals in ms (default 60 000); an eval's own `timeout` mark wins. */
  timeoutMs?: number;
  /** Set by `selectEvals` for a required eval the filters left out: reported without running. */
  deselected?: string;
}

/**
 * Runs one eval on one context and normalises what it returned (or threw) into an
 * {@link EvalOutcome}. Never throws for anything the eval does: errors, timeouts and invalid
 * returns become `error` outcomes. This is what a runner calls once per eval × trace.
 */
export async function runEval(options: RunEvalOptions): Promise<EvalOutcome> {
  const { eval: definition, context } = options;
  const marks = definition.marks;
  const threshold = effectiveThreshold({ definition, runThreshold: options.threshold });
  const outcome = (normalized: NormalizedResult, durationMs: number): EvalOutcome => {
    const result: EvalOutcome = {
      name: definition.name,
      context: context.id,
      ...applyRequired(normalized, marks.required),
      required: marks.required,
      // Shared, frozen: thousands of outcomes of one eval need not each copy its tags.
      tags: marks.tags,
      threshold,
      durationMs,
    };
    if (definition.file !== undefined) result.file = definition.file;
    return result;
  };
  if (options.deselected !== undefined) return outcome(skipped(options.deselected), 0);
  if (marks.skip !== undefined) return outcome(skipped(marks.skip), 0);
  if (context.collectorErrors.length > 0) {
    const list = context.collectorErrors.map((error) => `${error.collector} ${error.message}`).join('; ');
    return outcome(failure({ kind: 'collector', message: `not scored: collector failed: ${list}` }), 0);
  }
  const judge = options.judge === undefined ? undefined : asJudge(options.judge);
  if (marks.judge && judge === undefined) return outcome(skipped('needs a judge; none is configured'), 0);

  const started = performance.now();
  let normalized: NormalizedResult;
  try {
    let value = definition.fn(context, judge ? { judge } : NO_JUDGE);
    if (isPromiseLike(value)) {
      value = await withTimeout(value, marks.timeoutMs ?? options.timeoutMs ?? DEFAULT_EVAL_TIMEOUT_MS);
    }
    normalized = normalizeReturn({ value, threshold });
  } catch (error) {
    normalized = failure(thrownInfo(error, definition.file));
  }
  return outcome(normalized, performance.now() - started);
}

/** The options of {@link runEvals}. */
export interface RunEvalsOptions {
  /** Discovered definitions, a list of named eval functions, or an object (module) of them. */
  evals: EvalsInput;
  /** The runs to score: contexts from traces, cases or live runs (an async iterable streams them). */
  contexts: Iterable<EvalContext> | AsyncIterable<EvalContext>;
  judge?: Judge | LLMBackend;
  /** Run only evals with at least one of these tags. */
  include?: readonly string[];
  /** Skip evals with any of these tags. */
  exclude?: readonly string[];
  threshold?: number;
  timeoutMs?: number;
  /** Called with each outcome as soon as it is known (progress, streaming reports). */
  onOutcome?: (outcome: EvalOutcome) => void;
  /** Called as each eval starts (a runner's watchdog and sandbox name the eval running). */
  onEvalStart?: (definition: EvalDefinition) => void;
}

/**
 * Runs every selected eval on every context, context by context, and returns the outcomes in
 * that order (eval order within a context). Evals run one at a time, so an eval may rely on
 * nothing but its context.
 *
 * @example
 * const outcomes = await runEvals({ evals: await discoverEvals({ paths: ['evals'] }), contexts });
 * const summary = summarizeRun({ outcomes });
 */
export async function runEvals(options: RunEvalsOptions): Promise<EvalOutcome[]> {
  const selected = selectEvals({
    evals: toEvalDefinitions({ evals: options.evals }),
    include: options.include ?? [],
    exclude: options.exclude ?? [],
  });
  const judge = options.judge === undefined ? undefined : asJudge(options.judge);
  const outcomes: EvalOutcome[] = [];
  const score = async (context: EvalContext) => {
    for (const { eval: definition, deselected } of selected) {
      if (!inScope({ marks: definition.marks, contextId: context.id })) continue;
      options.onEvalStart?.(definition);
      const outcome = await runEval({
        eval: definition,
        context,
        judge,
        threshold: options.threshold,
        timeoutMs: options.timeoutMs,
        deselected,
      });
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  };
  // A plain list is walked synchronously: `for await` would add a promise per context.
  if (Symbol.iterator in options.contexts) for (const context of options.contexts) await score(context);
  else for await (const context of options.contexts) await score(context);
  return outcomes;
}

/**
 * The pass boundary of an eval: its own `threshold` mark, else the run's, else 0.5. A run
 * threshold can raise a required eval's boundary but never lower it below the eval's own (or 0.5).
 */
export function effectiveThreshold({
  definition,
  runThreshold,
}: {
  definition: EvalDefinition;
  runThreshold?: number | undefined;
}): number {
  const own = definition.marks.threshold;
  if (definition.marks.required) return Math.max(own ?? DEFAULT_THRESHOLD, runThreshold ?? 0);
  return own ?? runThreshold ?? DEFAULT_THRESHOLD;
}

function applyRequired(normalized: NormalizedResult, required: boolean): NormalizedResult {
  if (!required) return normalized;
  if (normalized.status === 'skipped')
    return {
      ...normalized,
      status: 'failed',
      passed: false,
      reason: `required eval skipped: ${normalized.reason}`,
    };
  if (normalized.status === 'reported') {
    return {
      ...normalized,
      status: 'failed',
      passed: false,
      reason:
        normalized.label === undefined
          ? 'required eval returned only metrics; return a verdict (boolean, score or pass/fail label)'
          : `required eval returned label "${normalized.label}", which is neither pass nor fail`,
    };
  }
  return normalized;
}

function skipped(reason: string): NormalizedResult {
  return { status: 'skipped', metrics: {}, details: {}, reason };
}

function failure(error: EvalErrorInfo): NormalizedResult {
  return { status: 'error', metrics: {}, details: {}, error };
}

function thrownInfo(error: unknown, file: string | undefined): EvalErrorInfo {
  if (error instanceof EvalTimeoutError) return { kind: 'timeout', message: error.message };
  if (error instanceof Error) {
    const info: EvalErrorInfo = { kind: 'threw', message: error.message, name: error.name };
    if (error.stack !== undefined) info.stack = error.stack;
    const location = throwLocation({ stack: error.stack, ...(file !== undefined ? { file } : {}) });
    if (location !== undefined) info.location = location;
    return info;
  }
  return { kind: 'threw', message: `threw a non-error value: ${String(error)}` };
}

class EvalTimeoutError extends Error {}

function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EvalTimeoutError(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

function asJudge(judge: Judge | LLMBackend): Judge {
  return isJudge(judge) ? judge : createJudge({ llm: judge });
}

/** Passed to evals that did not ask for a judge: using it says how to configure one. */
const NO_JUDGE: EvalTools = Object.freeze({
  get judge(): never {
    throw new JudgeNotConfiguredError();
  },
});
