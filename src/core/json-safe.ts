/**
 * What a value holds that JSON cannot: the one check for data that must be written as JSON (tool
 * results the model reads and traces store; a recorder writing hook metadata or artifacts). It
 * follows `JSON.stringify`'s rules (`toJSON()` is honoured; `undefined`, functions and symbols are
 * dropped from objects and become `null` in arrays; non-finite numbers become `null`) and reports
 * what those rules cannot turn into JSON:
 * - a bigint;
 * - a circular reference (a value that contains itself; the same object twice is fine);
 * - reading the value throwing: a `toJSON()`, a getter, a Proxy;
 * - a function or symbol as the value itself (it is not data);
 * - nesting deeper than `maxDepth` (default 256), which would overflow the writer's stack.
 */
export interface JsonProblem {
  /** Where, as a path from the value: `.items[3].total`, or `` (empty) for the value itself. */
  path: string;
  /** What, e.g. `a bigint (12n)`, `a circular reference`, `a value that threw when read (boom)`. */
  problem: string;
}

/** Options of {@link findJsonProblem} and {@link toJsonSafe}. */
export interface JsonSafeOptions {
  /** Deepest nesting accepted (default 256). */
  maxDepth?: number;
}

/** A JSON value: what {@link toJsonSafe} returns. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const DEFAULT_MAX_DEPTH = 256;

/** The first thing in `value` JSON cannot hold, or undefined when all of it can be written. Copies nothing. */
export function findJsonProblem(value: unknown, options?: JsonSafeOptions): JsonProblem | undefined {
  // Most tool results are primitives: answer without setting anything up (not even an options object).
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || value === null || value === undefined)
    return undefined;
  const walker = new Walker(options?.maxDepth ?? DEFAULT_MAX_DEPTH, false);
  walker.root(value);
  return walker.problems[0];
}

/**
 * A plain JSON copy of `value` (after `toJSON()`, getters read once) with every problem replaced
 * by a string saying what was there (`"[bigint 12n]"`, `"[circular]"`, `"[unreadable: boom]"`,
 * `"[too deep]"`), and the list of those problems. Use it to write data that must not fail to
 * write; `undefined` when the value itself is omitted by JSON (`undefined`, a function, a symbol).
 */
export function toJsonSafe(
  value: unknown,
  options: JsonSafeOptions = {},
): { value: JsonValue | undefined; problems: JsonProblem[] } {
  const walker = new Walker(options.maxDepth ?? DEFAULT_MAX_DEPTH, true);
  const copy = walker.root(value);
  return { value: copy, problems: walker.problems };
}

/** A {@link JsonProblem} as one phrase: `a bigint (12n) at .total`. */
export function describeJsonProblem({ path, problem }: JsonProblem): string {
  return path === '' ? problem : `${problem} at ${path}`;
}

const OMIT = Symbol('omit');

class Walker {
  readonly problems: JsonProblem[] = [];
  readonly #maxDepth: number;
  readonly #copy: boolean;
  readonly #ancestors: object[] = [];

  constructor(maxDepth: number, copy: boolean) {
    this.#maxDepth = maxDepth;
    this.#copy = copy;
  }

  root(value: unknown): JsonValue | undefined {
    if (typeof value === 'function' || typeof value === 'symbol') {
      this.problems.push({ path: '', problem: `a ${typeof value}` });
      return undefined;
    }
    const out = this.#visit(value, () => '', '');
    return out === OMIT ? undefined : out;
  }

  #fail(path: () => string, problem: string, marker: string): string {
    this.problems.push({ path: path(), problem });
    return marker;
  }

  /** The JSON form of one value (a copy when copying), OMIT for what JSON drops, or a marker for a problem. */
  #visit(value: unknown, path: () => string, key: string): JsonValue | typeof OMIT {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        return Number.isFinite(value) ? value : null;
      case 'bigint':
        return this.#fail(path, `a bigint (${value}n)`, `[bigint ${value}n]`);
      case 'undefined':
      case 'function':
      case 'symbol':
        return OMIT;
    }
    if (value === null) return null;
    if (!this.#copy && this.problems.length > 0) return OMIT;
    let object = value as object;
    try {
      const toJSON = (object as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        const replaced: unknown = toJSON.call(object, key);
        if (typeof replaced !== 'object' || replaced === null) return this.#visit(replaced, path, key);
        object = replaced;
      }
    } catch (error) {
      return this.#fail(
        path,
        `a value that threw when read (${safeMessage(error)})`,
        `[unreadable: ${safeMessage(error)}]`,
      );
    }
    if (this.#ancestors.includes(object)) return this.#fail(path, 'a circular reference', '[circular]');
    if (this.#ancestors.length >= this.#maxDepth)
      return this.#fail(path, `nesting deeper than ${this.#maxDepth} levels`, '[too deep]');
    this.#ancestors.push(object);
    try {
      return Array.isArray(object) ? this.#array(object, path) : this.#object(object, path);
    } catch (error) {
      return this.#fail(
        path,
        `a value that threw when read (${safeMessage(error)})`,
        `[unreadable: ${safeMessage(error)}]`,
      );
    } finally {
      this.#ancestors.pop();
    }
  }

  #array(array: unknown[], path: () => string): JsonValue {
    const copy: JsonValue[] | undefined = this.#copy ? [] : undefined;
    for (let index = 0; index < array.length; index++) {
      const item = this.#visit(array[index], () => `${path()}[${index}]`, String(index));
      copy?.push(item === OMIT ? null : item);
    }
    return copy ?? null;
  }

  #object(object: object, path: () => string): JsonValue {
    const copy: Record<string, JsonValue> | undefined = this.#copy ? {} : undefined;
    for (const key of Object.keys(object)) {
      let member: unknown;
      try {
        member = (object as Record<string, unknown>)[key];
      } catch (error) {
        const marker = this.#fail(
          () => `${path()}${pathKey(key)}`,
          `a value that threw when read (${safeMessage(error)})`,
          `[unreadable: ${safeMessage(error)}]`,
        );
        if (copy) copy[key] = marker;
        continue;
      }
      const item = this.#visit(member, () => `${path()}${pathKey(key)}`, key);
      if (copy && item !== OMIT) copy[key] = item;
    }
    return copy ?? null;
  }
}

function pathKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A thrown value's message, for a problem description; never throws itself. */
function safeMessage(error: unknown): string {
  try {
    const text = error instanceof Error ? error.message : String(error);
    return text.length > 200 ? `${text.slice(0, 199)}…` : text;
  } catch {
    return 'an error that cannot be shown';
  }
}
