import { describe, expect, it } from 'vitest';
import { type EvalContext, type EvalOutcome, evalHook, formatOutcome, mark } from '../../src/evals/index.js';
import { agentLoop, ScriptedLLM, sequentialIds } from '../../src/index.js';
import { greet } from './support.js';

const evals = {
  eval_completed: (ctx: EvalContext) => ctx.completed,
  eval_greeted_everyone: mark(
    ['required'],
    (ctx: EvalContext) => ctx.calls('greet').length === ctx.expected.count,
  ),
  eval_steps: (ctx: EvalContext) => ({ steps: ctx.stepCount }),
};

function greeter(names: string[], hook: ReturnType<typeof evalHook>) {
  const llm = new ScriptedLLM([
    ...names.map((name) => ({ toolCalls: [{ name: 'greet', args: { name } }] })),
    { toolCalls: [{ name: 'done', args: { summary: 'done' } }] },
  ]);
  return agentLoop({ llm, tools: [greet], task: 'Greet everyone', hooks: [hook], ids: sequentialIds() });
}

describe('evalHook', () => {
  it('scores the run it is attached to when the loop ends, with collectors and expected data', async () => {
    const reported: EvalOutcome[][] = [];
    const scoring = evalHook({
      evals,
      expected: { count: 2 },
      collectors: [({ state }) => ({ messages: state.messages.length })],
      onResults: ({ outcomes }) => {
        reported.push(outcomes);
      },
    });
    const run = greeter(['Alice', 'Bob'], scoring);
    const lines: string[] = [];
    for await (const step of run) lines.push(step.pretty());
    await run.result;

    expect(lines).toHaveLength(3);
    expect(scoring.context?.artifacts).toEqual({ messages: 8 });
    expect(scoring.outcomes.map((outcome) => [outcome.name, outcome.status])).toEqual([
      ['eval_completed', 'passed'],
      ['eval_greeted_everyone', 'passed'],
      ['eval_steps', 'reported'],
    ]);
    expect(scoring.outcomes[2]?.metrics).toEqual({ steps: 3 });
    expect(reported).toEqual([scoring.outcomes]);
    expect(formatOutcome(scoring.outcomes[0]!)).toBe('✓ eval_completed › run_1  score 1.00');
  });

  it('scores runs that end early too, and eval failures never affect the run', async () => {
    const scoring = evalHook({ evals, expected: { count: 3 } });
    const run = greeter(['Alice', 'Bob'], scoring);
    for await (const step of run) if (step.index === 1) break;
    const result = await run.result;

    expect(result.endReason).toBe('aborted');
    expect(scoring.outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'failed', 'reported']);
    expect(formatOutcome(scoring.outcomes[1]!)).toBe(
      '✗ eval_greeted_everyone › run_1 (required)  score 0.00 < 0.50',
    );
  });

  it('a throwing collector turns every eval into an error instead of a pass', async () => {
    const scoring = evalHook({
      evals: { eval_completed: evals.eval_completed },
      collectors: [
        function readReport() {
          throw new Error('report.json missing');
        },
      ],
    });
    await greeter(['Alice'], scoring).result;
    expect(scoring.outcomes[0]).toMatchObject({ status: 'error', error: { kind: 'collector' } });
    expect(formatOutcome(scoring.outcomes[0]!)).toContain(
      'collector: not scored: collector failed: readReport threw: report.json missing',
    );
  });
});
