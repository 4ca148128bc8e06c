// Walking values for the redactor (redaction.ts): in place of a value, the same value with every
// string and field name through the rules, as JSON would see it (through toJSON), to a bounded depth.
import type { ToolCall } from '../core/types.js';

/**
 * How deep a value is followed. Below this many levels of arrays and objects everything is
 * replaced by one marker: nothing deeper reaches the model or the disk, and every writer and
 * reader of a trace stays within a bounded depth.
 */
export const MAX_REDACT_DEPTH = 100;

/** What a redactor applies to strings and field names; `snapshotJson` walks values with it. */
export interface Rules {
  text(text: string): string;
  /** What to do with a field (names are few and repeat: the answer is cached). */
  field(key: string): Field;
  /** The replacement of a sensitive field's value. */
  sensitiveValue(value: unknown): unknown;
  /** The marker for what lies deeper than {@link MAX_REDACT_DEPTH}. */
  readonly deep: string;
}

/** A field name: how it is written (any secret in it redacted) and whether its value is replaced. */
export interface Field {
  readonly name: string;
  readonly sensitive: boolean;
}

// What JSON cannot hold, written as these markers (never with the value: it may hold a secret).
const CIRCULAR = '[Circular]';
const UNSERIALISABLE = '[unserialisable value]';
const UNREADABLE = '[unreadable property]';

/**
 * Redacts `input` keeping every reference that needed no change (the request forwarded to a model
 * is the caller's own objects unless a secret was found). `toJSON` is followed, as the backend's
 * JSON encoder will; a circular reference becomes `"[Circular]"`.
 */
export function redactValue(
  rules: Rules,
  input: unknown,
  key: string,
  depth: number,
  ancestors: object[],
): unknown {
  if (typeof input === 'string') return rules.text(input);
  if (typeof input !== 'object' || input === null) return input;
  if (depth >= MAX_REDACT_DEPTH) return rules.deep;
  try {
    const toJSON = (input as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(input, key);
      if (json !== input) return redactValue(rules, json, key, depth, ancestors);
    }
    if (ancestors.includes(input)) return CIRCULAR;
    ancestors.push(input);
    try {
      return Array.isArray(input)
        ? redactArray(rules, input, depth, ancestors)
        : redactRecord(rules, input as Record<string, unknown>, depth, ancestors);
    } finally {
      ancestors.pop();
    }
  } catch {
    return UNSERIALISABLE;
  }
}

function redactArray(rules: Rules, input: readonly unknown[], depth: number, ancestors: object[]): unknown[] {
  for (let index = 0; index < input.length; index++) {
    const item = input[index];
    const redacted = redactValue(rules, item, String(index), depth + 1, ancestors);
    if (redacted === item) continue;
    // The copy is built from values that all went through the rules (the members before this
    // one are read and redacted again, in case a getter answers differently the second time).
    const copy: unknown[] = [];
    for (let at = 0; at < input.length; at++)
      copy.push(at === index ? redacted : redactValue(rules, input[at], String(at), depth + 1, ancestors));
    return copy;
  }
  return input as unknown[];
}

function redactRecord(
  rules: Rules,
  input: Record<string, unknown>,
  depth: number,
  ancestors: object[],
): Record<string, unknown> {
  for (const key in input) {
    if (!Object.hasOwn(input, key)) continue;
    const item = input[key];
    const field = rules.field(key);
    const redacted = redactMember(rules, field, key, item, depth, ancestors);
    if (redacted === item && field.name === key) continue;
    // As for arrays: every member of the copy went through the rules.
    const copy: Record<string, unknown> = {};
    for (const name in input) {
      if (!Object.hasOwn(input, name)) continue;
      const other = rules.field(name);
      copy[other.name] =
        name === key ? redacted : redactMember(rules, other, name, input[name], depth, ancestors);
    }
    return copy;
  }
  return input;
}

function redactMember(
  rules: Rules,
  field: Field,
  key: string,
  item: unknown,
  depth: number,
  ancestors: object[],
): unknown {
  return field.sensitive ? rules.sensitiveValue(item) : redactValue(rules, item, key, depth + 1, ancestors);
}

export function redactToolCalls(rules: Rules, calls: readonly ToolCall[]): readonly ToolCall[] {
  let copy: ToolCall[] | undefined;
  for (let index = 0; index < calls.length; index++) {
    const call = calls[index]!;
    const args = redactValue(rules, call.args, 'args', 3, []);
    const argsError = call.argsError === undefined ? undefined : rules.text(call.argsError);
    if (args !== call.args || argsError !== call.argsError) {
      copy ??= calls.slice();
      copy[index] = {
        ...call,
        args: args as Record<string, unknown>,
        ...(argsError === undefined ? {} : { argsError }),
      };
    }
  }
  return copy ?? calls;
}

/** `snapshotJson` (redaction.ts): a redacted copy of `input` as plain JSON data, each value read once. */
export function snapshot(
  rules: Rules,
  input: unknown,
  key: string,
  depth: number,
  ancestors: object[],
): unknown {
  switch (typeof input) {
    case 'string':
      return rules.text(input);
    case 'number':
      return Number.isFinite(input) ? input : null;
    case 'boolean':
      return input;
    case 'bigint':
      return rules.text(input.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (input === null) return null;
  if (depth >= MAX_REDACT_DEPTH) return rules.deep;
  try {
    const toJSON = (input as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(input, key);
      if (json !== input) return snapshot(rules, json, key, depth, ancestors);
    }
    // Boxed primitives are written as their value, as JSON.stringify does.
    if (input instanceof String || input instanceof Number || input instanceof Boolean)
      return snapshot(rules, input.valueOf(), key, depth, ancestors);
    if (ancestors.includes(input as object)) return CIRCULAR;
    ancestors.push(input as object);
    try {
      if (Array.isArray(input)) {
        const out: unknown[] = [];
        for (let index = 0; index < input.length; index++)
          out.push(snapshot(rules, input[index], String(index), depth + 1, ancestors) ?? null);
        return out;
      }
      const out: Record<string, unknown> = {};
      const record = input as Record<string, unknown>;
      for (const name of Object.keys(record)) {
        let item: unknown;
        try {
          item = record[name];
        } catch {
          out[rules.field(name).name] = UNREADABLE;
          continue;
        }
        const field = rules.field(name);
        const value = snapshot(
          rules,
          field.sensitive ? rules.sensitiveValue(item) : item,
          name,
          depth + 1,
          ancestors,
        );
        if (value !== undefined) out[field.name] = value;
      }
      return out;
    } finally {
      ancestors.pop();
    }
  } catch {
    return UNSERIALISABLE;
  }
}
