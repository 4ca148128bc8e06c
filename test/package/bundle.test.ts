// dist/ is bundled (scripts/bundle.mjs): what the bundle must keep true for users, checked on the
// built package in plain Node processes, as an installed package is loaded.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../vitest/support.js';

const run = promisify(execFile);
const entryUrl = (entry: string) => pathToFileURL(path.join(REPO, 'dist', `${entry}.js`)).href;

beforeAll(() => {
  if (!existsSync(path.join(REPO, 'dist/index.js')))
    throw new Error('looplet is not built: run `npm run build` first (npm test does)');
});

describe('the bundled entries', () => {
  it("share one error hierarchy: every error class of an entry is instanceof looplet's LoopletError", async () => {
    // Each entry's classes that descend from a class named LoopletError (whichever copy).
    const script = `
      const root = await import(${JSON.stringify(entryUrl('index'))});
      const descendsFromLoopletError = (value) => {
        for (let proto = value?.prototype; proto; proto = Object.getPrototypeOf(proto))
          if (proto.constructor.name === 'LoopletError') return true;
        return false;
      };
      const report = {};
      for (const entry of ['index', 'evals/index', 'vitest/index', 'testing/index']) {
        const url = ${JSON.stringify(entryUrl('ENTRY'))}.replace('ENTRY', entry);
        const errors = Object.entries(await import(url)).filter(([, value]) => descendsFromLoopletError(value));
        report[entry] = {
          classes: errors.length,
          notInstanceof: errors
            .filter(([, value]) => !(value.prototype instanceof root.LoopletError) && value !== root.LoopletError)
            .map(([name]) => name),
        };
      }
      console.log(JSON.stringify(report));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO });
    const report = JSON.parse(stdout) as Record<string, { classes: number; notInstanceof: string[] }>;
    for (const [entry, { classes, notInstanceof }] of Object.entries(report)) {
      expect(classes, entry).toBeGreaterThan(0);
      expect(notInstanceof, entry).toEqual([]);
    }
  });

  // The entry, its layer's chunk and the chunks of the layers below (not one file per module).
  it.each([
    ['index', 2],
    ['evals/index', 3],
    ['vitest/index', 4],
  ])(
    "dist/%s.js loads at most %i of looplet's files and no third-party package until a feature needs one",
    async (entry, most) => {
      const counter = path.join(REPO, 'bench/support/count-modules.mjs');
      const { stdout } = await run(process.execPath, [counter, entryUrl(entry)], { cwd: REPO });
      const { files, packages } = JSON.parse(stdout) as { files: number; packages: Record<string, number> };
      expect(Object.keys(packages)).toEqual(['looplet']);
      expect(files).toBeLessThanOrEqual(most);
    },
  );
});
