import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { glob } from 'tinyglobby';
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Task, Usage } from '../core/types.js';
import { CaseFileError, EvalPathError } from './errors.js';

/** One scripted model turn in a case file: text, tool calls, or both. */
export interface CaseTurn {
  text?: string;
  toolCalls?: Array<{ id?: string; name: string; args?: Record<string, unknown> }>;
  usage?: Usage;
}

/**
 * An eval case: a task to give the agent, grader-only expectations, and tags. Loaded from YAML
 * or JSON by {@link loadCases}.
 */
export interface EvalCase {
  /** Stable name: the context id in reports and baselines. Letters, digits, `.`, `_`, `-`. */
  id: string;
  /** What the agent is asked to do. */
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

const TURN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    text: { type: 'string' },
    toolCalls: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string', minLength: 1 },
          args: { type: 'object' },
        },
      },
    },
    usage: {
      type: 'object',
      additionalProperties: false,
      required: ['promptTokens', 'completionTokens', 'totalTokens'],
      properties: {
        promptTokens: { type: 'integer', minimum: 0 },
        completionTokens: { type: 'integer', minimum: 0 },
        totalTokens: { type: 'integer', minimum: 0 },
      },
    },
  },
};

/** The JSON Schema of one case (point your editor's YAML/JSON language server at it). */
export const CASE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'looplet eval case',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'task'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 128 },
    task: {
      type: ['string', 'object'],
      minLength: 1,
      required: ['goal'],
      properties: { goal: { type: 'string', minLength: 1 } },
    },
    expected: { type: 'object' },
    marks: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
    notes: { type: 'string' },
    script: { type: 'array', items: TURN_SCHEMA },
    trace: { type: 'string', minLength: 1 },
    replay: { enum: ['strict', 'lenient'] },
  },
} as const;

const CASE_FIELDS = Object.keys(CASE_SCHEMA.properties).join(', ');

let validator: ReturnType<Ajv['compile']> | undefined;
function validateCase(value: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(CASE_SCHEMA);
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

/** File names {@link loadCases} reads. */
export const CASE_FILE_PATTERNS: readonly string[] = ['**/*.yaml', '**/*.yml', '**/*.json'];

/**
 * Loads every case under a directory (`*.yaml`, `*.yml`, `*.json`, recursively, sorted by path).
 * A file holds one case or a list of cases. Throws {@link CaseFileError} with `file:line` and the
 * field for the first invalid case, and for a case id used twice.
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
  const files = info.isFile()
    ? [root]
    : (
        await glob([...CASE_FILE_PATTERNS], { cwd: root, absolute: true, ignore: ['**/node_modules/**'] })
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

/** Loads the case (or list of cases) in one YAML or JSON file. */
export async function loadCaseFile({ file }: { file: string }): Promise<EvalCase[]> {
  const absolute = resolve(file);
  const text = await readFile(absolute, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new EvalPathError({ path: file, what: 'case file' });
    throw error;
  });
  return parseCases({ text, file: absolute });
}

/** Parses and validates the cases in a YAML or JSON text (`file` is used in errors and to resolve `trace`). */
export function parseCases({ text, file }: { text: string; file: string }): EvalCase[] {
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
    const errors = validateCase(item);
    if (errors.length > 0) {
      const problems = errors.map((error) => describeError(error, prefix, lineOf));
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
        problem: `${Array.isArray(root) ? `case #${index + 1}: ` : ''}${first.text}${more}`,
      });
    }
    return toCase(item as RawCase, file, lineOf(prefix));
  });
}

interface RawCase {
  id: string;
  task: Task;
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
    task: raw.task,
    expected: raw.expected ?? {},
    marks: raw.marks ?? [],
    file,
    line,
  };
  if (raw.notes !== undefined) item.notes = raw.notes;
  if (raw.script !== undefined) item.script = raw.script;
  if (raw.trace !== undefined) item.trace = resolve(dirname(file), raw.trace);
  if (raw.replay !== undefined) item.replay = raw.replay;
  return item;
}

function describeError(
  error: ErrorObject,
  prefix: readonly (string | number)[],
  lineOf: (path: readonly (string | number)[]) => number,
): { line: number; field?: string; text: string } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  const at = (segments: (string | number)[]) => ({
    line: lineOf([...prefix, ...segments]),
    field: segments.join('/'),
  });
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const where = at(path);
      return {
        line: where.line,
        field: [...path, missing].join('/'),
        text: `missing required field "${missing}"`,
      };
    }
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const known = path.length === 0 ? ` (case fields: ${CASE_FIELDS})` : '';
      return { ...at([...path, extra]), text: `unknown field "${extra}"${known}` };
    }
    case 'pattern':
      return {
        ...at(path),
        text: 'must start with a letter or digit and hold only letters, digits, ".", "_" and "-"',
      };
    case 'type':
      return { ...at(path), text: `must be ${String(params.type).replace(',', ' or ')}` };
    case 'enum':
      return { ...at(path), text: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    default:
      return { ...at(path), text: error.message ?? error.keyword };
  }
}

/** The node an error points at: the key of a field (`expect:`), or the list item; else its nearest parent. */
function nodeAt(doc: Document, path: readonly (string | number)[]): Node | undefined {
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
