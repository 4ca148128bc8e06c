import type fc from 'fast-check';
import type { Tool } from '../core/state.js';
import type { Hook } from '../loop/hooks.js';
import { hookFromSpec } from './hook-spec.js';
import { type HookSource, type Observation, observeRun } from './observe.js';
import type { LawScenario } from './scenario.js';

/** The names of the hook laws. */
export type LawName =
  | 'identity'
  | 'associativity'
  | 'firstBlockWins'
  | 'stopIsFinal'
  | 'contextOrder'
  | 'loopEndOnce'
  | 'abortStopsDispatch';

/** What every law is checked against: the user's hooks and tools, and the composition under test. */
export interface LawContext {
  hooks: readonly HookSource[];
  /** A readable name per user hook, for counterexamples. */
  hookNames: readonly string[];
  tools: readonly Tool[];
  /** The composition the equivalence laws check (default `composeHooks`). */
  compose: (...hooks: Hook[]) => Hook;
}

/**
 * A law about hooks, checked by running the real loop: a statement, the scenarios it is checked
 * on, and a check that returns what went wrong (or undefined when the law held).
 */
export interface HookLaw {
  readonly name: LawName;
  /** The law in one sentence, as failures print it. */
  readonly statement: string;
  scenarios(context: LawContext): fc.Arbitrary<LawScenario>;
  verify(scenario: LawScenario, context: LawContext): Promise<string | undefined>;
}

/** The scenario's flat hook list: the user's hooks and fresh generated ones, in layout order. */
export function leavesOf(scenario: LawScenario, context: LawContext): HookSource[] {
  return scenario.layout.map((slot) => {
    if ('user' in slot) return context.hooks[slot.user]!;
    const spec = scenario.generated[slot.generated]!;
    return () => hookFromSpec(spec);
  });
}

/** Runs a scenario once, with its hooks as a list or arranged (e.g. composed in groups). */
export function observe(
  scenario: LawScenario,
  context: LawContext,
  arrange?: (leaves: Hook[]) => Hook[],
): Promise<Observation> {
  return observeRun({
    hooks: leavesOf(scenario, context),
    ...(arrange ? { arrange } : {}),
    plan: scenario.plan,
    tools: context.tools,
  });
}

/** A run that failed with something other than a `HookError` is a loop bug whatever the law. */
export function unexpectedError(observation: Observation): string | undefined {
  return observation.outcome.kind === 'error'
    ? `the run failed with an error that is not a HookError: ${observation.outcome.message}`
    : undefined;
}

/** Describes a hook in a run's events: its position and, for user hooks, its name. */
export function leafName(scenario: LawScenario, context: LawContext, leaf: number): string {
  const slot = scenario.layout[leaf];
  if (!slot) return `hook [${leaf}]`;
  return 'user' in slot
    ? `hook [${leaf}] (your hook #${slot.user}, ${context.hookNames[slot.user] ?? 'unnamed'})`
    : `hook [${leaf}] (${scenario.generated[slot.generated]?.id ?? 'generated'})`;
}
