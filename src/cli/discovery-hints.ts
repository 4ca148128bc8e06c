import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { findEvalFiles } from '../evals/discover.js';
import { UsageError } from './exit-codes.js';

/** Discovery's naming rule, as the messages say it. */
export const EVAL_NAMING_RULE =
  'eval files are named eval_*.ts or *.eval.ts (also .mts, .js, .mjs) and export functions named eval_*';

/** Files listed by name in a message; the rest are counted. */
const LISTED = 5;

/**
 * Fails with a usage error when the eval paths hold no eval file, saying what they do hold and
 * the naming rule — an empty `evals/` or a misnamed file would otherwise be an empty run.
 */
export async function checkEvalFiles({
  paths,
  cwd,
}: {
  paths: readonly string[];
  cwd: string;
}): Promise<void> {
  if ((await findEvalFiles({ paths, cwd })).length > 0) return;
  const where = paths.join(', ');
  const found: string[] = [];
  for (const root of paths) {
    const files = await glob(['**/*'], {
      cwd: path.resolve(cwd, root),
      ignore: ['**/node_modules/**', '**/.git/**'],
    });
    found.push(...files.map((file) => path.posix.join(root.split(path.sep).join('/'), file)));
  }
  found.sort();
  if (found.length === 0) throw new UsageError(`no eval files in ${where}: it is empty; ${EVAL_NAMING_RULE}`);
  const listed =
    found.slice(0, LISTED).join(', ') + (found.length > LISTED ? `, …and ${found.length - LISTED} more` : '');
  const script = found.find((file) => /\.(ts|mts|js|mjs)$/.test(file));
  const example = script
    ? `; rename ${script} to ${path.posix.join(path.posix.dirname(script), `eval_${path.posix.basename(script)}`)}, for example`
    : '';
  throw new UsageError(`no eval files in ${where}: found ${listed}, but ${EVAL_NAMING_RULE}${example}`);
}

/**
 * Directories named `cases` one level down (`evals/cases/`, `test/cases/`) that hold case files:
 * `looplet-eval` reads cases from `cases/` or `--cases`, so these would be silently ignored.
 */
export function unreadCaseDirs({ cwd }: { cwd: string }): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(cwd, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const dir = path.join(cwd, entry.name, 'cases');
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
    if (files.some((file) => /\.(ya?ml|json)$/.test(file))) found.push(`${entry.name}/cases`);
  }
  return found.sort();
}

/** Says on stderr where case files were found that the run does not read, and how to read them. */
export function hintUnreadCases({ cwd }: { cwd: string }): void {
  const dirs = unreadCaseDirs({ cwd });
  if (dirs.length === 0) return;
  console.error(
    `note: ${dirs.map((dir) => `${dir}/`).join(', ')} ${dirs.length === 1 ? 'holds' : 'hold'} case files that are not run: cases are read from cases/, or from --cases <dir> (${dirs.map((dir) => `--cases ${dir}`).join(' ')})`,
  );
}
