import fc from 'fast-check';
import type { JsonSchema } from '../core/schema.js';
import type { ToolCall, ToolError, ToolResult } from '../core/types.js';
import { breakers, SchemaArbitraryError, syncValidator, valuesOf } from './json-schema-arbitrary.js';

/** A tool as the arbitraries need it: a name and the JSON Schema of its arguments (any `defineTool` result). */
export interface ToolShape {
  readonly name: string;
  readonly jsonSchema: JsonSchema;
}

/** Which calls {@link toolCall} makes: matching the schema, not matching it, of a tool that does not exist, or a mix. */
export type CallValidity = 'valid' | 'invalid' | 'unknown_tool' | 'any';

/** The message a backend gives arguments it could not parse; such calls are always invalid. */
export const UNPARSEABLE_ARGS = 'Unexpected end of JSON input';

/**
 * Arguments for a tool's JSON Schema. `valid: true` (default) gives arguments the schema accepts;
 * `valid: false` gives arguments it rejects (a required property dropped, a property of the wrong
 * type, an unexpected property when `additionalProperties` is false). Both are checked with the
 * schema's validator, so what you get is what the loop will accept or reject.
 */
export function toolArgs({
  schema,
  valid = true,
}: {
  schema: JsonSchema;
  valid?: boolean;
}): fc.Arbitrary<Record<string, unknown>> {
  const isValid = syncValidator(schema);
  const values = valuesOf(schema).filter(
    (value): value is Record<string, unknown> =>
      typeof value === 'object' && value !== null && !Array.isArray(value) && isValid(value).ok,
  );
  if (valid) return values;
  const ways = breakers(schema);
  if (ways.length === 0) {
    throw new SchemaArbitraryError({
      message:
        'every argument object is valid for this schema (no required, typed or closed properties); use toolCall({ validity: "invalid" }), which falls back to unparseable arguments',
    });
  }
  return fc
    .tuple(values, fc.oneof(...ways))
    .map(([args, breakArgs]) => breakArgs(args))
    .filter((args) => !isValid(args).ok);
}

const callIds = fc.stringMatching(/^call_[a-z0-9]{6}$/);

/**
 * Tool calls against the given tools. `validity` picks valid calls (default), calls the loop
 * rejects as `invalid_args` (schema violations, or arguments the backend could not parse),
 * calls of tools that do not exist (`unknown_tool`), or a mix (`any`).
 */
export function toolCall({
  tools,
  validity = 'valid',
}: {
  tools: ToolShape | readonly ToolShape[];
  validity?: CallValidity;
}): fc.Arbitrary<ToolCall> {
  const list: readonly ToolShape[] = Array.isArray(tools) ? tools : [tools as ToolShape];
  if (list.length === 0 && validity !== 'unknown_tool')
    throw new SchemaArbitraryError({ message: 'toolCall needs at least one tool' });
  switch (validity) {
    case 'valid':
      return fc.oneof(
        ...list.map((tool) =>
          fc.record({
            id: callIds,
            name: fc.constant(tool.name),
            args: toolArgs({ schema: tool.jsonSchema }),
          }),
        ),
      );
    case 'invalid':
      return fc.oneof(...list.map(invalidCall));
    case 'unknown_tool': {
      const names = new Set(list.map((tool) => tool.name));
      return fc.record({
        id: callIds,
        name: fc.stringMatching(/^[a-z][a-z_]{2,10}$/).filter((name) => !names.has(name)),
        args: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
      });
    }
    case 'any':
      return fc.oneof(
        { weight: 6, arbitrary: toolCall({ tools: list, validity: 'valid' }) },
        { weight: 2, arbitrary: toolCall({ tools: list, validity: 'invalid' }) },
        { weight: 1, arbitrary: toolCall({ tools: list, validity: 'unknown_tool' }) },
      );
  }
}

function invalidCall(tool: ToolShape): fc.Arbitrary<ToolCall> {
  const unparseable = fc.record({
    id: callIds,
    name: fc.constant(tool.name),
    args: fc.constant({}),
    argsError: fc.constant(UNPARSEABLE_ARGS),
  });
  if (breakers(tool.jsonSchema).length === 0) return unparseable;
  const broken = fc.record({
    id: callIds,
    name: fc.constant(tool.name),
    args: toolArgs({ schema: tool.jsonSchema, valid: false }),
  });
  return fc.oneof({ weight: 4, arbitrary: broken }, { weight: 1, arbitrary: unparseable });
}

const ERROR_KINDS: readonly ToolError['kind'][] = [
  'invalid_args',
  'unknown_tool',
  'tool_threw',
  'blocked',
  'denied',
  'aborted',
  'done_rejected',
  'timeout',
  'invalid_result',
  'no_recording',
];

/** Tool errors of the given kinds (default: every kind) with short messages. */
export function toolError({
  kinds = ERROR_KINDS,
}: {
  kinds?: readonly ToolError['kind'][];
} = {}): fc.Arbitrary<ToolError> {
  return fc.record({
    kind: fc.constantFrom(...kinds),
    message: fc.string({ minLength: 1, maxLength: 40 }),
  });
}

/**
 * Tool results: data (any JSON value) or an error. Give `call` to get results for that call;
 * `outcome` picks successes, errors, or both (default).
 */
export function toolResult({
  call,
  outcome = 'any',
}: {
  call?: ToolCall;
  outcome?: 'data' | 'error' | 'any';
} = {}): fc.Arbitrary<ToolResult> {
  const head = call
    ? fc.constant({ callId: call.id, name: call.name, args: call.args })
    : fc.record({
        callId: callIds,
        name: fc.stringMatching(/^[a-z][a-z_]{0,10}$/),
        args: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
      });
  const data = fc.record({ data: fc.jsonValue({ maxDepth: 2 }) });
  const error = fc.record({ error: toolError() });
  const body = outcome === 'data' ? data : outcome === 'error' ? error : fc.oneof(data, error);
  return fc
    .tuple(head, body, fc.nat({ max: 5000 }))
    .map(([h, b, durationMs]): ToolResult => ({ ...h, ...b, durationMs }));
}
