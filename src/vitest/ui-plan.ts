import type { ChunkPlan } from './plan.js';

/**
 * `looplet-eval --ui` runs the eval files themselves as vitest's test files, so @vitest/ui lists
 * them (not generated chunks) and its Code tab shows their source. The plan they share — every
 * trace and case — reaches the workers as provided context under this key.
 */
export const UI_PLAN_KEY = 'looplet:ui-plan';

/** The `provide` entry of a UI run's vitest config. */
export function provideUiPlan(plan: ChunkPlan): Record<string, unknown> {
  return { [UI_PLAN_KEY]: plan };
}
