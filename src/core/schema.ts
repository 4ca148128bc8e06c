// JSON Schema and validation vocabulary: what tools are described and checked with.
import type { StandardSchemaV1 } from '@standard-schema/spec';

/** A JSON Schema object (draft 2020-12 subset that ajv understands). */
export type JsonSchema = Record<string, unknown>;

/** What a tool accepts as `parameters`: a JSON Schema or any Standard Schema (zod, valibot, arktype…). */
export type ParameterSchema = JsonSchema | StandardSchemaV1;

/** The outcome of validating arguments: the (possibly transformed) value, or readable issues. */
export type ValidationOutcome =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; issues: string[] };

/** A compiled validator plus the JSON Schema the model is shown. */
export interface CompiledSchema {
  jsonSchema: JsonSchema;
  validate(args: unknown): ValidationOutcome | Promise<ValidationOutcome>;
}
