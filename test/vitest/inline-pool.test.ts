// Which pool a run uses, as docs/vitest.md says.
import { describe, expect, it } from 'vitest';
import { choosePool } from '../../src/vitest/inline-pool.js';

describe('choosePool', () => {
  it('scores in supervised threads by default, so one bad eval costs one result', () => {
    expect(choosePool({ env: {} })).toBe('threads');
  });

  it('follows LOOPLET_POOL', () => {
    expect(choosePool({ env: { LOOPLET_POOL: 'inline' } })).toBe('inline');
    expect(choosePool({ env: {}, pool: 'inline' })).toBe('inline');
  });

  it('always gives the UI worker threads', () => {
    expect(choosePool({ env: {}, ui: true })).toBe('threads');
    expect(choosePool({ env: {}, ui: true, pool: 'inline' })).toBe('threads');
  });
});
