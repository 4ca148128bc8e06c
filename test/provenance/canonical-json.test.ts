import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/index.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, indents by two spaces and ends with a newline', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } })).toBe(
      [
        '{',
        '  "a": {',
        '    "c": "x",',
        '    "d": [',
        '      1,',
        '      {',
        '        "y": null,',
        '        "z": true',
        '      }',
        '    ]',
        '  },',
        '  "b": 1',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('gives the same bytes whatever order the keys were inserted in', () => {
    expect(canonicalJson({ x: 1, y: [2, 3], z: { q: 1, p: 2 } })).toBe(
      canonicalJson({ z: { p: 2, q: 1 }, y: [2, 3], x: 1 }),
    );
  });

  it('parses back to the same value as JSON.stringify would give', () => {
    const value = { s: 'line\n"quoted" ✓', n: -1.5e-7, list: [], obj: {}, nested: [[1], { a: [] }] };
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
    expect(canonicalJson([])).toBe('[]\n');
    expect(canonicalJson({})).toBe('{}\n');
  });

  it('follows JSON.stringify for undefined, functions, non-finite numbers and toJSON', () => {
    const value = {
      gone: undefined,
      fn: () => 1,
      list: [undefined, Number.NaN, Number.POSITIVE_INFINITY],
      date: new Date(0),
      custom: { toJSON: () => ({ b: 2, a: 1 }) },
    };
    expect(JSON.parse(canonicalJson(value))).toEqual({
      list: [null, null, null],
      date: '1970-01-01T00:00:00.000Z',
      custom: { a: 1, b: 2 },
    });
  });

  it('writes bigints as strings and circular references as a marker instead of throwing', () => {
    const cyclic: Record<string, unknown> = { id: 10n };
    cyclic.self = cyclic;
    expect(JSON.parse(canonicalJson(cyclic))).toEqual({ id: '10', self: '[Circular]' });
    // A value seen twice without a cycle is written twice.
    const shared = { k: 1 };
    expect(JSON.parse(canonicalJson({ a: shared, b: shared }))).toEqual({ a: { k: 1 }, b: { k: 1 } });
  });
});
