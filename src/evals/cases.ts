import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Document, Node } from 'yaml';
import type { Task, Usage } from '../core/types.js';
import { describeCaseError, validateCase } from './case-schema.js';
import { CaseFileError, EvalPathError } from './errors.js';

/**
 * The `yaml` package, loaded with the first YAML case file rather than by `import 'looplet/evals'`
 * (it is 72 files).
 */
function yaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

/** One scripted model turn in a case file: text, tool calls, or both. */
export interface CaseTurn {
  text?: string;
  toolCalls?: Array<{ id?: string; name: string; args?: Record<string, unknown> }>;
  usage?: Usage;
}

/**
 * An eval case: a task to give the agent, grader-only expectations, and tags. Loaded from YAML,
 * JSON or JSON Lines by {@link loadCases}; written by `saveCase`.
 */
export interface EvalCase {
  /** Stable name: the context id in reports and baselines, and the file name `saveCase` writes. */
  id: string;
  /**
   * What the agent is asked to do. A Python looplet task `{ description }` is read as
   * `{ goal: description }`; a case without a task (or a task with neither) has the goal `''`.
   */
  task: Task;
  /** Grader-only data, read by evals as `ctx.expected`; never shown to the agent. */
  expected: Record<string, unknown>;
  /** Tags (e.g. `smoke`, `regression`). */
  marks: string[];
  /** Why the case exists, what it caught. */
  notes?: string;
  /** Model responses for `mode: 'scripted'`. */
  script?: CaseTurn[];
  /** Trace directory whose responses `mode: 'replay'` serves (absolute; relative in the file, to the file). */
  trace?: string;
  /**
   * How strictly `looplet-eval` replays `trace` (default: the run's `--replay`): `lenient` serves
   * the recorded answers whatever the requests, e.g. to replay a recording made before a tool fix.
   */
  replay?: 'strict' | 'lenient';
  /** The file it came from, and the 1-based line where it starts. */
  file: string;
  line: number;
}

/** File names {@link loadCases} reads. */
export const CASE_FILE_PATTERNS: readonly string[] = ['**/*.yaml', '**/*.yml', '**/*.json', '**/*.jsonl'];

/**
 * Loads every case under a directory (`*.yaml`, `*.yml`, `*.json`, `*.jsonl`, recursively, sorted
 * by path), or in one file. A YAML or JSON file holds one case or a list of cases; a `.jsonl` file
 * one case per line (blank lines and `#` comments skipped). Throws {@link CaseFileError} with
 * `file:line` and the field for the first invalid case, and for a case id used twice.
 *
 * @example
 * const cases = await loadCases({ dir: 'evals/cases' });
 */
export async function loadCases({
  dir,
  cwd = process.cwd(),
}: {
  dir: string;
  cwd?: string;
}): Promise<EvalCase[]> {
  const root = resolve(cwd, dir);
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new EvalPathError({ path: dir, what: 'cases' });
  const { glob } = await import('tinyglobby');
  const files = info.isFile()
    ? [root]
    : (
        await glob([...CASE_FILE_PATTERNS], {
          cwd: root,
          absolute: true,
          // A case id may start with a dot (Python looplet allows it), so its file does; hidden
          // directories (.git, editors' caches) are not cases.
          dot: true,
          ignore: ['**/node_modules/**', '**/.*/**'],
        })
      ).sort();
  const cases: EvalCase[] = [];
  const seen = new Map<string, EvalCase>();
  for (const file of files) {
    for (const item of await loadCaseFile({ file })) {
      const earlier = seen.get(item.id);
      if (earlier)
        throw new CaseFileError({
          file: item.file,
          line: item.line,
          field: 'id',
          problem: `duplicate case id "${item.id}" (also at ${earlier.file}:${earlier.line}); case ids must be unique`,
        });
      seen.set(item.id, item);
      cases.push(item);
    }
  }
  return cases;
}

/** Loads the cases in one YAML, JSON or JSON Lines (`.jsonl`) file. */
export async function loadCaseFile({ file }: { file: string }): Promise<EvalCase[]> {
  const absolute = resolve(file);
  const text = await readFile(absolute, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new EvalPathError({ path: file, what: 'case file' });
    throw error;
  });
  return parseCases({ text, file: absolute });
}

/**
 * Parses and validates the cases in a text: JSON Lines when `file` ends in `.jsonl`, else YAML or
 * JSON (`file` is used in errors and to resolve `trace`).
 */
export function parseCases({ text, file }: { text: string; file: string }): EvalCase[] {
  if (file.endsWith('.jsonl')) return parseJsonLines(text, file);
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = lines.linePos(syntax.pos[0]).line;
    throw new CaseFileError({
      file,
      line,
      problem: `not valid YAML/JSON: ${syntax.message.split('\n')[0]}`,
    });
  }
  const root: unknown = doc.toJS();
  const lineOf = (path: readonly (string | number)[]) => {
    const node = nodeAt(doc, path);
    return node?.range ? lines.linePos(node.range[0]).line : 1;
  };
  if (root === null || root === undefined)
    throw new CaseFileError({
      file,
      line: 1,
      problem: 'the file is empty; write a case ({ id, task, … }) or a list of cases',
    });
  const items = Array.isArray(root) ? root : [root];
  return items.map((item, index) => {
    const prefix: (string | number)[] = Array.isArray(root) ? [index] : [];
    checkCase({ item, file, prefix, lineOf, label: Array.isArray(root) ? `case #${index + 1}: ` : '' });
    return toCase(item as RawCase, file, lineOf(prefix));
  });
}

/** One case per line; blank lines and `#` comments are skipped, as Python looplet does. */
function parseJsonLines(text: string, file: string): EvalCase[] {
  const cases: EvalCase[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    let item: unknown;
    try {
      item = JSON.parse(trimmed);
    } catch (error) {
      throw new CaseFileError({
        file,
        line,
        problem: `not valid JSON: ${(error as Error).message}; a .jsonl file holds one case (a JSON object) per line`,
      });
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new CaseFileError({
        file,
        line,
        problem: `must be a JSON object (one case per line), got ${Array.isArray(item) ? 'a list' : JSON.stringify(item)}`,
      });
    checkCase({ item, file, prefix: [], lineOf: () => line, label: '' });
    cases.push(toCase(item as RawCase, file, line));
  });
  return cases;
}

/** Throws a {@link CaseFileError} for the first problem of an invalid case (listing a few more). */
function checkCase({
  item,
  file,
  prefix,
  lineOf,
  label,
}: {
  item: unknown;
  file: string;
  prefix: (string | number)[];
  lineOf: (path: readonly (string | number)[]) => number;
  label: string;
}): void {
  const errors = validateCase(item);
  if (errors.length === 0) return;
  const problems = errors.map((error) => describeCaseError(error, prefix, lineOf));
  const first = problems[0]!;
  const more = problems
    .slice(1, 5)
    .map(
      (problem) =>
        `\n  also ${file}:${problem.line}: ${problem.field ? `field "${problem.field}": ` : ''}${problem.text}`,
    )
    .join('');
  throw new CaseFileError({
    file,
    line: first.line,
    ...(first.field ? { field: first.field } : {}),
    problem: `${label}${first.text}${more}`,
  });
}

interface RawCase {
  id: string;
  task?: string | Record<string, unknown>;
  expected?: Record<string, unknown>;
  marks?: string[];
  notes?: string;
  script?: CaseTurn[];
  trace?: string;
  replay?: 'strict' | 'lenient';
}

function toCase(raw: RawCase, file: string, line: number): EvalCase {
  const item: EvalCase = {
    id: raw.id,
    task: taskOf(raw.task),
    expected: raw.expected ?? {},
    marks: [...new Set(raw.marks ?? [])],
    file,
    line,
  };
  if (raw.notes !== undefined) item.notes = raw.notes;
  if (raw.script !== undefined) item.script = raw.script;
  if (raw.trace !== undefined) item.trace = resolve(dirname(file), raw.trace);
  if (raw.replay !== undefined) item.replay = raw.replay;
  return item;
}

/**
 * The task as the agent gets it. Python looplet's tasks are free-form objects, usually
 * `{ description }`: the description becomes the goal (and is not repeated as a field, which the
 * prompt would show twice); a task with neither goal nor description, or none at all, has goal `''`.
 */
function taskOf(task: RawCase['task']): Task {
  if (task === undefined) return { goal: '' };
  if (typeof task === 'string' || typeof task.goal === 'string') return task as Task;
  const { description, ...rest } = task;
  return typeof description === 'string' ? { goal: description, ...rest } : { goal: '', ...task };
}

/** The node an error points at: the key of a field (`expect:`), or the list item; else its nearest parent. */
function nodeAt(doc: Document, path: readonly (string | number)[]): Node | undefined {
  const { isMap, isScalar, isSeq } = yaml();
  let node: unknown = doc.contents;
  let found = node as Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair || !isScalar(pair.key)) return found;
      found = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      node = node.items[segment];
      found = node as Node;
    } else {
      return found;
    }
  }
  return found;
}
