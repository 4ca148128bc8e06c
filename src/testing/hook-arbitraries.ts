import fc from 'fast-check';
import type { HookDecision } from '../loop/decision.js';
import type { Hook } from '../loop/hooks.js';
import {
  GENERATED_METHODS,
  type GeneratedMethod,
  type HookAnswer,
  type HookSpec,
  hookFromSpec,
} from './hook-spec.js';

type DecisionField = keyof HookDecision;

/** The decision fields each hook method acts on; the others are ignored by the loop. */
const FIELDS_BY_METHOD: Record<Exclude<GeneratedMethod, 'buildBriefing' | 'onLoopEnd'>, DecisionField[]> = {
  preLoop: ['stop', 'additionalContext', 'metadata'],
  prePrompt: ['stop', 'additionalContext', 'metadata'],
  preDispatch: ['block', 'retry', 'stop', 'updatedArgs', 'updatedResult', 'additionalContext', 'metadata'],
  checkPermission: ['block', 'retry', 'stop', 'updatedArgs', 'additionalContext', 'metadata'],
  postDispatch: ['stop', 'updatedResult', 'additionalContext', 'metadata'],
  onStep: ['stop', 'additionalContext', 'metadata'],
  checkDone: ['block', 'stop', 'metadata'],
  shouldStop: ['stop', 'additionalContext', 'metadata'],
};

const ALL_FIELDS: DecisionField[] = [
  'block',
  'retry',
  'stop',
  'updatedArgs',
  'updatedResult',
  'additionalContext',
  'metadata',
];

/** Present with probability `weight / (weight + absent)`; `undefined` (shrinks to absent) otherwise. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, weight: number, absent = 10): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { weight: absent, arbitrary: fc.constant(undefined) },
    { weight, arbitrary: arbitrary as fc.Arbitrary<T | undefined> },
  );
}

const label = (prefix: string) => fc.nat({ max: 30 }).map((n) => `${prefix}-${n}`);
const smallArgs = fc.dictionary(
  fc.constantFrom('text', 'key', 'a', 'b', 'q'),
  fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -9, max: 9 })),
  { maxKeys: 2 },
);

const FIELD_ARBITRARIES: Record<DecisionField, fc.Arbitrary<unknown>> = {
  block: sometimes(label('block'), 1),
  retry: sometimes(fc.boolean(), 3),
  stop: sometimes(label('stop'), 1, 25),
  updatedArgs: sometimes(smallArgs, 1),
  updatedResult: sometimes(fc.oneof(label('result'), fc.jsonValue({ maxDepth: 1 })), 1),
  additionalContext: sometimes(label('note'), 4),
  metadata: sometimes(fc.dictionary(label('m'), fc.integer({ min: 0, max: 9 }), { maxKeys: 2 }), 2),
};

/**
 * Hook decisions. Give `method` to get only the fields that method acts on (a `checkDone`
 * decision never carries `updatedArgs`); without it, any field. Every field is usually absent:
 * a decision is most often empty or one field, which is what real hooks return. With
 * `explicitUndefined`, absent fields sometimes appear as keys set to `undefined` — what a hook
 * built with object spread returns, and what a careless merge turns into a lost `stop`.
 */
export function hookDecision({
  method,
  explicitUndefined = true,
}: {
  method?: GeneratedMethod;
  explicitUndefined?: boolean;
} = {}): fc.Arbitrary<HookDecision> {
  const fields =
    method === undefined || method === 'buildBriefing' || method === 'onLoopEnd'
      ? ALL_FIELDS
      : FIELDS_BY_METHOD[method];
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of fields) model[field] = FIELD_ARBITRARIES[field];
  return fc
    .tuple(
      fc.record(model),
      explicitUndefined
        ? fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, fc.constant(true))
        : fc.constant(false),
    )
    .map(([drawn, keepUndefined]) => {
      const decision: Record<string, unknown> = {};
      for (const field of fields) {
        const value = drawn[field];
        if (value !== undefined || keepUndefined) decision[field] = value;
      }
      return decision as HookDecision;
    });
}

/** Options of {@link hookAnswer} and {@link hookSpec}. */
export interface HookGenOptions {
  /** Let some calls throw (default true). */
  throws?: boolean;
  /** Let some calls answer through a promise (default true). */
  async?: boolean;
}

/** What one call of a generated hook method does: answer (sync or async) or throw. */
export function hookAnswer({
  method,
  throws = true,
  async = true,
}: HookGenOptions & { method: GeneratedMethod }): fc.Arbitrary<HookAnswer> {
  const value: fc.Arbitrary<Omit<HookAnswer, 'async'>> =
    method === 'buildBriefing'
      ? sometimes(label('brief'), 1, 2).map((briefing) => (briefing === undefined ? {} : { briefing }))
      : method === 'onLoopEnd'
        ? fc.constant({})
        : fc
            .oneof(
              { weight: 2, arbitrary: fc.constant(undefined) },
              { weight: 3, arbitrary: hookDecision({ method }) },
            )
            .map((decision) => (decision === undefined ? {} : { decision }));
  const thrown: fc.Arbitrary<string | undefined> = throws
    ? sometimes(label('boom'), 1, 40)
    : fc.constant(undefined);
  return fc
    .tuple(
      value,
      thrown,
      async ? fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)) : fc.constant(false),
    )
    .map(([answer, throwing, isAsync]): HookAnswer => {
      const out: HookAnswer = throwing !== undefined ? { throws: throwing } : { ...answer };
      if (isAsync) out.async = true;
      return out;
    });
}

/**
 * Generated hooks as data ({@link HookSpec}): some of `methods` (possibly none), each answering its
 * calls from a short list (decisions, briefings, sometimes a throw, sometimes through a promise).
 */
export function hookSpec({
  id = 'g',
  methods = GENERATED_METHODS,
  maxAnswers = 3,
  ...options
}: HookGenOptions & {
  id?: string;
  methods?: readonly GeneratedMethod[];
  maxAnswers?: number;
} = {}): fc.Arbitrary<HookSpec> {
  // A record with optional keys (not a chain): shrinking drops whole methods, then answers.
  const model: Record<string, fc.Arbitrary<HookAnswer[]>> = {};
  for (const method of methods)
    model[method] = fc.array(hookAnswer({ method, ...options }), { minLength: 1, maxLength: maxAnswers });
  return fc.record(model, { requiredKeys: [] }).map((answers): HookSpec => ({ id, methods: answers }));
}

/** Generated hooks, ready to pass to `agentLoop` (each prints as its spec in counterexamples). */
export function hook(options: Parameters<typeof hookSpec>[0] = {}): fc.Arbitrary<Hook> {
  return hookSpec(options).map(hookFromSpec);
}
