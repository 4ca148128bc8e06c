/**
 * What a hook method may return. Every field is optional; a hook that returns nothing (or an
 * empty object) changes nothing. Fields that do not apply where the hook runs are ignored.
 */
export interface HookDecision {
  /** Refuse the tool call (or the done call, in `checkDone`); the model sees this reason. */
  block?: string;
  /** With `block`: tell the model it may correct the call and try again (otherwise: do not retry). */
  retry?: boolean;
  /** End the run after the current step, with end reason `hook_stop` and this reason. */
  stop?: string;
  /** Replace the tool call's arguments before it is dispatched. */
  updatedArgs?: Record<string, unknown>;
  /** In `preDispatch`: skip the tool and use this result. In `postDispatch`: replace the result. */
  updatedResult?: unknown;
  /** Text added to the conversation before the next model call, in hook order. */
  additionalContext?: string;
  /** Free-form data kept on the step (and in traces), never shown to the model. */
  metadata?: Record<string, unknown>;
}

/** The merged outcome of several hooks' decisions at one hook point. */
export interface MergedDecision extends HookDecision {
  /** Index in the hook list of the hook whose `block` won. */
  blockedBy?: number;
}

/** Allow: the explicit no-op decision. */
export function allow(): HookDecision {
  return {};
}

/** Deny a tool call; the model is told not to retry it. */
export function deny(reason: string): HookDecision {
  return { block: reason, retry: false };
}

/** Block a tool call (or a done call); by default the model is invited to fix it and retry. */
export function block(reason: string, { retry = true }: { retry?: boolean } = {}): HookDecision {
  return { block: reason, retry };
}

/** End the run after this step with end reason `hook_stop`. */
export function stop(reason: string): HookDecision {
  return { stop: reason };
}

/** Add text to the conversation before the next model call. */
export function inject(context: string): HookDecision {
  return { additionalContext: context };
}

/** Replace the tool call's arguments. */
export function updateArgs(args: Record<string, unknown>): HookDecision {
  return { updatedArgs: args };
}

/** Replace (or, in `preDispatch`, supply) the tool result. */
export function updateResult(result: unknown): HookDecision {
  return { updatedResult: result };
}

/**
 * The decision helpers, grouped so they read as what they are next to a user's own code:
 * `return decide.block('cite a source first')`. Each returns a plain {@link HookDecision}; a hook
 * may equally return the object literal.
 */
export const decide = Object.freeze({
  /** The explicit no-op decision: `{}`. */
  allow,
  /** Refuse a tool call for good: `{ block: reason, retry: false }`. */
  deny,
  /** Refuse a tool call (inviting a corrected retry unless `retry: false`), or refuse a done call. */
  block,
  /** End the run after this step with end reason `hook_stop`: `{ stop: reason }`. */
  stop,
  /** Add text to the conversation before the next model call: `{ additionalContext: text }`. */
  inject,
  /** Replace the tool call's arguments: `{ updatedArgs: args }`. */
  updateArgs,
  /** Replace (or, in `preDispatch`, supply) the tool result: `{ updatedResult: value }`. */
  updateResult,
});

/**
 * Combines the decision so far with the next hook's, following the composition laws:
 * first block wins (and a blocked decision absorbs everything after it), first stop wins and
 * is never undone, later argument/result updates replace earlier ones, additional context
 * accumulates in order, metadata merges with later keys overriding. The operation is
 * associative and `{}` is its identity, which is what makes hook composition associative.
 */
export function mergeDecisions(earlier: HookDecision, later: HookDecision): HookDecision {
  if (earlier.block !== undefined) return earlier;
  const merged: HookDecision = { ...earlier };
  if (later.block !== undefined) {
    merged.block = later.block;
    merged.retry = later.retry;
  }
  if (merged.stop === undefined && later.stop !== undefined) merged.stop = later.stop;
  if (later.updatedArgs !== undefined) merged.updatedArgs = later.updatedArgs;
  if (later.updatedResult !== undefined) merged.updatedResult = later.updatedResult;
  if (later.additionalContext !== undefined) {
    merged.additionalContext =
      merged.additionalContext === undefined
        ? later.additionalContext
        : `${merged.additionalContext}\n${later.additionalContext}`;
  }
  if (later.metadata !== undefined) merged.metadata = { ...merged.metadata, ...later.metadata };
  return merged;
}

/**
 * The decision with only its effective fields: `retry` without `block` and empty metadata carry
 * no meaning and are dropped. Two hooks are equivalent when their normalised decisions are equal.
 */
export function normalizeDecision(decision: HookDecision): HookDecision {
  const out: HookDecision = {};
  if (decision.block !== undefined) {
    out.block = decision.block;
    if (decision.retry !== undefined) out.retry = decision.retry;
  }
  if (decision.stop !== undefined) out.stop = decision.stop;
  if (decision.updatedArgs !== undefined) out.updatedArgs = decision.updatedArgs;
  if (decision.updatedResult !== undefined) out.updatedResult = decision.updatedResult;
  if (decision.additionalContext !== undefined) out.additionalContext = decision.additionalContext;
  if (decision.metadata !== undefined && Object.keys(decision.metadata).length > 0)
    out.metadata = decision.metadata;
  return out;
}

/** True when a decision has no effect at all. */
export function isNoop(decision: HookDecision): boolean {
  return (
    decision.block === undefined &&
    decision.stop === undefined &&
    decision.updatedArgs === undefined &&
    decision.updatedResult === undefined &&
    decision.additionalContext === undefined &&
    (decision.metadata === undefined || Object.keys(decision.metadata).length === 0)
  );
}
