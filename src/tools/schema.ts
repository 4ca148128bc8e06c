import { createRequire } from 'node:module';
import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';
import type { CompiledSchema, JsonSchema, ParameterSchema } from '../core/schema.js';
import { LoopletError } from '../util/errors.js';

/** Thrown when a tool is defined with a schema looplet cannot use. */
export class ToolDefinitionError extends LoopletError {
  constructor({ message }: { message: string }) {
    super({ message, code: 'TOOL_DEFINITION' });
  }
}

// ajv and ajv-formats (CommonJS, ~90 files) are required the first time a JSON-Schema tool is
// defined, not when looplet is imported: a program whose tools use Standard Schema never loads them.
const require = createRequire(import.meta.url);

let sharedAjv: Ajv | undefined;
function ajv(): Ajv {
  if (!sharedAjv) {
    const { Ajv } = require('ajv') as typeof import('ajv');
    const formats = require('ajv-formats') as FormatsPlugin & { default?: FormatsPlugin };
    sharedAjv = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false });
    (formats.default ?? formats)(sharedAjv);
  }
  return sharedAjv;
}

export function isStandardSchema(schema: unknown): schema is StandardSchemaV1 {
  return typeof schema === 'object' && schema !== null && '~standard' in schema;
}

/**
 * Compiles a tool's parameter schema once, at definition time, so a bad schema fails where the
 * tool is defined and validation per call costs only the check itself.
 */
export function compileSchema({
  tool,
  schema,
  jsonSchema,
}: {
  tool: string;
  schema: ParameterSchema;
  jsonSchema?: JsonSchema;
}): CompiledSchema {
  if (isStandardSchema(schema)) return compileStandard({ tool, schema, jsonSchema });
  let validateFn: ValidateFunction;
  try {
    validateFn = ajv().compile(schema);
  } catch (error) {
    throw new ToolDefinitionError({
      message: `tool "${tool}": parameters is not a valid JSON Schema: ${(error as Error).message}`,
    });
  }
  // ajv's useDefaults writes defaults into its input: copy the model's arguments first so the
  // call stays as sent — but only for schemas that declare defaults, as copying costs per call.
  const mutates = JSON.stringify(schema).includes('"default"');
  return {
    jsonSchema: schema,
    validate(args) {
      const value = (mutates ? structuredClone(args ?? {}) : (args ?? {})) as Record<string, unknown>;
      if (validateFn(value)) return { ok: true, value };
      return { ok: false, issues: (validateFn.errors ?? []).map(formatAjvError) };
    },
  };
}

function compileStandard({
  tool,
  schema,
  jsonSchema,
}: {
  tool: string;
  schema: StandardSchemaV1;
  jsonSchema?: JsonSchema;
}): CompiledSchema {
  const shown = jsonSchema ?? standardJsonSchema(schema);
  if (!shown) {
    throw new ToolDefinitionError({
      message: `tool "${tool}": the Standard Schema from "${schema['~standard'].vendor}" cannot describe itself as JSON Schema; pass \`jsonSchema\` to defineTool so the model can be shown the parameters`,
    });
  }
  return {
    jsonSchema: shown,
    async validate(args) {
      const outcome = await schema['~standard'].validate(args ?? {});
      if (outcome.issues === undefined) return { ok: true, value: outcome.value as Record<string, unknown> };
      return {
        ok: false,
        issues: outcome.issues.map((issue) => {
          const path = (issue.path ?? []).map((part) =>
            typeof part === 'object' ? String(part.key) : String(part),
          );
          return path.length > 0 ? `${path.join('.')}: ${issue.message}` : issue.message;
        }),
      };
    },
  };
}

function standardJsonSchema(schema: StandardSchemaV1): JsonSchema | undefined {
  const props = (schema as unknown as Partial<StandardJSONSchemaV1>)['~standard'];
  if (!props?.jsonSchema) return undefined;
  return props.jsonSchema.input({ target: 'draft-2020-12' });
}

function formatAjvError(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '(arguments)';
  if (error.keyword === 'required')
    return `${where}: missing required property "${String(error.params.missingProperty)}"`;
  if (error.keyword === 'additionalProperties')
    return `${where}: unexpected property "${String(error.params.additionalProperty)}"`;
  return `${where}: ${error.message ?? error.keyword}`;
}
