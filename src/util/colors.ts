import { createRequire } from 'node:module';
import type Picocolors from 'picocolors';

/** picocolors' colour functions (`bold`, `red`…), on or off. */
export type Colors = ReturnType<typeof Picocolors.createColors>;

/**
 * picocolors, loaded on first use rather than by `import 'looplet'`: as the one CommonJS module
 * on that path it cost the import a third of its time (bench/import.bench.mjs).
 */
export function picocolors(): typeof Picocolors {
  return createRequire(import.meta.url)('picocolors') as typeof Picocolors;
}
