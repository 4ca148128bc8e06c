import { describe, expect, it } from 'vitest';
import {
  composeHooks,
  consoleTracer,
  type Hook,
  permissionHook,
  stepBudget,
  tokenBudget,
} from '../../src/index.js';
import { HOOK_LAWS, hookLaws } from '../../src/testing/index.js';
import { params, TIMEOUT } from './settings.js';

// The repo's own loop, checked with the laws it promises: for generated hooks alone, and for the
// built-in hooks with generated hooks slotted between them. Each law runs the real agentLoop.
describe('the hook laws hold for the loop', () => {
  for (const law of HOOK_LAWS) {
    it(
      `${law.name}: ${law.statement}`,
      () => hookLaws({ hooks: [], laws: [law], ...params('light') }).check(),
      TIMEOUT,
    );
  }

  it(
    'with the built-in hooks (budgets, permission, tracer) among generated ones',
    () => {
      const lines: string[] = [];
      return hookLaws({
        hooks: [
          stepBudget({ maxSteps: 3 }),
          () => permissionHook({ deny: [{ tool: 'add', reason: 'no arithmetic today' }] }),
          tokenBudget({ maxTotalTokens: 400 }),
          consoleTracer({ write: (line) => lines.push(line) }),
        ],
        ...params('light'),
      }).check();
    },
    TIMEOUT,
  );

  it(
    "with hooks answering Python looplet's shorthands (false denies, true stops, strings block a done or add context)",
    () =>
      hookLaws({
        hooks: [
          { name: 'py-permission', checkPermission: ({ call }) => call.name !== 'add' },
          {
            name: 'py-context',
            prePrompt: ({ step }) => `note before call ${step}`,
            postDispatch: ({ result }) => (result.error ? `${result.name} failed` : undefined),
          },
          { name: 'py-done', checkDone: ({ state }) => (state.steps.length < 2 ? 'not yet' : undefined) },
          { name: 'py-stop', shouldStop: ({ step }) => step >= 3 },
        ],
        ...params('light'),
      }).check(),
    TIMEOUT,
  );
});

describe('hookLaws options', () => {
  it('checks only the laws asked for, by name or as objects', () => {
    expect(hookLaws({ hooks: [], laws: ['identity', 'contextOrder'] }).laws.map((law) => law.name)).toEqual([
      'identity',
      'contextOrder',
    ]);
    expect(hookLaws({ hooks: [] }).laws).toEqual(HOOK_LAWS);
  });

  it('rejects an unknown law name and a path without a single law, saying how to fix it', () => {
    expect(() => hookLaws({ hooks: [], laws: ['comutativity' as 'identity'] })).toThrow(
      /no law named "comutativity"; the laws are identity, associativity/,
    );
    expect(() => hookLaws({ hooks: [], path: '1:2' })).toThrow(/pass `laws: \[thatLaw\]`/);
  });

  it('rejects hooks that are neither hooks nor factories', () => {
    expect(() => hookLaws({ hooks: [42 as unknown as Hook] })).toThrow(/hooks\[0\] is neither a hook/);
  });

  it('accepts its own composition to check (composeHooks by default)', async () => {
    const compose = (...hooks: Hook[]) => composeHooks(...hooks);
    await hookLaws({ hooks: [], compose, laws: ['associativity'], numRuns: 10 }).check();
  });
});
