import fc from 'fast-check';
import type { JsonSchema, ValidationOutcome } from '../core/schema.js';
import { compileSchema } from '../tools/schema.js';
import { LoopletError } from '../util/errors.js';

/** A schema the arbitraries cannot generate values for. */
export class SchemaArbitraryError extends LoopletError {
  constructor({ message }: { message: string }) {
    super({ message, code: 'SCHEMA_ARBITRARY' });
  }
}

const MAX_DEPTH = 3;

/**
 * Values a JSON Schema accepts. Covers `type` (one or several), `const`, `enum`, `properties`,
 * `required`, `additionalProperties`, `items`, `min/maxItems`, `min/maxLength`, `pattern`, the
 * common `format`s, `minimum`/`maximum` (exclusive too), `anyOf`/`oneOf`. Keywords beyond these
 * are enforced by filtering with the schema's own validator (see {@link toolArgs}).
 */
export function valuesOf(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const choices = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(choices) && choices.length > 0)
    return fc.oneof(...choices.map((c) => valuesOf(c, depth)));
  const types = typesOf(schema);
  if (types.length === 0) return depth >= MAX_DEPTH ? scalar() : fc.jsonValue({ maxDepth: 1 });
  return fc.oneof(...types.map((type) => valuesOfType(schema, type, depth)));
}

function typesOf(schema: JsonSchema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  if (schema.properties !== undefined) return ['object'];
  if (schema.items !== undefined) return ['array'];
  return [];
}

function num(schema: JsonSchema, key: string): number | undefined {
  const value = schema[key];
  return typeof value === 'number' ? value : undefined;
}

function valuesOfType(schema: JsonSchema, type: string, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return strings(schema);
    case 'integer':
      return fc.integer(bounds(schema, true));
    case 'number':
      return fc.oneof(
        fc.integer(bounds(schema, true)),
        fc.double({ ...bounds(schema, false), noNaN: true, noDefaultInfinity: true }),
      );
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (schema.items as JsonSchema | undefined) ?? {};
      const minLength = num(schema, 'minItems') ?? 0;
      const maxLength = Math.max(minLength, Math.min(num(schema, 'maxItems') ?? 3, minLength + 3));
      return fc.array(depth >= MAX_DEPTH ? scalar() : valuesOf(items, depth + 1), { minLength, maxLength });
    }
    case 'object':
      return objects(schema, depth);
    default:
      throw new SchemaArbitraryError({ message: `JSON Schema type "${type}" is not a JSON Schema type` });
  }
}

function bounds(schema: JsonSchema, integer: boolean): { min: number; max: number } {
  const step = integer ? 1 : Number.EPSILON * 1000;
  const exclusiveMin = num(schema, 'exclusiveMinimum');
  const exclusiveMax = num(schema, 'exclusiveMaximum');
  let min = num(schema, 'minimum') ?? (exclusiveMin !== undefined ? exclusiveMin + step : -1000);
  let max = num(schema, 'maximum') ?? (exclusiveMax !== undefined ? exclusiveMax - step : 1000);
  if (integer) {
    min = Math.ceil(min);
    max = Math.floor(max);
  }
  if (min > max)
    throw new SchemaArbitraryError({ message: `no number lies between minimum ${min} and maximum ${max}` });
  return { min, max };
}

const FORMATS: Record<string, () => fc.Arbitrary<string>> = {
  email: () => fc.emailAddress(),
  uri: () => fc.webUrl(),
  url: () => fc.webUrl(),
  uuid: () => fc.uuid(),
  'date-time': () => fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  date: () => fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  ipv4: () => fc.ipV4(),
  ipv6: () => fc.ipV6(),
};

function strings(schema: JsonSchema): fc.Arbitrary<string> {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  if (format) return format();
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
  const minLength = num(schema, 'minLength') ?? 0;
  const maxLength = Math.max(minLength, num(schema, 'maxLength') ?? minLength + 12);
  return fc.string({ minLength, maxLength });
}

function objects(schema: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(properties)) model[key] = valuesOf(property, depth + 1);
  // Required keys the schema does not describe still have to be there.
  for (const key of required) model[key] ??= scalar();
  const requiredKeys = Object.keys(model).filter((key) => required.has(key));
  return fc.record(model, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>;
}

function scalar(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -100, max: 100 }),
    fc.boolean(),
    fc.constant(null),
  );
}

/** The schema's validator (ajv for JSON Schema), synchronous. */
export function syncValidator(schema: JsonSchema): (args: unknown) => ValidationOutcome {
  const compiled = compileSchema({ tool: 'arbitrary', schema });
  return (args) => {
    const outcome = compiled.validate(args);
    if (outcome instanceof Promise)
      throw new SchemaArbitraryError({ message: 'a JSON Schema validator answered asynchronously' });
    return outcome;
  };
}

/** A value of a type the property schema does not allow, or undefined when it allows every type. */
function wrongValue(property: JsonSchema): fc.Arbitrary<unknown> | undefined {
  const allowed = new Set(typesOf(property));
  if (allowed.size === 0 && !('const' in property) && !Array.isArray(property.enum)) return undefined;
  const candidates: Array<[string, fc.Arbitrary<unknown>]> = [
    ['string', fc.constant('not-what-you-expected')],
    ['number', fc.constant(12345.5)],
    ['boolean', fc.constant(true)],
    ['object', fc.constant({ unexpected: 'object' })],
    ['array', fc.constant(['unexpected', 'array'])],
  ];
  const wrong = candidates
    .filter(([type]) => !allowed.has(type) && !(type === 'number' && allowed.has('integer')))
    .map(([, arbitrary]) => arbitrary);
  return wrong.length > 0 ? fc.oneof(...wrong) : undefined;
}

/** Ways to break valid arguments for `schema`, as arbitraries of a function from valid to broken args. */
export function breakers(
  schema: JsonSchema,
): Array<fc.Arbitrary<(args: Record<string, unknown>) => Record<string, unknown>>> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const out: Array<fc.Arbitrary<(args: Record<string, unknown>) => Record<string, unknown>>> = [];
  if (required.length > 0) {
    out.push(
      fc.constantFrom(...required).map((key) => (args: Record<string, unknown>) => {
        const { [key]: _dropped, ...rest } = args;
        return rest;
      }),
    );
  }
  const typed = Object.entries(properties).flatMap(([key, property]) => {
    const wrong = wrongValue(property);
    return wrong
      ? [wrong.map((value) => (args: Record<string, unknown>) => ({ ...args, [key]: value }))]
      : [];
  });
  if (typed.length > 0) out.push(fc.oneof(...typed));
  if (schema.additionalProperties === false) {
    out.push(
      fc
        .stringMatching(/^x_[a-z]{1,6}$/)
        .filter((key) => !(key in properties))
        .map((key) => (args: Record<string, unknown>) => ({ ...args, [key]: 'unexpected' })),
    );
  }
  return out;
}
