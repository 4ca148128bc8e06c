import type { LoopState } from '../../core/state.js';
import type { Step } from '../../core/step.js';
import type { Usage } from '../../core/types.js';
import { type HookDecision, inject, stop } from '../decision.js';
import type { Hook } from '../hooks.js';
import { HookConfigError } from './errors.js';

/** Where a budget stands, given to a custom warning message. */
export interface BudgetStatus {
  /** What is counted: `steps`, `total tokens`, `prompt tokens` or `completion tokens`. */
  budget: string;
  used: number;
  limit: number;
}

/** Options every budget takes. */
export interface BudgetWarningOptions {
  /**
   * Warn the model (as added context) once, after the step in which usage first reaches this
   * fraction of the limit. Default 0.8; `false` never warns.
   */
  warnAt?: number | false;
  /** The warning text (default: the figures and a request to finish up). */
  warning?: (status: BudgetStatus) => string;
}

/** The options of {@link stepBudget}. */
export interface StepBudgetOptions extends BudgetWarningOptions {
  /** Steps after which the run stops (with `hook_stop`). */
  maxSteps: number;
  /** Replaces "step budget exhausted" at the start of the stop reason; the figures are always appended. */
  reason?: string;
}

/** The options of {@link tokenBudget}. Give at least one limit; the first one reached stops the run. */
export interface TokenBudgetOptions extends BudgetWarningOptions {
  /** Limit on prompt + completion tokens summed over the run. */
  maxTotalTokens?: number;
  /** Limit on prompt tokens summed over the run (every call re-sends the conversation, so this grows fastest). */
  maxPromptTokens?: number;
  /** Limit on completion tokens summed over the run. */
  maxCompletionTokens?: number;
  /** Replaces "token budget exhausted" at the start of the stop reason; the figures are always appended. */
  reason?: string;
}

const DEFAULT_WARN_AT = 0.8;

/**
 * A `shouldStop` hook that ends the run with `hook_stop` once `maxSteps` steps have run, e.g. to
 * give one phase of a task a smaller budget than the loop's own `maxSteps`. The stop reason
 * names the budget and the figures: `step budget exhausted: 5 of 5 steps used`.
 *
 * @example
 * agentLoop({ llm, tools, task, hooks: [stepBudget({ maxSteps: 5 })] });
 */
export function stepBudget(options: StepBudgetOptions): Hook {
  const hook = 'stepBudget';
  const { maxSteps } = options;
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new HookConfigError({
      hook,
      option: 'maxSteps',
      problem: `must be a positive integer, got ${String(maxSteps)}`,
    });
  const warnAt = checkWarnAt(hook, options.warnAt);
  const warning = options.warning ?? defaultWarning;
  const lead = options.reason ?? 'step budget exhausted';
  return {
    name: 'stepBudget',
    shouldStop({ step }: { step: number }): HookDecision | undefined {
      if (step >= maxSteps) return stop(`${lead}: ${step} of ${maxSteps} steps used`);
      if (warnAt !== false && crosses({ before: step - 1, after: step, line: warnAt * maxSteps }))
        return inject(warning({ budget: 'steps', used: step, limit: maxSteps }));
      return undefined;
    },
  };
}

/**
 * A `shouldStop` hook that ends the run with `hook_stop` once the run's token usage (as the
 * backend reports it, summed over every model call) reaches a limit. The check runs after each
 * step, so the step that crosses the limit still completes: set the limit one call's worth below
 * a hard cap. The stop reason names the budget and the figures:
 * `token budget exhausted: 10250 total tokens used, limit 10000`.
 *
 * @example
 * agentLoop({ llm, tools, task, hooks: [tokenBudget({ maxTotalTokens: 50_000 })] });
 */
export function tokenBudget(options: TokenBudgetOptions): Hook {
  const hook = 'tokenBudget';
  const limits: Array<{ budget: string; limit: number; of: (usage: Usage) => number }> = [];
  const add = (option: keyof TokenBudgetOptions, budget: string, of: (usage: Usage) => number) => {
    const limit = options[option];
    if (limit === undefined) return;
    if (typeof limit !== 'number' || !(limit > 0))
      throw new HookConfigError({ hook, option, problem: `must be a positive number, got ${String(limit)}` });
    limits.push({ budget, limit, of });
  };
  add('maxTotalTokens', 'total tokens', (usage) => usage.totalTokens);
  add('maxPromptTokens', 'prompt tokens', (usage) => usage.promptTokens);
  add('maxCompletionTokens', 'completion tokens', (usage) => usage.completionTokens);
  if (limits.length === 0)
    throw new HookConfigError({
      hook,
      option: 'maxTotalTokens',
      problem: 'give at least one of maxTotalTokens, maxPromptTokens, maxCompletionTokens',
    });
  const warnAt = checkWarnAt(hook, options.warnAt);
  const warning = options.warning ?? defaultWarning;
  const lead = options.reason ?? 'token budget exhausted';
  return {
    name: 'tokenBudget',
    shouldStop({ state, current }: { state: LoopState; current: Step }): HookDecision | undefined {
      for (const { budget, limit, of } of limits) {
        const used = of(state.usage);
        if (used >= limit) return stop(`${lead}: ${used} ${budget} used, limit ${limit}`);
      }
      if (warnAt === false) return undefined;
      const warnings: string[] = [];
      for (const { budget, limit, of } of limits) {
        const used = of(state.usage);
        // Usage only grows, so "before this step below the line, now at or above it" holds in one step only.
        if (crosses({ before: used - of(current.usage), after: used, line: warnAt * limit }))
          warnings.push(warning({ budget, used, limit }));
      }
      return warnings.length > 0 ? inject(warnings.join('\n')) : undefined;
    },
  };
}

function crosses({ before, after, line }: { before: number; after: number; line: number }): boolean {
  return before < line && after >= line;
}

function checkWarnAt(hook: string, warnAt: number | false | undefined): number | false {
  if (warnAt === undefined) return DEFAULT_WARN_AT;
  if (warnAt === false) return false;
  if (typeof warnAt !== 'number' || !(warnAt > 0 && warnAt < 1))
    throw new HookConfigError({
      hook,
      option: 'warnAt',
      problem: `must be a fraction between 0 and 1 (e.g. 0.8) or false, got ${String(warnAt)}`,
    });
  return warnAt;
}

function defaultWarning({ budget, used, limit }: BudgetStatus): string {
  const percent = Math.round((used / limit) * 100);
  return `Budget warning: ${used} of ${limit} ${budget} used (${percent}%). The run will be stopped at the limit: finish the task now, or call done with your best answer.`;
}
