import type { EvalOutcome } from '../../src/evals/index.js';

/** An outcome as `runEval` produces it, with only the fields a test cares about set. */
export function outcome(
  fields: Partial<EvalOutcome> & Pick<EvalOutcome, 'name' | 'context' | 'status'>,
): EvalOutcome {
  const passed = fields.status === 'passed' ? true : fields.status === 'failed' ? false : undefined;
  return {
    metrics: {},
    details: {},
    required: false,
    tags: [],
    threshold: 0.5,
    durationMs: 1,
    ...(passed === undefined ? {} : { passed }),
    ...fields,
  };
}

/** Outcomes of evals × traces from a compact table: `{ eval_x: { t1: 0.9, t2: 'error' } }`. */
export function outcomes(
  table: Record<string, Record<string, number | 'error' | 'skipped' | { metrics: Record<string, number> }>>,
  extra: Partial<EvalOutcome> = {},
): EvalOutcome[] {
  const list: EvalOutcome[] = [];
  for (const [name, contexts] of Object.entries(table)) {
    for (const [context, value] of Object.entries(contexts)) {
      if (value === 'error')
        list.push(
          outcome({ name, context, status: 'error', error: { kind: 'threw', message: 'boom' }, ...extra }),
        );
      else if (value === 'skipped')
        list.push(outcome({ name, context, status: 'skipped', reason: 'marked skip', ...extra }));
      else if (typeof value === 'number')
        list.push(
          outcome({ name, context, status: value >= 0.5 ? 'passed' : 'failed', score: value, ...extra }),
        );
      else list.push(outcome({ name, context, status: 'reported', metrics: value.metrics, ...extra }));
    }
  }
  return list;
}
