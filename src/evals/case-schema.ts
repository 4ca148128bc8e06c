import { createRequire } from 'node:module';
import type { Ajv, ErrorObject } from 'ajv';

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

/**
 * A case id: what Python looplet accepts — one non-blank path component (it names the file
 * `saveCase` writes): no `/`, `\` or control characters, not `.` or `..`.
 */
const ID_PATTERN = '^(?!\\s*$)(?!\\.\\.?$)[^/\\\\\\u0000-\\u001f\\u007f]+$';

/** The JSON Schema of one case (point your editor's YAML/JSON language server at it). */
export const CASE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'looplet eval case',
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: { type: 'string', pattern: ID_PATTERN, maxLength: 128 },
    task: {
      type: ['string', 'object'],
      minLength: 1,
      properties: {
        goal: { type: 'string', minLength: 1 },
        // Grader-only data in the task would be shown to the agent.
        expected: false,
      },
    },
    expected: { type: 'object' },
    marks: { type: 'array', items: { type: 'string', minLength: 1 } },
    notes: { type: 'string' },
    script: { type: 'array', items: TURN_SCHEMA },
    trace: { type: 'string', minLength: 1 },
    replay: { enum: ['strict', 'lenient'] },
  },
} as const;

const CASE_FIELDS = Object.keys(CASE_SCHEMA.properties).join(', ');

let validator: ReturnType<Ajv['compile']> | undefined;

/** The schema's complaints about one case (none when it is valid). */
export function validateCase(value: unknown): ErrorObject[] {
  if (!validator) {
    // Required on first use: importing looplet/evals does not load ajv.
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    validator = new Ajv({ allErrors: true, strict: false, unicodeRegExp: true }).compile(CASE_SCHEMA);
  }
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

/** One schema complaint in words, with the line and field it is about. */
export interface CaseProblem {
  line: number;
  field?: string;
  text: string;
}

/**
 * Turns a schema error into words: where (`lineOf` maps a path inside the file to its line;
 * `prefix` is the case's own path, e.g. its index in a list) and what to do about it.
 */
export function describeCaseError(
  error: ErrorObject,
  prefix: readonly (string | number)[],
  lineOf: (path: readonly (string | number)[]) => number,
): CaseProblem {
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
      const known =
        path.length === 0
          ? ` (case fields: ${CASE_FIELDS}). Python looplet ignored unknown fields; here a typo such as "expect" must not drop grader data silently: delete the field, or keep its text in "notes"`
          : '';
      return { ...at([...path, extra]), text: `unknown field "${extra}"${known}` };
    }
    case 'false schema':
      return {
        ...at(path),
        text: 'grader-only data must not be in the task, which the agent reads: move it to the top-level "expected" field',
      };
    case 'pattern':
      return {
        ...at(path),
        text: 'must be one path component (it names the file saveCase writes): not blank, not "." or "..", no "/", "\\" or control characters',
      };
    case 'type':
      return { ...at(path), text: `must be ${String(params.type).replace(',', ' or ')}` };
    case 'enum':
      return { ...at(path), text: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    default:
      return { ...at(path), text: error.message ?? error.keyword };
  }
}
