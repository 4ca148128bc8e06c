import { describe, expect, it } from 'vitest';
import { describeJsonProblem, findJsonProblem, toJsonSafe } from '../../src/core/json-safe.js';

function circular(): Record<string, unknown> {
  const parent: Record<string, unknown> = { name: 'p' };
  parent.child = { back: parent };
  return parent;
}

const throwingGetter = Object.defineProperty({ ok: 1 }, 'secret', {
  enumerable: true,
  get() {
    throw new Error('no access');
  },
});

const revoked = Proxy.revocable({}, {});
revoked.revoke();

describe('findJsonProblem', () => {
  it('accepts what JSON.stringify writes: primitives, plain data, toJSON, dropped members, repeated objects', () => {
    const shared = { x: 1 };
    for (const value of [
      undefined,
      null,
      'text',
      3.5,
      Number.NaN,
      true,
      [1, 'a', null],
      { a: { b: [shared, shared] }, skip: undefined, fn: () => 1 },
      new Date(0),
      { toJSON: () => ({ plain: true }) },
    ])
      expect(findJsonProblem(value)).toBeUndefined();
  });

  it('names what JSON cannot hold and where', () => {
    const cases: Array<[unknown, string]> = [
      [{ total: 12n }, 'a bigint (12n) at .total'],
      [{ items: [1, { n: 2n }] }, 'a bigint (2n) at .items[1].n'],
      [circular(), 'a circular reference at .child.back'],
      [
        {
          'odd key': {
            toJSON: () => {
              throw new Error('bad toJSON');
            },
          },
        },
        'a value that threw when read (bad toJSON) at ["odd key"]',
      ],
      [{ nested: throwingGetter }, 'a value that threw when read (no access) at .nested.secret'],
      [
        { proxy: revoked.proxy },
        "a value that threw when read (Cannot perform 'get' on a proxy that has been revoked) at .proxy",
      ],
      [() => 1, 'a function'],
      [Symbol('s'), 'a symbol'],
      [12n, 'a bigint (12n)'],
    ];
    for (const [value, expected] of cases) {
      const problem = findJsonProblem(value);
      expect(problem && describeJsonProblem(problem)).toBe(expected);
    }
  });

  it('refuses nesting deeper than maxDepth instead of overflowing the stack', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 20_000; level++) deep = [deep];
    expect(findJsonProblem(deep)?.problem).toBe('nesting deeper than 256 levels');
    expect(findJsonProblem([[['x']]], { maxDepth: 2 })?.path).toBe('[0][0]');
  });
});

describe('toJsonSafe', () => {
  it('copies plain JSON, reading getters and toJSON once, and marks every problem in place', () => {
    const { value, problems } = toJsonSafe({
      when: new Date(0),
      total: 12n,
      loop: circular(),
      secret: throwingGetter,
      list: [1, undefined, () => 2],
      dropped: undefined,
    });
    expect(value).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      total: '[bigint 12n]',
      loop: { name: 'p', child: { back: '[circular]' } },
      secret: { ok: 1, secret: '[unreadable: no access]' },
      list: [1, null, null],
    });
    expect(problems.map(describeJsonProblem)).toEqual([
      'a bigint (12n) at .total',
      'a circular reference at .loop.child.back',
      'a value that threw when read (no access) at .secret.secret',
    ]);
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });

  it('returns undefined for what JSON omits at the top', () => {
    expect(toJsonSafe(undefined)).toEqual({ value: undefined, problems: [] });
    expect(toJsonSafe(() => 1).problems).toEqual([{ path: '', problem: 'a function' }]);
  });
});
