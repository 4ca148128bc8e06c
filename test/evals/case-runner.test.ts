import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCases } from '../../src/evals/cases.js';
import {
  type AgentFactory,
  CaseRunError,
  type Collector,
  type EvalCase,
  type EvalContext,
  mark,
  runCase,
} from '../../src/evals/index.js';
import {
  agentLoop,
  defineTool,
  type LLMBackend,
  type LLMRequest,
  ProvenanceSink,
  ReplayLLM,
  ScriptedLLM,
} from '../../src/index.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** The report agent of Python looplet's regression demo: v1 adds revenue and cost instead of subtracting. */
function publishReport({ fixed }: { fixed: boolean }) {
  return defineTool({
    name: 'publish_report',
    description: 'Write report.json with the profit',
    parameters: {
      type: 'object',
      properties: { revenue: { type: 'number' }, cost: { type: 'number' } },
      required: ['revenue', 'cost'],
    },
    run: ({ revenue, cost }, { state }) => {
      const profit = fixed ? Number(revenue) - Number(cost) : Number(revenue) + Number(cost);
      state.data.report = { revenue, cost, profit };
      return { written: 'report.json', profit };
    },
  });
}

const collectReport: Collector = ({ state }) => {
  const report = state.data.report as { profit: number } | undefined;
  return { report_exists: report !== undefined, observed_profit: report?.profit };
};

const evals = {
  eval_completed: (ctx: EvalContext) => ctx.completed,
  eval_profit_is_correct: mark(
    ['required'],
    (ctx: EvalContext) => ctx.artifacts.observed_profit === ctx.expected.profit,
  ),
};

const [profitCase] = parseCases({
  file: '/cases/profit_math.yaml',
  text: `
id: profit_math
task:
  goal: Publish report.json for revenue 120 and cost 80, then finish.
expected:
  profit: 40
  secret_marker: XYZZY-grader-only
marks: [regression]
script:
  - toolCalls: [{ name: publish_report, args: { revenue: 120, cost: 80 } }]
  - toolCalls: [{ name: done, args: { summary: published report.json } }]
`,
}) as [EvalCase];

/** Records every request the agent's model sees. */
function spy(llm: LLMBackend, seen: string[]): LLMBackend {
  return {
    model: llm.model,
    generate: (request: LLMRequest) => {
      seen.push(JSON.stringify(request.messages));
      return llm.generate(request);
    },
  };
}

const agent =
  ({ fixed, seen = [] }: { fixed: boolean; seen?: string[] }): AgentFactory =>
  ({ llm, task }) =>
    agentLoop({ llm: spy(llm, seen), task, tools: [publishReport({ fixed })] });

const temp = useTempDir('looplet-cases-run-');

describe('runCase', () => {
  it('runs a scripted case, collects artifacts and scores it; expected never reaches the agent', async () => {
    const seen: string[] = [];
    const factoryArgs: unknown[] = [];
    const run = await runCase({
      case: profitCase,
      mode: 'scripted',
      agent: (args) => {
        factoryArgs.push(args.case);
        return agent({ fixed: false, seen })(args);
      },
      evals,
      collectors: [collectReport],
    });
    expect(run.result?.endReason).toBe('done');
    expect(run.context?.id).toBe('profit_math');
    expect(run.context?.source).toEqual({
      kind: 'case',
      caseId: 'profit_math',
      mode: 'scripted',
      file: '/cases/profit_math.yaml',
    });
    expect(run.context?.artifacts).toEqual({ report_exists: true, observed_profit: 200 });
    expect(run.context?.expected.profit).toBe(40);
    expect(run.outcomes.map((outcome) => [outcome.name, outcome.context, outcome.status])).toEqual([
      ['eval_completed', 'profit_math', 'passed'],
      ['eval_profit_is_correct', 'profit_math', 'failed'],
    ]);
    expect(seen).toHaveLength(2);
    for (const request of seen) {
      expect(request).not.toContain('XYZZY');
      expect(request).not.toContain('"profit":40');
    }
    expect(JSON.stringify(factoryArgs)).not.toContain('XYZZY');
  });

  it('replays a recorded trace through a fixed tool: the failing required eval turns green', async () => {
    const dir = join(temp.path, 'profit_math');
    const sink = new ProvenanceSink({ dir });
    const recorded = agentLoop({
      llm: sink.wrapLLM(new ScriptedLLM(profitCase.script!)),
      task: profitCase.task,
      tools: [publishReport({ fixed: false })],
      hooks: [sink.hook()],
    });
    await recorded.result;
    await sink.flush();

    const before = await runCase({
      case: profitCase,
      mode: 'replay',
      trace: dir,
      agent: agent({ fixed: false }),
      evals,
      collectors: [collectReport],
    });
    expect(before.outcomes.map((outcome) => outcome.status)).toEqual(['passed', 'failed']);

    // The fix changes a tool result, so the next prompt differs from the recording: serve the
    // recorded responses without comparing prompts (what Python looplet's regression demo does).
    const after = await runCase({
      case: profitCase,
      mode: 'replay',
      trace: dir,
      replayLLM: ({ dir: traceDir }) => ReplayLLM.fromTrace(traceDir, { check: 'none' }),
      agent: agent({ fixed: true }),
      evals,
      collectors: [collectReport],
    });
    expect(after.context?.artifacts.observed_profit).toBe(40);
    expect(after.outcomes.map((outcome) => outcome.status)).toEqual(['passed', 'passed']);
  });

  it('reports a strict replay that diverges as diverged on every eval, unscored, with the divergence', async () => {
    const dir = join(temp.path, 'profit_math');
    const sink = new ProvenanceSink({ dir });
    await agentLoop({
      llm: sink.wrapLLM(new ScriptedLLM(profitCase.script!)),
      task: profitCase.task,
      tools: [publishReport({ fixed: false })],
      hooks: [sink.hook()],
    }).result;
    await sink.flush();

    const run = await runCase({
      case: profitCase,
      mode: 'replay',
      trace: dir,
      agent: agent({ fixed: true }),
      evals,
      collectors: [collectReport],
    });
    expect(run.outcomes.map((outcome) => [outcome.status, outcome.score])).toEqual([
      ['diverged', undefined],
      ['diverged', undefined],
    ]);
    expect(run.error).toBeUndefined();
    expect(run.context).toBeUndefined();
    expect(run.divergence?.callIndex).toBe(2);
    // The diff is whole: the recorded tool result against the fixed tool's.
    expect(run.divergence?.diff).toContain('"profit":200');
    expect(run.divergence?.diff).toContain('"profit":40');
    expect(run.outcomes[0]?.reason).toBe(run.divergence?.summary[0]);
    expect(run.outcomes[1]?.required).toBe(true);
  });

  it('a lenient replay scores what the fixed tool did with the recorded answers, and lists the change as a warning', async () => {
    const dir = join(temp.path, 'profit_math');
    const sink = new ProvenanceSink({ dir });
    await agentLoop({
      llm: sink.wrapLLM(new ScriptedLLM(profitCase.script!)),
      task: profitCase.task,
      tools: [publishReport({ fixed: false })],
      hooks: [sink.hook()],
    }).result;
    await sink.flush();

    const run = await runCase({
      case: profitCase,
      mode: 'replay',
      trace: dir,
      strictness: 'lenient',
      agent: agent({ fixed: true }),
      evals,
      collectors: [collectReport],
    });
    expect(run.divergence).toBeUndefined();
    expect(run.outcomes.map((outcome) => outcome.status)).toEqual(['passed', 'passed']);
    expect(run.context?.artifacts.observed_profit).toBe(40);
    expect(run.warnings?.map((warning) => warning.callIndex)).toEqual([2]);
    expect(run.warnings?.[0]?.diff).toContain('"profit":40');
  });

  it('runs live against the model it is given', async () => {
    const llm = new ScriptedLLM(profitCase.script!);
    const run = await runCase({
      case: profitCase,
      mode: 'live',
      llm,
      agent: agent({ fixed: true }),
      evals,
      collectors: [collectReport],
    });
    expect(run.outcomes.map((outcome) => outcome.status)).toEqual(['passed', 'passed']);
    llm.assertComplete();
  });

  it('a collector that throws makes every eval an error naming it, never a false pass', async () => {
    const failing: Collector = function collectDiskUsage() {
      throw new Error('df: permission denied');
    };
    const run = await runCase({
      case: profitCase,
      mode: 'scripted',
      agent: agent({ fixed: true }),
      evals: { ...evals, eval_no_errors: (ctx: EvalContext) => ctx.artifacts.disk_errors === undefined },
      collectors: [collectReport, failing],
    });
    expect(run.context?.collectorErrors).toEqual([
      { collector: 'collectDiskUsage', message: 'threw: df: permission denied' },
    ]);
    expect(run.outcomes.map((outcome) => outcome.status)).toEqual(['error', 'error', 'error']);
    expect(run.outcomes[2]?.error).toMatchObject({ kind: 'collector' });
    expect(run.outcomes[2]?.error?.message).toContain('collectDiskUsage threw: df: permission denied');
  });

  it('a collector that returns a non-object is an error too', async () => {
    const run = await runCase({
      case: profitCase,
      mode: 'scripted',
      agent: agent({ fixed: true }),
      evals,
      collectors: [() => 'yes' as never],
    });
    expect(run.outcomes[0]?.error?.message).toContain(
      'collectors[0] returned yes; a collector returns an object',
    );
  });

  it('an agent that crashes makes every selected eval an agent error', async () => {
    const run = await runCase({
      case: profitCase,
      mode: 'scripted',
      agent: () => {
        throw new Error('missing OPENAI_API_KEY');
      },
      evals,
    });
    expect(run.context).toBeUndefined();
    expect(run.error?.message).toBe('missing OPENAI_API_KEY');
    expect(
      run.outcomes.map((outcome) => [outcome.name, outcome.status, outcome.error?.kind, outcome.required]),
    ).toEqual([
      ['eval_completed', 'error', 'agent', false],
      ['eval_profit_is_correct', 'error', 'agent', true],
    ]);
  });

  it('a script that runs out is a replay error, not a scored run', async () => {
    const short = { ...profitCase, script: profitCase.script!.slice(0, 1) };
    const run = await runCase({ case: short, mode: 'scripted', agent: agent({ fixed: true }), evals });
    expect(run.result?.endReason).toBe('replay_exhausted');
    expect(run.outcomes.every((outcome) => outcome.error?.kind === 'replay')).toBe(true);
    expect(run.outcomes[0]?.error?.message).toContain('the script holds 1 turn(s)');
  });

  it('rejects a mode it cannot run with a CaseRunError naming the case', async () => {
    const { script: _, ...noScript } = profitCase;
    await expect(
      runCase({ case: noScript, mode: 'scripted', agent: agent({ fixed: true }) }),
    ).rejects.toThrow(
      'case "profit_math": mode "scripted" needs a "script" (a list of model turns) in /cases/profit_math.yaml',
    );
    await expect(
      runCase({ case: profitCase, mode: 'live', agent: agent({ fixed: true }) }),
    ).rejects.toBeInstanceOf(CaseRunError);
    await expect(
      runCase({ case: profitCase, mode: 'replay', agent: agent({ fixed: true }) }),
    ).rejects.toThrow(/mode "replay" needs a trace/);
  });
});
