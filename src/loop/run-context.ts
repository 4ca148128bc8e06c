import type { LoopState, Tool } from '../core/state.js';
import type { Clock, IdGenerator } from '../core/types.js';
import { HOOK_METHODS, type Hook, hooksWith } from './hooks.js';
import type { AgentLoopOptions } from './options.js';
import type { RunResult } from './result.js';

/** Hooks grouped by method once per run, so a step only visits hooks that implement something. */
export type HooksByMethod = { [M in (typeof HOOK_METHODS)[number]]: Hook[] };

/** Groups hooks by method, so a step only visits hooks that implement something. */
export function groupHooks(hooks: Hook[]): HooksByMethod {
  const grouped = {} as HooksByMethod;
  for (const method of HOOK_METHODS) grouped[method] = hooksWith(hooks, method);
  return grouped;
}

/** Everything one run needs, gathered by `agentLoop` and passed to the step loop. */
export interface RunContext {
  options: AgentLoopOptions;
  state: LoopState;
  tools: Map<string, Tool>;
  hooks: HooksByMethod;
  maxSteps: number;
  maxToolErrors: number;
  clock: Clock;
  ids: IdGenerator;
  controller: AbortController;
  /** Detaches the run from the caller's signal (a signal shared by many runs must not collect their listeners). */
  unlinkSignal: () => void;
  settle: { resolve: (result: RunResult) => void; reject: (error: unknown) => void };
}
