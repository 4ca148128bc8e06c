import { plural } from '../util/text.js';
import type { BaselineComparison } from './compare.js';

/**
 * What a run and its baseline do not share, in words: `1 eval added`, `2 runs removed` — or, for
 * a run of part of the suite, `3 runs not run (shard 1/2)`.
 */
export function describeSetChanges(comparison: BaselineComparison): string[] {
  const parts: string[] = [];
  const { evalsAdded, evalsRemoved, contextsAdded, contextsRemoved, notRun } = comparison;
  if (evalsAdded.length > 0) parts.push(`${plural(evalsAdded.length, 'eval')} added`);
  if (evalsRemoved.length > 0) parts.push(`${plural(evalsRemoved.length, 'eval')} removed`);
  if (contextsAdded.length > 0) parts.push(`${plural(contextsAdded.length, 'run')} added`);
  if (contextsRemoved.length > 0) parts.push(`${plural(contextsRemoved.length, 'run')} removed`);
  if (notRun && notRun.evals.length + notRun.contexts.length > 0) {
    const missing = [
      ...(notRun.evals.length > 0 ? [plural(notRun.evals.length, 'eval')] : []),
      ...(notRun.contexts.length > 0 ? [plural(notRun.contexts.length, 'run')] : []),
    ];
    parts.push(`${missing.join(' and ')} of the baseline not run (${notRun.selection})`);
  }
  return parts;
}
