// The report agent, whose golden trace was recorded by Python looplet 0.3 (traces/python-report)
// with a buggy publish_report (profit = revenue + cost). The case cases/profit_math.yaml replays
// those recorded model responses through this TypeScript agent with the tool fixed: the same
// model answers now produce the right report, and the required eval passes.
import { agentLoop, defineTool } from 'looplet';
import { type Collector, defineAgent, type EvalContext, mark } from 'looplet/evals';

type Report = { revenue: number; cost: number; profit: number };

export const publishReport = defineTool({
  name: 'publish_report',
  description: 'Write report.json from integer revenue and cost inputs.',
  parameters: {
    type: 'object',
    properties: {
      revenue: { type: 'integer', description: 'Total revenue.' },
      cost: { type: 'integer', description: 'Total cost.' },
    },
    required: ['revenue', 'cost'],
  },
  run: ({ revenue, cost }, { state }) => {
    const report: Report = {
      revenue: Number(revenue),
      cost: Number(cost),
      profit: Number(revenue) - Number(cost),
    };
    state.data.report = report;
    return { written: 'report.json', profit: report.profit };
  },
});

/**
 * The report agent: the loop, this tool, the model looplet-eval gives (replayed in CI) and its
 * hooks. Its scope is the profit cases; the other traces have agents of their own.
 */
export const agent = defineAgent({
  scope: 'profit_*',
  create: ({ llm, task, hooks }) => agentLoop({ llm, task, tools: [publishReport], hooks, maxSteps: 3 }),
});

/** What the run left behind, for the evals (`ctx.artifacts`). */
export const collectors: Collector[] = [
  function report({ state }) {
    const report = state.data.report as Report | undefined;
    return { report_exists: report !== undefined, report: report ?? null };
  },
];

/** The release gate: the published profit is what the grader expects. */
export const eval_profit_is_correct = mark({ required: true, scope: 'profit_*' }, (ctx: EvalContext) => {
  const report = ctx.artifacts.report as Report | null | undefined;
  return {
    passed: report?.profit === ctx.expected.profit,
    details: { published: report?.profit ?? null, expected: ctx.expected.profit },
  };
});

/** The recorded Python run published a report (its profit was wrong: the metric shows what it wrote). */
export const eval_recorded_report = mark({ scope: 'python-report' }, (ctx: EvalContext) => {
  const report = ctx.artifacts.report as Report | undefined;
  return {
    passed: ctx.artifacts.report_exists === true,
    metrics: { recorded_profit: report?.profit ?? Number.NaN },
  };
});
