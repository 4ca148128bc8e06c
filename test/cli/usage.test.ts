// What a newcomer sees when a project is not set up yet: a usage error (exit 2) that says what to do.
import { describe, expect, it } from 'vitest';
import { createProject } from '../vitest/support.js';

describe('looplet-eval in a project without evals', () => {
  it('says where evals go instead of failing on a missing path', async () => {
    const project = createProject();
    const result = await project.run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no evals/ directory here: write eval_*.ts files in evals/');
    expect(result.stderr).not.toContain('    at ');
  });
});
