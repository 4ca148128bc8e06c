import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { packageFile } from '../util/package-files.js';

/** The files of a v1 trace, each validated by its own definition of `schema/trace-v1.schema.json`. */
export type TraceRecordKind = 'trace' | 'step' | 'call' | 'volatile' | 'artifacts' | 'expected';

/** One schema violation: where (a JSON path such as `results[0].name`) and what. */
export interface SchemaIssue {
  field: string;
  message: string;
}

/** Where the JSON Schema ships: `schema/` at the package root (beside `src/` and `dist/`). */
export const TRACE_SCHEMA_URL = pathToFileURL(packageFile('schema/trace-v1.schema.json'));

let ajv: { instance: Ajv2020; id: string } | undefined;
const compiled = new Map<TraceRecordKind, ValidateFunction>();

/** The validator of one file kind, compiled on first use (`show` never pays for `call` or `volatile`). */
function validatorOf(kind: TraceRecordKind): ValidateFunction {
  let validate = compiled.get(kind);
  if (!validate) {
    if (!ajv) {
      const schema = JSON.parse(readFileSync(TRACE_SCHEMA_URL, 'utf8')) as { $id: string };
      // Required here, not imported: only writing or validating a trace needs ajv.
      const { Ajv2020 } = createRequire(import.meta.url)(
        'ajv/dist/2020.js',
      ) as typeof import('ajv/dist/2020.js');
      const instance = new Ajv2020({ allErrors: false, strict: false, strictNumbers: true });
      instance.addSchema(schema);
      ajv = { instance, id: schema.$id };
    }
    validate = ajv.instance.getSchema(`${ajv.id}#/$defs/${kind}`);
    if (!validate) throw new Error(`trace schema has no $defs/${kind}`);
    compiled.set(kind, validate);
  }
  return validate;
}

/** Validates one parsed trace file; returns the first violation, or undefined when it conforms. */
export function checkRecord(kind: TraceRecordKind, value: unknown): SchemaIssue | undefined {
  const validate = validatorOf(kind);
  if (validate(value)) return undefined;
  const error = pickError(validate.errors ?? []);
  if (!error) return { field: '', message: 'does not match the trace schema' };
  return { field: fieldOf(error), message: describe(error) };
}

/** The most useful error: the deepest one (ajv lists the `oneOf`/`if` wrappers after their causes). */
function pickError(errors: ErrorObject[]): ErrorObject | undefined {
  let best: ErrorObject | undefined;
  for (const error of errors) {
    if (error.keyword === 'if' || error.keyword === 'oneOf' || error.keyword === 'anyOf') continue;
    if (!best || error.instancePath.length > best.instancePath.length) best = error;
  }
  return best ?? errors[0];
}

function fieldOf(error: ErrorObject): string {
  let field = '';
  for (const part of error.instancePath.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    field += /^\d+$/.test(key) ? `[${key}]` : field === '' ? key : `.${key}`;
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty ?? '';
    field = field === '' ? missing : `${field}.${missing}`;
  }
  return field;
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is missing';
    case 'type':
      return `must be ${(error.params as { type?: string }).type ?? 'another type'}`;
    case 'enum':
      return `must be one of ${((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify((error.params as { allowedValue?: unknown }).allowedValue)}`;
    default:
      return error.message ?? 'does not match the trace schema';
  }
}
