// `looplet cases` and `looplet record`, run from the built CLI in a fresh project: a case is
// validated, recorded (scripted, so no network) with the project's own TypeScript agent, then
// replayed by `looplet-eval` — the record → replay loop a user follows.
import { describe, expect, it } from 'vitest';
import { createProject, type Project } from '../vitest/support.js';

const AGENT = `
import { agentLoop, defineTool } from 'looplet';
import { type AgentFactory, type Collector, type EvalContext, mark } from 'looplet/evals';

const publish = defineTool({
  name: 'publish_report',
  description: 'Publish the report',
  parameters: { type: 'object', properties: { revenue: { type: 'integer' }, cost: { type: 'integer' } }, required: ['revenue', 'cost'] },
  run: ({ revenue, cost }, { state }) => {
    state.data.profit = Number(revenue) - Number(cost);
    return { written: true };
  },
});

export const agent: AgentFactory = ({ llm, task, hooks }) => agentLoop({ llm, task, tools: [publish], hooks });
export const collectors: Collector[] = [({ state }) => ({ profit: state.data.profit ?? null })];
export const eval_profit = mark(['required'], (ctx: EvalContext) => ctx.artifacts.profit === ctx.expected.profit);
`;

const CASE = `id: profit
task: { goal: Publish the report for revenue 120 and cost 80. }
expected: { profit: 40 }
marks: [smoke]
script:
  - toolCalls: [{ name: publish_report, args: { revenue: 120, cost: 80 } }]
  - toolCalls: [{ name: done, args: { summary: published } }]
`;

/** A project with the agent and one scripted case: each test gets its own, so each stands alone (`-t`). */
function reportProject(): Project {
  return createProject({ files: { 'evals/eval_report.ts': AGENT, 'cases/profit.yaml': CASE } });
}

describe('looplet cases and looplet record', () => {
  it('lists valid cases with how they run', async () => {
    const project = reportProject();
    const result = await project.run(['cases']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^profit {2}scripted {2}\[smoke\] {2}cases\/profit\.yaml:1$/m);
  });

  it('rejects an invalid case file with its line and field (exit 2, as looplet-eval does)', async () => {
    const project = reportProject();
    project.write('bad/broken.yaml', 'id: broken\ntask: { goal: x }\nmarks: not-a-list\n');
    const result = await project.run(['cases', 'bad']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/broken\.yaml:3: field "marks"/);
    const run = await project.run(['--cases', 'bad']);
    expect(run.code, run.output).toBe(2);
    expect(run.stderr).toMatch(/broken\.yaml:3: field "marks"/);
  });

  it('records a case with the TypeScript agent, then looplet-eval replays the recording', async () => {
    const project = reportProject();
    const recorded = await project.run(['record', 'profit', '--scripted', '--out', 'traces/report/profit']);
    expect(recorded.code).toBe(0);
    expect(recorded.stdout).toContain('recorded profit: done, 2 steps → traces/report/profit');
    expect(project.json('traces/report/profit/expected.json')).toEqual({ profit: 40 });
    expect(project.json('traces/report/profit/artifacts.json')).toEqual({ profit: 40 });
    expect(project.json('traces/report/profit/trace.json')).toMatchObject({
      endReason: 'done',
      stepCount: 2,
    });

    project.write(
      'cases/profit.yaml',
      `${CASE.replace(/script:[\s\S]*/, '')}trace: ../traces/report/profit\n`,
    );
    const replayed = await project.run(['--json']);
    expect(replayed.code).toBe(0);
    const report = JSON.parse(replayed.stdout) as {
      outcomes: Array<{ name: string; context: string; status: string }>;
    };
    // The case replays the recording through the agent; the recorded trace is scored as a trace too.
    expect(report.outcomes.map((o) => `${o.name} › ${o.context}: ${o.status}`).sort()).toEqual([
      'eval_profit › profit: passed',
      'eval_profit › report/profit: passed',
    ]);
  });

  it('refuses to overwrite a trace without --force, and names a missing case', async () => {
    const project = reportProject();
    const recorded = await project.run(['record', 'profit', '--scripted', '--out', 'traces/refused/profit']);
    expect(recorded.code, recorded.output).toBe(0);
    const again = await project.run(['record', 'profit', '--scripted', '--out', 'traces/refused/profit']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; pass --force');
    const missing = await project.run(['record', 'nope', '--scripted']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no case "nope" in cases; cases there: profit');
  });
});
