import fc from 'fast-check';
import { hookSpec } from './hook-arbitraries.js';
import { describeSpec, GENERATED_METHODS, type GeneratedMethod, type HookSpec } from './hook-spec.js';
import type { AbortPlan, ExitMode, RunPlan } from './observe.js';
import { type ScriptTurn, script } from './script-arbitraries.js';
import type { ToolShape } from './tool-arbitraries.js';

/** A place in the hook list: one of the user's hooks (by index) or a generated one. */
export type HookSlot = { user: number } | { generated: number };

/**
 * One generated case a law is checked on: the user's hooks (in their order) with generated hooks
 * slotted between them, a script, and how the run is driven and interrupted.
 */
export interface LawScenario {
  generated: HookSpec[];
  /** The flat hook list, in order. */
  layout: HookSlot[];
  plan: RunPlan;
  /** Two free numbers laws use to pick where to group hooks (reduced modulo the list length). */
  cut: [number, number];
}

/** What a law's scenarios may contain. */
export interface ScenarioOptions {
  /** How many hooks the user gave. */
  userHooks: number;
  tools: readonly ToolShape[];
  minGenerated?: number;
  maxGenerated?: number;
  /** Methods generated hooks may implement (default: all of them). */
  methods?: readonly GeneratedMethod[];
  /** Generated hooks sometimes throw (default true). */
  throws?: boolean;
  /** Generated hooks sometimes answer asynchronously (default true). */
  async?: boolean;
  /** Sometimes abort the run mid-tool or mid-model-call. */
  abort?: boolean;
  /** Sometimes `break` out of the for-await, or only await `run.result`. */
  exits?: boolean;
  /** Sometimes script a model failure. */
  failures?: boolean;
  maxTurns?: number;
}

const exitModes: fc.Arbitrary<ExitMode> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'iterate' as const }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 4 }).map((afterStep) => ({ kind: 'break' as const, afterStep })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'await' as const }) },
);

const abortPlans: fc.Arbitrary<AbortPlan> = fc.record({
  at: fc.constantFrom('tool' as const, 'model' as const, 'hook' as const),
  nth: fc.nat({ max: 6 }),
  ignoreSignal: fc.boolean(),
});

/** Scenarios for the laws; see {@link ScenarioOptions}. */
export function lawScenario(options: ScenarioOptions): fc.Arbitrary<LawScenario> {
  const {
    userHooks,
    tools,
    minGenerated = 0,
    maxGenerated = 3,
    methods = GENERATED_METHODS,
    throws = true,
    async = true,
    abort = false,
    exits = false,
    failures = false,
    maxTurns = 4,
  } = options;
  const generated = fc.array(fc.tuple(hookSpec({ methods, throws, async }), fc.nat({ max: userHooks })), {
    minLength: minGenerated,
    maxLength: maxGenerated,
  });
  // No `chain` on the script: independent parts shrink independently (a short script, no abort…).
  const plan: fc.Arbitrary<RunPlan> = fc
    .record({
      script: script({ tools, maxTurns, failures }),
      limit: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.nat({ max: 5 })),
      exit: exits ? exitModes : fc.constant({ kind: 'iterate' as const }),
      abort: abort ? fc.option(abortPlans, { freq: 2, nil: undefined }) : fc.constant(undefined),
      maxConsecutiveToolErrors: fc.option(fc.integer({ min: 1, max: 3 }), { freq: 3, nil: undefined }),
    })
    .map(({ script: turns, limit, ...rest }) => ({
      ...rest,
      script: turns,
      // Without a limit the script can run to its end: one step per turn, plus one to spare.
      maxSteps: limit === undefined ? turns.length + 1 : Math.min(limit + 1, turns.length + 1),
    }));
  return fc.tuple(generated, plan, fc.tuple(fc.nat(), fc.nat())).map(([placed, runPlan, cut]) => {
    const specs = placed.map(([spec], index) => ({ ...spec, id: `g${index + 1}` }));
    const layout: HookSlot[] = [];
    for (let position = 0; position <= userHooks; position++) {
      placed.forEach(([, at], index) => {
        if (at === position) layout.push({ generated: index });
      });
      if (position < userHooks) layout.push({ user: position });
    }
    return { generated: specs, layout, plan: cleanPlan(runPlan), cut };
  });
}

function cleanPlan(plan: RunPlan): RunPlan {
  const out: RunPlan = { script: plan.script, maxSteps: plan.maxSteps, exit: plan.exit };
  if (plan.abort) out.abort = plan.abort;
  if (plan.maxConsecutiveToolErrors) out.maxConsecutiveToolErrors = plan.maxConsecutiveToolErrors;
  return out;
}

const ABORT_POINTS = { tool: 'tool run', model: 'model call', hook: 'hook call' } as const;

/** A readable account of a scenario, for counterexamples. */
export function describeScenario(scenario: LawScenario, userNames: readonly string[]): string {
  const hooks = scenario.layout.map((slot, leaf) =>
    'user' in slot
      ? `  [${leaf}] your hook #${slot.user} (${userNames[slot.user] ?? 'unnamed'})`
      : `  [${leaf}] ${describeSpec(scenario.generated[slot.generated]!)}`,
  );
  const { plan } = scenario;
  const turns = plan.script.map((turn, index) => `  ${index + 1}. ${describeTurn(turn)}`);
  const exit =
    plan.exit.kind === 'iterate'
      ? 'iterates to the end'
      : plan.exit.kind === 'break'
        ? `breaks out of the for-await after step ${plan.exit.afterStep}`
        : 'only awaits run.result';
  const lines = [
    `hooks, in list order:`,
    ...(hooks.length > 0 ? hooks : ['  (none)']),
    `script (${plan.script.length} turns):`,
    ...turns,
    `maxSteps: ${plan.maxSteps}${plan.maxConsecutiveToolErrors ? `, maxConsecutiveToolErrors: ${plan.maxConsecutiveToolErrors}` : ''}; the consumer ${exit}`,
  ];
  if (plan.abort)
    lines.push(
      `abort: during ${ABORT_POINTS[plan.abort.at]} #${plan.abort.nth + 1}${plan.abort.ignoreSignal && plan.abort.at !== 'hook' ? ', which ignores the signal' : ''}`,
    );
  return lines.join('\n');
}

function describeTurn(turn: ScriptTurn): string {
  if (turn.error) return `model fails: ${turn.error.message}`;
  const parts: string[] = [];
  if (turn.text !== undefined) parts.push(`text ${JSON.stringify(turn.text)}`);
  for (const call of turn.toolCalls ?? []) parts.push(`${call.name}(${JSON.stringify(call.args ?? {})})`);
  return parts.join(', ') || '(empty turn)';
}
