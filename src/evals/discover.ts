import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../util/errors.js';
import { toEvalDefinitions, uniqueEvals } from './definitions.js';
import { EvalImportError, EvalPathError, type ImportFailure } from './errors.js';
import type { EvalDefinition } from './types.js';

/** File names discovery picks up inside a directory. */
export const EVAL_FILE_PATTERNS: readonly string[] = [
  '**/eval_*.{ts,mts,js,mjs}',
  '**/*.eval.{ts,mts,js,mjs}',
];

const IGNORED: readonly string[] = ['**/node_modules/**', '**/.git/**'];

/** Imports one eval file (an absolute path) and returns its exports. */
export type ImportModule = (file: string) => Promise<Record<string, unknown>>;

/** The options of {@link discoverEvals}. */
export interface DiscoverEvalsOptions {
  /** Files and directories. A directory is searched recursively for {@link EVAL_FILE_PATTERNS}; a file is taken as is. */
  paths: readonly string[];
  /** Base for relative paths (default: `process.cwd()`). */
  cwd?: string;
  /**
   * Imports a file. The default is Node's `import()`, which loads `.js`/`.mjs` (and `.ts` only
   * where the runtime strips types); the vitest runner passes vite's importer so `.ts` works.
   */
  importModule?: ImportModule;
  /** Extra glob patterns to leave out (node_modules and .git always are). */
  ignore?: readonly string[];
}

/** Lists the eval files under `paths`, sorted, without importing them. */
export async function findEvalFiles({
  paths,
  cwd = process.cwd(),
  ignore = [],
}: Omit<DiscoverEvalsOptions, 'importModule'>): Promise<string[]> {
  const files = new Set<string>();
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) throw new EvalPathError({ path, what: 'eval' });
    if (info.isFile()) {
      files.add(absolute);
      continue;
    }
    const { glob } = await import('tinyglobby');
    const found = await glob([...EVAL_FILE_PATTERNS], {
      cwd: absolute,
      absolute: true,
      ignore: [...IGNORED, ...ignore],
    });
    for (const file of found) files.add(resolve(file));
  }
  return [...files].sort();
}

/**
 * Finds eval files, imports them, and collects their exports named `eval_*` that are functions
 * (marked or not). Exports with other names — helpers, re-exported `mark` — are ignored.
 *
 * Throws {@link EvalImportError} listing every file that failed to import, and
 * `DuplicateEvalError` when two files define different evals with the same name.
 *
 * @example
 * const evals = await discoverEvals({ paths: ['evals'] });
 */
export async function discoverEvals(options: DiscoverEvalsOptions): Promise<EvalDefinition[]> {
  const files = await findEvalFiles(options);
  const importModule = options.importModule ?? defaultImport;
  const failures: ImportFailure[] = [];
  const definitions: EvalDefinition[] = [];
  for (const file of files) {
    let exports: Record<string, unknown>;
    try {
      exports = await importModule(file);
    } catch (error) {
      failures.push({ file, message: errorMessage(error), error });
      continue;
    }
    definitions.push(...toEvalDefinitions({ evals: exports, file }));
  }
  if (failures.length > 0) throw new EvalImportError({ failures });
  return uniqueEvals(definitions);
}

const defaultImport: ImportModule = (file) => import(pathToFileURL(file).href);
