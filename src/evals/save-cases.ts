import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Task } from '../core/types.js';
import { describeCaseError, validateCase } from './case-schema.js';
import type { CaseTurn } from './cases.js';
import { CaseFileError } from './errors.js';

/** A case to save: an {@link EvalCase} from `loadCases`, or one built in code. */
export interface CaseData {
  /** One path component (no `/`): the file is `<id>.yaml` or `<id>.json`. */
  id: string;
  /** Omitted: a case with an empty goal (Python looplet's id-only case). */
  task?: Task;
  expected?: Record<string, unknown>;
  marks?: readonly string[];
  notes?: string;
  script?: CaseTurn[];
  /** Trace directory for `mode: 'replay'` (relative paths resolve against `cwd`); written relative to the file. */
  trace?: string;
}

/** How {@link saveCase} writes: YAML (the default, as the docs' cases) or JSON (as Python looplet's). */
export type CaseFormat = 'yaml' | 'json';

/** The options of {@link saveCase}. */
export interface SaveCaseOptions {
  /** The cases directory (created when missing). */
  dir: string;
  case: CaseData;
  format?: CaseFormat;
  /** Resolves `dir` and a relative `trace` (default `process.cwd()`). */
  cwd?: string;
}

/** The options of {@link saveCases}. */
export interface SaveCasesOptions extends Omit<SaveCaseOptions, 'case'> {
  cases: readonly CaseData[];
}

const CASE_EXTENSIONS = ['.yaml', '.yml', '.json', '.jsonl'] as const;

/**
 * Writes one case to `<dir>/<id>.yaml` (or `.json`) and returns the file's path. What it writes,
 * `loadCases` reads back as the same case, and saving that again gives the same bytes. Empty
 * fields are left out (no `expected: {}`, no `marks: []`); an existing file of that case is
 * replaced. Throws {@link CaseFileError} for a case `loadCases` would refuse (an id with `/`,
 * grader data inside the task…) and when the case is already saved under another extension
 * (`<id>.json` beside a new `<id>.yaml` would be a duplicate id).
 *
 * @example
 * // Grow the corpus from a run that went wrong in production:
 * await saveCase({ dir: 'cases', case: { id: 'refund_twice', task, expected: { refunds: 1 }, marks: ['regression'] } });
 */
export async function saveCase({
  dir,
  case: item,
  format = 'yaml',
  cwd = process.cwd(),
}: SaveCaseOptions): Promise<string> {
  const root = resolve(cwd, dir);
  const extension = format === 'json' ? '.json' : '.yaml';
  const file = join(root, `${item.id}${extension}`);
  const data = caseToData({ item, file, cwd });
  const problems = validateCase(data).map((error) => describeCaseError(error, [], () => 1));
  if (problems.length > 0) {
    const [first] = problems;
    throw new CaseFileError({
      file,
      ...(first!.field ? { field: first!.field } : {}),
      problem: `cannot save case "${String(item.id)}": ${first!.text}`,
    });
  }
  // The id passed the schema (one path component); this guards the join all the same.
  if (dirname(file) !== root)
    throw new CaseFileError({
      file,
      field: 'id',
      problem: 'the case id must name a file inside the cases directory',
    });
  for (const other of CASE_EXTENSIONS) {
    const sibling = join(root, `${item.id}${other}`);
    if (other !== extension && existsSync(sibling))
      throw new CaseFileError({
        file,
        field: 'id',
        problem: `case "${item.id}" is already saved as ${sibling}; save it with format '${other === '.json' ? 'json' : 'yaml'}', or remove that file (two files would hold the same id)`,
      });
  }
  const text =
    format === 'json'
      ? `${JSON.stringify(data, null, 2)}\n`
      : (await import('yaml')).stringify(data, { lineWidth: 100 });
  await mkdir(root, { recursive: true });
  // Written aside and renamed: a reader never sees half a case.
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return file;
}

/**
 * Writes several cases with {@link saveCase}, one file each, and returns their paths in order.
 * Two cases with one id would overwrite each other: that throws before anything is written.
 */
export async function saveCases({ cases, ...options }: SaveCasesOptions): Promise<string[]> {
  const seen = new Set<string>();
  for (const item of cases) {
    if (seen.has(item.id))
      throw new CaseFileError({
        file: resolve(options.cwd ?? process.cwd(), options.dir),
        field: 'id',
        problem: `case id "${item.id}" is given twice; the second would overwrite the first`,
      });
    seen.add(item.id);
  }
  const files: string[] = [];
  for (const item of cases) files.push(await saveCase({ ...options, case: item }));
  return files;
}

/** The file's content, in the field order of the docs, without empty fields. */
function caseToData({
  item,
  file,
  cwd,
}: {
  item: CaseData;
  file: string;
  cwd: string;
}): Record<string, unknown> {
  const data: Record<string, unknown> = { id: item.id };
  const task = taskToData(item.task);
  if (task !== undefined) data.task = task;
  if (item.expected && Object.keys(item.expected).length > 0) data.expected = item.expected;
  if (item.marks && item.marks.length > 0) data.marks = [...item.marks];
  if (item.notes) data.notes = item.notes;
  if (item.script !== undefined) data.script = item.script;
  if (item.trace !== undefined)
    data.trace = relative(dirname(file), resolve(cwd, item.trace)).split(sep).join('/');
  return data;
}

/** An empty goal is how a loaded case says "no goal": it is not written (an explicit `goal: ''` is refused). */
function taskToData(task: Task | undefined): Task | Record<string, unknown> | undefined {
  if (task === undefined || typeof task === 'string') return task;
  if (task.goal !== '') return task;
  const { goal: _empty, ...rest } = task;
  return Object.keys(rest).length > 0 ? rest : undefined;
}
