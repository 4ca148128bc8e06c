// Which pool a run uses, as docs/vitest.md says.
import { describe, expect, it } from 'vitest';
import { choosePool, INLINE_MAX_CONTEXTS } from '../../src/vitest/inline-pool.js';

const many = { contexts: INLINE_MAX_CONTEXTS + 1, cores: 8, env: {} };

describe('choosePool', () => {
  it('scores small runs and any run on two cores in the main process, larger runs in threads', () => {
    expect(choosePool({ contexts: INLINE_MAX_CONTEXTS, cores: 8, env: {} })).toBe('inline');
    expect(choosePool(many)).toBe('threads');
    expect(choosePool({ ...many, cores: 2 })).toBe('inline');
  });

  it('follows --workers, then LOOPLET_POOL; watch sessions stay in the process', () => {
    expect(choosePool({ ...many, workers: 1 })).toBe('inline');
    expect(choosePool({ contexts: 10, cores: 2, env: {}, workers: 2 })).toBe('threads');
    expect(choosePool({ ...many, env: { LOOPLET_POOL: 'inline' } })).toBe('inline');
    expect(choosePool({ contexts: 10, cores: 2, env: { LOOPLET_POOL: 'threads' } })).toBe('threads');
    expect(choosePool({ ...many, workers: 1, env: { LOOPLET_POOL: 'threads' } })).toBe('inline');
    expect(choosePool({ ...many, watch: true })).toBe('inline');
  });

  it('always gives the UI worker threads', () => {
    expect(choosePool({ contexts: 10, cores: 2, env: {}, ui: true, workers: 1 })).toBe('threads');
    expect(choosePool({ contexts: 10, cores: 2, env: {}, ui: true, pool: 'inline' })).toBe('threads');
  });
});
