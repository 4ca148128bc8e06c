// What a hook method answered, read strictly: a decision object, one of the shorthands Python
// looplet accepts where its meaning is unambiguous, or nothing. Anything else is a bug in the hook
// that must not pass silently (a permission hook answering `'no'` must never let the call run).
import type { HookDecision } from './decision.js';

/** The hook methods whose answers are decisions (kept here so this module needs no other). */
type DecisionMethodName =
  | 'preLoop'
  | 'prePrompt'
  | 'preDispatch'
  | 'checkPermission'
  | 'postDispatch'
  | 'onStep'
  | 'checkDone'
  | 'shouldStop';

/** A hook as far as naming it goes. */
type Named = object & { readonly name?: unknown };

/**
 * A hook's name for errors and traces: its `name` property, else its class name (for an instance
 * of a class other than `Object`), else its position in the list it was passed in.
 */
export function hookName(hook: Named, index: number): string {
  if (typeof hook.name === 'string' && hook.name !== '') return hook.name;
  const className = (hook as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof className === 'string' && className !== '' && className !== 'Object') return className;
  return `hooks[${index}]`;
}

/**
 * How an error names a hook: `hook "audit" (hooks[0])` when it has a name, else its position and
 * the methods it has, `hooks[1] (the hook with preDispatch, onStep)`, so it can be found in the list.
 */
export function describeHook(hook: Named, index: number): string {
  const name = hookName(hook, index);
  if (name !== `hooks[${index}]`) return `hook "${name}" (hooks[${index}])`;
  return `hooks[${index}] (the hook with ${methodsOf(hook).join(', ') || 'no methods'})`;
}

function methodsOf(hook: object): string[] {
  const methods: string[] = [];
  for (let proto: object | null = hook; proto !== null && proto !== Object.prototype; ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || methods.includes(key)) continue;
      if (typeof (hook as Record<string, unknown>)[key] === 'function') methods.push(key);
    }
    proto = Object.getPrototypeOf(proto);
  }
  return methods;
}

/** How a shorthand answer names its hook in the reason the model or the result shows. */
function label(hook: Named): string {
  if (typeof hook.name === 'string' && hook.name !== '') return `hook "${hook.name}"`;
  const className = (hook as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof className === 'string' && className !== '' && className !== 'Object') return `hook ${className}`;
  return 'a hook';
}

/** A hook answered something that is neither a decision nor a shorthand of its method. */
export class HookAnswerProblem extends Error {
  readonly returned: unknown;

  constructor(returned: unknown, problem: string) {
    super(problem);
    this.returned = returned;
  }
}

const DECISION_FIELDS: ReadonlySet<string> = new Set([
  'block',
  'retry',
  'stop',
  'updatedArgs',
  'updatedResult',
  'additionalContext',
  'metadata',
]);

/** Methods where a string is text for the model (Python looplet's `InjectContext`). */
const CONTEXT_STRING_METHODS: ReadonlySet<string> = new Set([
  'preLoop',
  'prePrompt',
  'postDispatch',
  'onStep',
]);

/**
 * The decision a settled hook answer stands for; undefined for "nothing to say". Throws
 * {@link HookAnswerProblem} for an answer that means nothing there. The shorthands:
 * `checkPermission`: `true` allows, `false` denies; `shouldStop`: `true` stops, `false` does not;
 * `checkDone`: a string blocks the done with that reason; `preLoop`, `prePrompt`, `postDispatch`,
 * `onStep`: a string is context for the model.
 */
export function decisionFromAnswer(
  method: DecisionMethodName,
  answer: unknown,
  hook: Named,
): HookDecision | undefined {
  switch (typeof answer) {
    case 'undefined':
      return undefined;
    case 'object':
      if (answer === null) return undefined;
      if (Array.isArray(answer)) break;
      checkDecision(answer as Record<string, unknown>);
      return answer as HookDecision;
    case 'boolean':
      if (method === 'checkPermission')
        return answer ? undefined : { block: `permission denied by ${label(hook)}`, retry: false };
      if (method === 'shouldStop')
        return answer ? { stop: `${label(hook)} asked to stop (shouldStop returned true)` } : undefined;
      break;
    case 'string':
      if (CONTEXT_STRING_METHODS.has(method))
        return answer === '' ? undefined : { additionalContext: answer };
      if (method === 'checkDone')
        return { block: answer === '' ? `${label(hook)} refused the done call` : answer };
      break;
  }
  throw new HookAnswerProblem(answer, advice(method));
}

function advice(method: DecisionMethodName): string {
  const shorthand =
    method === 'checkPermission'
      ? ', true (allow) or false (deny)'
      : method === 'shouldStop'
        ? ', true (stop) or false'
        : method === 'checkDone'
          ? ' or a string (the reason the done is refused)'
          : CONTEXT_STRING_METHODS.has(method)
            ? ' or a string (context for the model)'
            : '';
  return `${method} must return a decision (e.g. decide.allow(), decide.deny(reason), decide.block(reason), decide.stop(reason), decide.inject(text))${shorthand}, or nothing`;
}

function checkDecision(decision: Record<string, unknown>): void {
  for (const key in decision) {
    const value = decision[key];
    if (!DECISION_FIELDS.has(key)) {
      if (value === undefined) continue;
      throw new HookAnswerProblem(
        decision,
        `a decision has no field "${key}" (its fields: ${[...DECISION_FIELDS].join(', ')})`,
      );
    }
    if (value === undefined) continue;
    const expected =
      key === 'retry'
        ? 'boolean'
        : key === 'updatedArgs' || key === 'metadata'
          ? 'object'
          : key === 'updatedResult'
            ? undefined
            : 'string';
    if (expected === undefined) continue;
    const ok =
      expected === 'object'
        ? typeof value === 'object' && value !== null && !Array.isArray(value)
        : typeof value === expected;
    if (!ok)
      throw new HookAnswerProblem(
        decision,
        `the decision's "${key}" must be ${expected === 'object' ? 'an object' : `a ${expected}`}`,
      );
  }
}

/** A short, bounded rendering of what a hook returned, for error messages. */
export function previewAnswer(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 79)}…` : value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'symbol' || typeof value === 'bigint')
    return `${String(value)}${typeof value === 'bigint' ? 'n' : ''}`;
  if (typeof value !== 'object' || value === null) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? `an array of ${value.length}` : 'an object';
  }
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** `buildBriefing` answers text for the model, or nothing. */
export function checkBriefing(answer: unknown): void {
  if (answer !== undefined && answer !== null && typeof answer !== 'string')
    throw new HookAnswerProblem(answer, 'buildBriefing must return a string (text for the model) or nothing');
}

/** `compact` answers the new conversation, or nothing. */
export function checkCompacted(answer: unknown): void {
  if (answer !== undefined && answer !== null && !Array.isArray(answer))
    throw new HookAnswerProblem(answer, 'compact must return the new list of messages, or nothing');
}
