import { existsSync } from 'node:fs';
import path from 'node:path';
import { type EvalCase, loadCases } from '../evals/cases.js';
import { CaseFileError, EvalPathError } from '../evals/errors.js';
import { unreadCaseDirs } from './discovery-hints.js';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';

/** How a case runs in `looplet-eval`: replayed from its trace, scripted from its turns, or live only. */
export function caseMode(testCase: EvalCase): 'replay' | 'scripted' | 'live' {
  return testCase.trace ? 'replay' : testCase.script ? 'scripted' : 'live';
}

/** `looplet cases`: lists cases with their mode; a case file that does not validate is a usage error (exit 2) with its file:line. */
export async function casesCommandAction({
  paths,
  json,
}: {
  paths: string[];
  json: boolean;
}): Promise<ExitCode> {
  const cwd = process.cwd();
  const roots = paths.length > 0 ? paths : ['cases'];
  if (paths.length === 0 && !existsSync(path.join(cwd, 'cases'))) {
    const elsewhere = unreadCaseDirs({ cwd });
    throw new UsageError(
      `no cases/ directory here; give the case files or directories to check${elsewhere.length > 0 ? ` (found ${elsewhere.join(', ')}: looplet cases ${elsewhere.join(' ')}; looplet-eval reads them with --cases ${elsewhere[0]})` : ''}`,
    );
  }
  const cases: EvalCase[] = [];
  for (const root of roots) {
    try {
      cases.push(...(await loadCases({ dir: root, cwd })));
    } catch (error) {
      if (error instanceof EvalPathError) throw new UsageError(error.message);
      // An invalid case file is a configuration error, as it is for looplet-eval.
      if (error instanceof CaseFileError) throw new UsageError(`invalid case file: ${error.message}`);
      throw error;
    }
  }
  if (json) {
    console.log(
      JSON.stringify(
        cases.map((item) => ({ ...item, mode: caseMode(item) })),
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  for (const item of cases) {
    const where = `${path.relative(cwd, item.file)}:${item.line}`;
    const trace = item.trace ? ` ← ${path.relative(cwd, item.trace)}` : '';
    console.log(`${item.id}  ${caseMode(item)}${trace}  [${item.marks.join(', ')}]  ${where}`);
  }
  console.log(`${cases.length} case${cases.length === 1 ? '' : 's'}, all valid`);
  return EXIT.ok;
}
