import { createRequire } from 'node:module';
import type picomatch from 'picomatch';
import { EvalDefinitionError } from './errors.js';
import type { EvalDefinition, EvalFunction, EvalMarks } from './types.js';

/** Tags with a meaning of their own: `required` (must run and pass) and `skip`. */
export const REQUIRED_TAG = 'required';
export const SKIP_TAG = 'skip';

/** The object form of {@link mark}. */
export interface MarkOptions {
  /** Free tags for `include`/`exclude` (`required` and `skip` here act like the flags below). */
  tags?: readonly string[];
  /** Must run and pass, whatever the run's threshold: a skip, an exclusion or a metric-only result fails. */
  required?: boolean;
  /** Skip this eval (a string is the reason shown in reports). */
  skip?: boolean | string;
  /** Pass boundary for numeric scores, 0..1 (default: the run's threshold, else 0.5). */
  threshold?: number;
  /** Milliseconds an async eval may take before it is an error (default 60 000). */
  timeout?: number;
  /** The eval wants a judge even though it declares fewer than two parameters. */
  judge?: boolean;
  /**
   * Which runs the eval scores: glob patterns over trace and case ids (`'greeter/**'`,
   * `['report/*', 'profit_*']`). Runs outside the scope get no result at all from this eval —
   * neither pass nor skip. Default: every run.
   */
  scope?: string | readonly string[];
}

/**
 * Where a marked function keeps its marks: a property under a registered symbol, not a registry
 * in this module, so marks survive however many copies of looplet a process loads (an eval file's
 * `looplet/evals` and the runner's may be two module instances: vite-transformed and native).
 */
const MARKS = Symbol.for('looplet.mark');

type Marked = EvalFunction & { readonly [MARKS]?: Partial<EvalMarks> };

function ownMarks(fn: EvalFunction): Partial<EvalMarks> | undefined {
  const marks = (fn as Marked)[MARKS];
  return typeof marks === 'object' && marks !== null ? marks : undefined;
}

/**
 * Marks an eval with tags and options. Returns a new function (the original is left unmarked);
 * marks stack: `mark(['slow'], mark(['required'], fn))` has both.
 *
 * @example
 * export const eval_release_gate = mark(['required'], (ctx) => ctx.artifacts.tests_passing === true);
 * export const eval_quality = mark({ tags: ['judge'], threshold: 0.7, timeout: 120_000 }, async (ctx, { judge }) => …);
 */
export function mark<F extends EvalFunction>(marks: readonly string[] | MarkOptions, fn: F): F {
  if (typeof fn !== 'function')
    throw new EvalDefinitionError({
      message: 'mark(marks, fn): the second argument must be the eval function',
    });
  const options: MarkOptions = Array.isArray(marks)
    ? { tags: marks as readonly string[] }
    : (marks as MarkOptions);
  const own = parseMarkOptions(options);
  const inner = ownMarks(fn);
  const merged: Partial<EvalMarks> = inner ? mergeMarks(inner, own) : own;
  const wrapped = function (this: unknown, ...args: Parameters<EvalFunction>) {
    return fn.apply(this, args);
  };
  // Keep name and arity: discovery names arrays of evals by `fn.name`, and arity says "wants a judge".
  Object.defineProperty(wrapped, 'name', { value: fn.name });
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  // Not enumerable, not writable: invisible to `Object.keys`/spreads, and an eval cannot change its own marks.
  Object.defineProperty(wrapped, MARKS, { value: Object.freeze(merged) });
  return wrapped as unknown as F;
}

/** The marks of an eval function (unmarked functions have no tags and are not required). */
export function marksOf(fn: EvalFunction): EvalMarks {
  const own = ownMarks(fn) ?? {};
  const marks: { -readonly [K in keyof EvalMarks]: EvalMarks[K] } = {
    tags: Object.freeze([...(own.tags ?? [])]),
    required: own.required ?? false,
    judge: own.judge ?? fn.length >= 2,
  };
  if (own.skip !== undefined) marks.skip = own.skip;
  if (own.threshold !== undefined) marks.threshold = own.threshold;
  if (own.timeoutMs !== undefined) marks.timeoutMs = own.timeoutMs;
  if (own.scope !== undefined) marks.scope = own.scope;
  return marks;
}

const scopeMatchers = new WeakMap<readonly string[], (id: string) => boolean>();

/** True when an eval scores the run with this id (its `scope` mark matches it, or it has none). */
export function inScope({ marks, contextId }: { marks: EvalMarks; contextId: string }): boolean {
  return scopeCovers({ scope: marks.scope, id: contextId });
}

/** True when a scope (glob patterns over trace and case ids; none: every id) covers `id`. */
export function scopeCovers({ scope, id }: { scope: readonly string[] | undefined; id: string }): boolean {
  if (scope === undefined) return true;
  let matcher = scopeMatchers.get(scope);
  if (!matcher) {
    // Loaded with the first scope rather than by `import 'looplet/evals'`.
    matcher = (createRequire(import.meta.url)('picomatch') as typeof picomatch)([...scope], { dot: true });
    scopeMatchers.set(scope, matcher);
  }
  return matcher(id);
}

/** Checks a `scope` option (one glob pattern or a non-empty list of them); `where` names the caller in errors. */
export function parseScope({ scope, where }: { scope: string | readonly string[]; where: string }): string[] {
  const patterns = typeof scope === 'string' ? [scope] : Array.isArray(scope) ? [...scope] : [];
  if (patterns.length === 0 || patterns.some((pattern) => typeof pattern !== 'string' || pattern === ''))
    throw new EvalDefinitionError({
      message: `${where}: scope must be a glob pattern or a non-empty list of them, got ${JSON.stringify(scope)}`,
    });
  return patterns;
}

function parseMarkOptions(options: MarkOptions): Partial<EvalMarks> {
  if (typeof options !== 'object' || options === null)
    throw new EvalDefinitionError({
      message: 'mark(): the first argument must be a list of tags or an options object',
    });
  const known = new Set(['tags', 'required', 'skip', 'threshold', 'timeout', 'judge', 'scope']);
  for (const key of Object.keys(options)) {
    if (!known.has(key))
      throw new EvalDefinitionError({
        message: `mark(): unknown option "${key}" (known: tags, required, skip, threshold, timeout, judge, scope)`,
      });
  }
  const tags: string[] = [];
  for (const tag of options.tags ?? []) {
    if (typeof tag !== 'string' || tag.trim() === '')
      throw new EvalDefinitionError({
        message: `mark(): tags must be non-empty strings, got ${JSON.stringify(tag)}`,
      });
    if (!tags.includes(tag)) tags.push(tag);
  }
  const marks: { -readonly [K in keyof EvalMarks]?: EvalMarks[K] } = {};
  if (options.required === true || tags.includes(REQUIRED_TAG)) {
    marks.required = true;
    if (!tags.includes(REQUIRED_TAG)) tags.push(REQUIRED_TAG);
  }
  const skipTag = tags.indexOf(SKIP_TAG);
  if (skipTag >= 0) tags.splice(skipTag, 1);
  if (typeof options.skip === 'string' && options.skip !== '') marks.skip = options.skip;
  else if (options.skip === true || skipTag >= 0) marks.skip = 'marked skip';
  if (options.threshold !== undefined) {
    const value = options.threshold;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1)
      throw new EvalDefinitionError({
        message: `mark(): threshold must be a number from 0 to 1, got ${String(value)}`,
      });
    marks.threshold = value;
  }
  if (options.timeout !== undefined) {
    const value = options.timeout;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw new EvalDefinitionError({
        message: `mark(): timeout must be a positive number of milliseconds, got ${String(value)}`,
      });
    marks.timeoutMs = value;
  }
  if (options.judge !== undefined) marks.judge = options.judge === true;
  if (options.scope !== undefined) marks.scope = parseScope({ scope: options.scope, where: 'mark()' });
  marks.tags = tags;
  return marks;
}

function mergeMarks(inner: Partial<EvalMarks>, outer: Partial<EvalMarks>): Partial<EvalMarks> {
  const merged: { -readonly [K in keyof EvalMarks]?: EvalMarks[K] } = { ...inner, ...outer };
  merged.tags = [...new Set([...(inner.tags ?? []), ...(outer.tags ?? [])])];
  if (inner.required || outer.required) merged.required = true;
  return merged;
}

/** One eval chosen to run, and why it should not when a filter left it out although it is required. */
export interface SelectedEval {
  eval: EvalDefinition;
  /** Set for a required eval that `include`/`exclude` left out: it is reported as failed. */
  deselected?: string;
}

/**
 * Applies `include`/`exclude` tags. An eval runs when it has at least one `include` tag (or
 * `include` is empty) and no `exclude` tag. A required eval that the filters leave out is kept
 * with a `deselected` reason: required evals must run, so it will be reported as failed.
 */
export function selectEvals({
  evals,
  include = [],
  exclude = [],
}: {
  evals: readonly EvalDefinition[];
  include?: readonly string[];
  exclude?: readonly string[];
}): SelectedEval[] {
  const selected: SelectedEval[] = [];
  for (const definition of evals) {
    const tags = definition.marks.tags;
    const included = include.length === 0 || include.some((tag) => tags.includes(tag));
    const excludedBy = exclude.find((tag) => tags.includes(tag));
    if (included && excludedBy === undefined) selected.push({ eval: definition });
    else if (definition.marks.required) {
      const reason =
        excludedBy === undefined
          ? `required eval left out by include [${include.join(', ')}]`
          : `required eval left out by exclude [${excludedBy}]`;
      selected.push({ eval: definition, deselected: reason });
    }
  }
  return selected;
}
