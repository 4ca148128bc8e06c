// How hard the property suite works. `npm test` runs a bounded number of cases so the whole suite
// takes a few seconds; `npm run test:deep` (LOOPLET_DEEP=1) runs many more. Set LOOPLET_SEED to
// replay a run: failures print the seed (and the path to the shrunk case).

const deep = process.env.LOOPLET_DEEP === '1' || process.env.LOOPLET_DEEP === 'true';

/**
 * Cases per property: `heavy` when each case writes trace directories, `light` when it runs the
 * loop several times, `normal` otherwise, `fuzz` for the hostile-trace fuzzer (each case copies a
 * trace, damages it and runs every reader on it).
 */
export const RUNS = deep
  ? { heavy: 1000, light: 1000, normal: 3000, fuzz: 5000 }
  : { heavy: 12, light: 25, normal: 100, fuzz: 30 };

/** A fixed seed when LOOPLET_SEED is set, otherwise fast-check picks one (and prints it on failure). */
export const SEED: number | undefined = process.env.LOOPLET_SEED
  ? Number(process.env.LOOPLET_SEED)
  : undefined;

/** `fc.assert` parameters for a property of the given weight. */
export function params(weight: keyof typeof RUNS): { numRuns: number; seed?: number } {
  return SEED === undefined ? { numRuns: RUNS[weight] } : { numRuns: RUNS[weight], seed: SEED };
}

/** Generous per-test timeout for deep runs; the default suffices for `npm test`. */
export const TIMEOUT = deep ? 600_000 : 30_000;
