import fc from 'fast-check';
import type { Tool } from '../core/state.js';
import { composeHooks } from '../loop/compose-hooks.js';
import type { Hook } from '../loop/hooks.js';
import { errorMessage, LoopletError } from '../util/errors.js';
import { associativityLaw, identityLaw } from './equivalence-laws.js';
import type { HookLaw, LawContext, LawName } from './law.js';
import { defaultLawTools, type HookSource } from './observe.js';
import { abortLaw, contextOrderLaw, firstBlockWinsLaw, loopEndOnceLaw, stopIsFinalLaw } from './run-laws.js';
import { describeScenario, type LawScenario } from './scenario.js';

/** Every hook law, in the order `hookLaws` checks them. */
export const HOOK_LAWS: readonly HookLaw[] = [
  identityLaw,
  associativityLaw,
  firstBlockWinsLaw,
  stopIsFinalLaw,
  contextOrderLaw,
  loopEndOnceLaw,
  abortLaw,
];

/** Options of {@link hookLaws}. */
export interface HookLawsOptions {
  /**
   * Your hooks, in the order you pass them to `agentLoop`. A function is a factory called once per
   * run: pass one for a hook that keeps per-run state in a closure.
   */
  hooks: readonly HookSource[];
  /** Tools the scripted model calls (default: two small pure tools). Use side-effect-free tools or stubs. */
  tools?: readonly Tool[];
  /** The composition the equivalence laws check (default `composeHooks`); pass your own combinator to test it. */
  compose?: (...hooks: Hook[]) => Hook;
  /** Generated cases per law (default 100). */
  numRuns?: number;
  /** Seed of the generator (default: random, printed on failure). */
  seed?: number;
  /** With `seed` and one law: replay the failing case printed by a failure, directly. */
  path?: string;
  /** The laws to check (default: all of them), by name or as law objects. */
  laws?: ReadonlyArray<LawName | HookLaw>;
}

/** One law that did not hold, with what is needed to see and replay it. */
export interface LawFailure {
  law: LawName;
  statement: string;
  seed: number;
  /** fast-check's path to the shrunk counterexample: pass it back with `seed` to replay it. */
  path: string;
  /** The shrunk scenario; undefined when the check itself crashed. */
  counterexample: LawScenario | undefined;
  /** The scenario, readable. */
  scenario: string;
  /** What went wrong in that scenario. */
  problem: string;
  numRuns: number;
  numShrinks: number;
}

/** Hooks broke one or more laws. The message shows each law, its shrunk counterexample and how to replay it. */
export class HookLawViolation extends LoopletError {
  readonly failures: readonly LawFailure[];

  constructor({ failures }: { failures: readonly LawFailure[] }) {
    super({ message: failures.map(formatFailure).join('\n\n'), code: 'HOOK_LAW_VIOLATION' });
    this.failures = failures;
  }
}

function formatFailure(failure: LawFailure): string {
  return [
    `hook law "${failure.law}" does not hold: ${failure.statement}.`,
    `It failed after ${failure.numRuns} case(s); shrunk ${failure.numShrinks} time(s) to this counterexample:`,
    indent(failure.scenario),
    `What went wrong: ${failure.problem}`,
    `Replay it: hookLaws({ hooks, laws: ['${failure.law}'], seed: ${failure.seed}, path: '${failure.path}' }).check()`,
  ].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** The thrown problem of a law's property: the message fast-check keeps as the error. */
class LawBreach extends Error {}

function contextOf(options: HookLawsOptions): LawContext {
  const hooks = [...options.hooks];
  hooks.forEach((hook, index) => {
    if ((typeof hook !== 'object' || hook === null) && typeof hook !== 'function')
      throw new LoopletError({
        message: `hookLaws: hooks[${index}] is neither a hook nor a function making one`,
        code: 'HOOK_LAWS_CONFIG',
      });
  });
  return {
    hooks,
    hookNames: hooks.map((hook, index) => {
      const made = typeof hook === 'function' ? hook() : hook;
      return made.name ?? `hooks[${index}]`;
    }),
    tools: options.tools ?? defaultLawTools(),
    compose: options.compose ?? composeHooks,
  };
}

function lawsOf(options: HookLawsOptions): HookLaw[] {
  return (options.laws ?? HOOK_LAWS).map((law) => {
    if (typeof law !== 'string') return law;
    const found = HOOK_LAWS.find((candidate) => candidate.name === law);
    if (!found)
      throw new LoopletError({
        message: `hookLaws: no law named "${law}"; the laws are ${HOOK_LAWS.map((l) => l.name).join(', ')}`,
        code: 'HOOK_LAWS_CONFIG',
      });
    return found;
  });
}

/**
 * A law as a fast-check property over generated scenarios, for use with `fc.assert` or
 * `fc.check` directly. It throws (with the reason) when the law is broken.
 */
export function lawProperty({
  law,
  ...options
}: Omit<HookLawsOptions, 'laws' | 'numRuns' | 'seed' | 'path'> & { law: LawName | HookLaw }) {
  const [chosen] = lawsOf({ ...options, laws: [law] });
  const context = contextOf(options);
  return fc.asyncProperty(chosen!.scenarios(context), async (scenario) => {
    const problem = await chosen!.verify(scenario, context);
    if (problem !== undefined) throw new LawBreach(problem);
  });
}

/** Checks one law; returns its failure, or undefined when it held on every case. */
async function checkOne(law: HookLaw, context: LawContext, options: HookLawsOptions, seed: number) {
  const property = fc.asyncProperty(law.scenarios(context), async (scenario) => {
    const problem = await law.verify(scenario, context);
    if (problem !== undefined) throw new LawBreach(problem);
  });
  const details = await fc.check(property, {
    numRuns: options.numRuns ?? 100,
    seed,
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  if (!details.failed) return undefined;
  const counterexample = details.counterexample?.[0];
  const failure: LawFailure = {
    law: law.name,
    statement: law.statement,
    seed: details.seed,
    path: details.counterexamplePath ?? '',
    counterexample,
    scenario: counterexample
      ? describeScenario(counterexample, context.hookNames)
      : '(none: the check itself failed)',
    problem:
      details.errorInstance === null ? 'the check was interrupted' : errorMessage(details.errorInstance),
    numRuns: details.numRuns,
    numShrinks: details.numShrinks,
  };
  return failure;
}

/**
 * The hook-composition laws for your hooks. `check()` runs each law on generated scenarios (your
 * hooks in order, generated hooks slotted between them, generated scripts, aborts, consumer
 * exits), running the real `agentLoop`, and throws a {@link HookLawViolation} naming every broken
 * law with its shrunk counterexample and the seed and path that replay it.
 *
 * @example
 * test('my hooks obey the laws', () => hookLaws({ hooks: [redactPII, budget, approval] }).check());
 */
export function hookLaws(options: HookLawsOptions): {
  readonly laws: readonly HookLaw[];
  /** Checks every law; resolves when all hold, rejects with a {@link HookLawViolation} otherwise. */
  check(): Promise<void>;
  /** Checks every law and returns the failures (empty when all hold). */
  run(): Promise<LawFailure[]>;
} {
  const laws = lawsOf(options);
  if (options.path !== undefined && laws.length !== 1)
    throw new LoopletError({
      message:
        'hookLaws: `path` replays one law; pass `laws: [thatLaw]` with it (the failure message shows how)',
      code: 'HOOK_LAWS_CONFIG',
    });
  const context = contextOf(options);
  const run = async () => {
    const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
    const failures: LawFailure[] = [];
    for (const law of laws) {
      const failure = await checkOne(law, context, options, seed);
      if (failure) failures.push(failure);
    }
    return failures;
  };
  return {
    laws,
    run,
    async check() {
      const failures = await run();
      if (failures.length > 0) throw new HookLawViolation({ failures });
    },
  };
}
