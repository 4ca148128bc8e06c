import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { record } from '../../examples/record-greeter.js';
import { dirFiles, tempDir } from './helpers.js';

describe('golden traces', () => {
  it('traces/greeter/alice is what examples/record-greeter.ts records today (volatile.json aside)', async () => {
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => {});
    const dir = path.join(tempDir(), 'alice');
    await record({ dir });
    quiet.mockRestore();
    expect(dirFiles(dir)).toEqual(dirFiles('traces/greeter/alice'));
  });
});
