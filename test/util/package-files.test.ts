// looplet finds its own files (package.json, schema/, dist/vitest/runner.js) from its package root,
// whichever file the build bundles the finding code into; from the sources, the code dir is src/.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODE_DIR, PACKAGE_ROOT, packageFile } from '../../src/util/package-files.js';
import { REPO } from '../vitest/support.js';

describe('package files', () => {
  it('the package root is the directory with looplet’s package.json', () => {
    expect(PACKAGE_ROOT).toBe(REPO);
    expect(JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).name).toBe('looplet');
  });

  it('the code runs from src/ when run from the sources', () => {
    expect(CODE_DIR).toBe(path.join(REPO, 'src'));
  });
});
