import type { Hook } from '../loop/hooks.js';
import { firstDifference } from './difference.js';
import { type HookLaw, type LawContext, observe, unexpectedError } from './law.js';
import { comparable } from './observe.js';
import { type LawScenario, lawScenario } from './scenario.js';

/** One way to arrange the flat hook list that must behave exactly like it. */
interface Arrangement {
  name: string;
  arrange: (leaves: Hook[]) => Hook[];
}

/**
 * Runs the scenario with the flat list and with each arrangement, and reports the first
 * arrangement whose run differs in anything observable: the requests the model saw, the
 * arguments tools received, the steps, the result, and every hook call and answer.
 */
async function compareArrangements(
  scenario: LawScenario,
  context: LawContext,
  arrangements: readonly Arrangement[],
): Promise<string | undefined> {
  const flat = await observe(scenario, context);
  const broken = unexpectedError(flat);
  if (broken) return broken;
  const expected = comparable(flat);
  for (const { name, arrange } of arrangements) {
    const observed = await observe(scenario, context, arrange);
    const difference = firstDifference(expected, comparable(observed));
    if (difference)
      return `${name} does not behave like the plain list; first difference (list ≠ ${name}):\n  ${difference}`;
  }
  return undefined;
}

function scenarios(context: LawContext) {
  return lawScenario({
    userHooks: context.hooks.length,
    tools: context.tools,
    abort: true,
    exits: true,
    failures: true,
  });
}

/** `compose()` is the empty hook: adding it anywhere, or composing any hook with it, changes nothing. */
export const identityLaw: HookLaw = {
  name: 'identity',
  statement:
    'composing with the empty hook changes nothing: [..., compose(), ...], compose(compose(), h) and compose(h, compose()) behave like the plain list',
  scenarios,
  verify(scenario, context) {
    const { compose } = context;
    const count = scenario.layout.length;
    const at = scenario.cut[0] % (count + 1);
    const arrangements: Arrangement[] = [
      {
        name: `the list with compose() inserted at position ${at}`,
        arrange: (leaves) => [...leaves.slice(0, at), compose(), ...leaves.slice(at)],
      },
    ];
    if (count > 0) {
      const target = scenario.cut[0] % count;
      arrangements.push(
        {
          name: `the list with hook [${target}] replaced by compose(compose(), it)`,
          arrange: (leaves) =>
            leaves.map((hook, index) => (index === target ? compose(compose(), hook) : hook)),
        },
        {
          name: `the list with hook [${target}] replaced by compose(it, compose())`,
          arrange: (leaves) =>
            leaves.map((hook, index) => (index === target ? compose(hook, compose()) : hook)),
        },
      );
    }
    return compareArrangements(scenario, context, arrangements);
  },
};

/**
 * Composition is associative, and a composition behaves like the list it composes: with the list
 * cut into A, B, C, `compose(A, compose(B, C))`, `compose(compose(A, B), C)` and `compose(list)`
 * all behave like the list.
 */
export const associativityLaw: HookLaw = {
  name: 'associativity',
  statement:
    'composition is associative and behaves like the list: compose(a, compose(b, c)), compose(compose(a, b), c) and [a, b, c] are indistinguishable',
  scenarios,
  verify(scenario, context) {
    const { compose } = context;
    const count = scenario.layout.length;
    const first = scenario.cut[0] % (count + 1);
    const second = first + (scenario.cut[1] % (count - first + 1));
    const label = `A = [0, ${first}), B = [${first}, ${second}), C = [${second}, ${count})`;
    const parts = (leaves: Hook[]) => {
      const [a, b, c] = [leaves.slice(0, first), leaves.slice(first, second), leaves.slice(second)];
      return { a: compose(...a), b: compose(...b), c: compose(...c) };
    };
    return compareArrangements(scenario, context, [
      {
        name: `compose(A, compose(B, C)) with ${label}`,
        arrange: (leaves) => {
          const { a, b, c } = parts(leaves);
          return [compose(a, compose(b, c))];
        },
      },
      {
        name: `compose(compose(A, B), C) with ${label}`,
        arrange: (leaves) => {
          const { a, b, c } = parts(leaves);
          return [compose(compose(a, b), c)];
        },
      },
      { name: 'compose(...list)', arrange: (leaves) => [compose(...leaves)] },
    ]);
  },
};
