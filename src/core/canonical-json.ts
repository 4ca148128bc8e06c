/**
 * Canonical JSON: the one serialisation every trace file uses, so the same data always gives the
 * same bytes. Rules (documented in docs/trace-format.md):
 * - object keys sorted by UTF-16 code unit (`Array.prototype.sort`), at every depth;
 * - 2-space indentation, `[]` and `{}` for empty containers, one trailing newline;
 * - `JSON.stringify` semantics otherwise: `toJSON()` is honoured, `undefined`, functions and
 *   symbols are dropped from objects and become `null` in arrays, non-finite numbers become `null`;
 * - what `JSON.stringify` would throw on is written instead of crashing a flush: a bigint becomes
 *   its decimal string, a circular reference becomes the string `"[Circular]"`.
 *
 * @example
 * canonicalJson({ b: 1, a: [true] }) // '{\n  "a": [\n    true\n  ],\n  "b": 1\n}\n'
 */
export function canonicalJson(value: unknown): string {
  return `${serialize(value, '', [], INDENT) ?? 'null'}\n`;
}

/**
 * The same canonical form on one line (no indentation, no trailing newline), for transcripts and
 * diffs shown to people: `{"a":1,"b":[true]}`.
 */
export function canonicalJsonLine(value: unknown): string {
  return serialize(value, '', [], '') ?? 'null';
}

const INDENT = '  ';

/** Serialises one value; `undefined` means "omit" (as JSON.stringify does for object members). */
function serialize(value: unknown, indent: string, ancestors: object[], step: string): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const object = value as Record<string, unknown> & { toJSON?: (key: string) => unknown };
  if (typeof object.toJSON === 'function') return serialize(object.toJSON(''), indent, ancestors, step);
  if (ancestors.includes(object)) return '"[Circular]"';
  ancestors.push(object);
  const inner = indent + step;
  const newline = step === '' ? '' : '\n';
  const colon = step === '' ? ':' : ': ';
  let out: string;
  if (Array.isArray(object)) {
    if (object.length === 0) out = '[]';
    else {
      out = '[';
      for (let index = 0; index < object.length; index++) {
        out += `${index === 0 ? newline : `,${newline}`}${inner}${serialize(object[index], inner, ancestors, step) ?? 'null'}`;
      }
      out += `${newline}${indent}]`;
    }
  } else {
    const keys = Object.keys(object).sort();
    out = '{';
    let first = true;
    for (const key of keys) {
      const member = serialize(object[key], inner, ancestors, step);
      if (member === undefined) continue;
      out += `${first ? newline : `,${newline}`}${inner}${JSON.stringify(key)}${colon}${member}`;
      first = false;
    }
    out += first ? '}' : `${newline}${indent}}`;
  }
  ancestors.pop();
  return out;
}
