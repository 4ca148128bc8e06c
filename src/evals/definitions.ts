import { DuplicateEvalError, EvalDefinitionError } from './errors.js';
import { marksOf } from './marks.js';
import type { EvalDefinition, EvalFunction } from './types.js';

/** The prefix that makes an export (or a record entry) an eval. */
export const EVAL_PREFIX = 'eval_';

/**
 * Evals in any of the forms users have at hand: discovered definitions, a list of named
 * functions, or an object of them (a module namespace `import * as evals from './eval_x.js'`
 * works: only `eval_*` functions are taken, helpers are ignored).
 */
export type EvalsInput = readonly (EvalDefinition | EvalFunction)[] | Readonly<Record<string, unknown>>;

/**
 * Turns {@link EvalsInput} into definitions. From an object, the `eval_*` entries that are
 * functions; from a list, each function under its own `name` (which must be set).
 */
export function toEvalDefinitions({ evals, file }: { evals: EvalsInput; file?: string }): EvalDefinition[] {
  const definitions: EvalDefinition[] = [];
  if (Array.isArray(evals)) {
    for (const [index, item] of (evals as readonly unknown[]).entries()) {
      if (isDefinition(item)) definitions.push(item);
      else if (typeof item === 'function') {
        const fn = item as EvalFunction;
        if (!fn.name)
          throw new EvalDefinitionError({
            message: `evals[${index}] is an anonymous function: name it (export function eval_x…) or pass an object { eval_x: fn }`,
          });
        definitions.push(definition({ name: fn.name, fn, file }));
      } else {
        throw new EvalDefinitionError({ message: `evals[${index}] is not an eval function or definition` });
      }
    }
  } else {
    if (typeof evals !== 'object' || evals === null)
      throw new EvalDefinitionError({
        message: 'evals must be a list of eval functions or an object of them',
      });
    for (const [name, value] of Object.entries(evals)) {
      if (!name.startsWith(EVAL_PREFIX) || typeof value !== 'function') continue;
      definitions.push(definition({ name, fn: value as EvalFunction, file }));
    }
  }
  return uniqueEvals(definitions);
}

function definition({ name, fn, file }: { name: string; fn: EvalFunction; file: string | undefined }) {
  const result: EvalDefinition = { name, fn, marks: marksOf(fn) };
  return file === undefined ? result : { ...result, file };
}

function isDefinition(value: unknown): value is EvalDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as EvalDefinition).name === 'string' &&
    typeof (value as EvalDefinition).fn === 'function' &&
    typeof (value as EvalDefinition).marks === 'object'
  );
}

/**
 * Drops repeats of the same function under the same name (an eval re-exported by a second file)
 * and throws {@link DuplicateEvalError} when two different functions share a name.
 */
export function uniqueEvals(definitions: readonly EvalDefinition[]): EvalDefinition[] {
  const seen = new Map<string, EvalDefinition>();
  for (const item of definitions) {
    const earlier = seen.get(item.name);
    if (earlier === undefined) seen.set(item.name, item);
    else if (earlier.fn !== item.fn)
      throw new DuplicateEvalError({
        name: item.name,
        files: [earlier.file ?? '(inline)', item.file ?? '(inline)'],
      });
  }
  return [...seen.values()];
}
