import fc from 'fast-check';
import type { HookDecision } from '../loop/decision.js';
import { HOOK_METHODS, type Hook } from '../loop/hooks.js';

/** A method a generated hook may implement: every hook method but compaction's. */
export type GeneratedMethod = Exclude<(typeof HOOK_METHODS)[number], 'shouldCompact' | 'compact'>;

/** The hook methods generated hooks implement, in call order (`shouldCompact`/`compact` are left to real compaction hooks). */
export const GENERATED_METHODS: readonly GeneratedMethod[] = HOOK_METHODS.filter(
  (method): method is GeneratedMethod => method !== 'shouldCompact' && method !== 'compact',
);

/** What one call of a generated hook method does. */
export interface HookAnswer {
  /** Answer through a promise (or reject through one, with `throws`). */
  async?: boolean;
  /** Throw an `Error` with this message instead of answering. */
  throws?: string;
  /** The decision returned (decision methods); nothing when absent. */
  decision?: HookDecision;
  /** The briefing returned (`buildBriefing` only). */
  briefing?: string;
}

/**
 * A hook as plain data: for each method, the answers of its 1st, 2nd, … call (the n-th call gets
 * `answers[n % answers.length]`). Being data, it prints, shrinks and replays; {@link hookFromSpec}
 * turns it into a hook.
 */
export interface HookSpec {
  /** The hook's name, e.g. `g1`. */
  id: string;
  methods: Partial<Record<GeneratedMethod, HookAnswer[]>>;
}

/**
 * Builds a fresh hook from a spec: its call counters start at zero, so build one per run. The
 * hook prints as its spec in fast-check counterexamples.
 */
export function hookFromSpec(spec: HookSpec): Hook {
  const hook: Record<string | symbol, unknown> = { name: spec.id };
  for (const method of GENERATED_METHODS) {
    const answers = spec.methods[method];
    if (!answers || answers.length === 0) continue;
    let calls = 0;
    hook[method] = () => {
      const answer = answers[calls++ % answers.length]!;
      return answerOf(spec.id, method, answer);
    };
  }
  hook[fc.toStringMethod] = () => `hookFromSpec(${JSON.stringify(spec)})`;
  return hook as Hook;
}

function answerOf(id: string, method: GeneratedMethod, answer: HookAnswer): unknown {
  if (answer.throws !== undefined) {
    const error = new Error(`${id}.${method}: ${answer.throws}`);
    if (answer.async) return Promise.reject(error);
    throw error;
  }
  // A fresh copy each call: the loop and tools may hold on to what a hook returned.
  const value =
    method === 'buildBriefing'
      ? answer.briefing
      : method === 'onLoopEnd'
        ? undefined
        : answer.decision && structuredClone(answer.decision);
  return answer.async ? Promise.resolve(value) : value;
}

/** A one-line description of a spec, for counterexamples. */
export function describeSpec(spec: HookSpec): string {
  const parts = Object.entries(spec.methods).map(([method, answers]) => {
    const shown = (answers ?? []).map((answer) => {
      const value =
        answer.throws !== undefined
          ? `throw ${JSON.stringify(answer.throws)}`
          : answer.briefing !== undefined
            ? JSON.stringify(answer.briefing)
            : JSON.stringify(answer.decision ?? {});
      return answer.async ? `async ${value}` : value;
    });
    return `${method}: [${shown.join(', ')}]`;
  });
  return `${spec.id} { ${parts.join('; ')} }`;
}
