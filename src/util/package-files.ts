import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoopletError } from './errors.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * looplet's package directory: the nearest one above this module with a package.json. Found by
 * walking up, not by a fixed `../..`: this module runs from the sources (src/util/) and, built,
 * from whichever bundled file esbuild put it in (dist/index.js, dist/chunks/…; scripts/bundle.mjs).
 */
export const PACKAGE_ROOT = packageRootAbove(HERE);

/** The directory looplet's code runs from: `dist` when built, `src` from the sources (tests). */
export const CODE_DIR = path.join(PACKAGE_ROOT, path.relative(PACKAGE_ROOT, HERE).split(path.sep)[0]!);

/** A file of the package by its path from the package root: `packageFile('schema/trace-v1.schema.json')`. */
export function packageFile(relative: string): string {
  return path.join(PACKAGE_ROOT, relative);
}

function packageRootAbove(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir)
      throw new LoopletError({
        message: `looplet's package.json was not found above ${start}: reinstall looplet`,
        code: 'PACKAGE_ROOT',
      });
  }
}
