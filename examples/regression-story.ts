/**
 * Record → fix → replay: a tool fix turns a failing required eval green, with no model call.
 *
 * 1. record  — a report agent runs; its `publish_report` tool has a bug (profit = revenue + cost).
 *              ProvenanceSink records the run into a trace directory.
 * 2. score   — evals score the recorded trace; the required one (the profit is right) fails.
 * 3. replay  — the tool is fixed and the run replays the recorded model responses (ReplayLLM:
 *              no model, no network), so only the fix differs from the recording.
 * 4. score   — the same evals score the replayed run; the required one passes.
 *
 *   npx tsx examples/regression-story.ts --scripted      # no model needed (also when OPENAI_BASE_URL is unset)
 *   OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.1 npx tsx examples/regression-story.ts
 *
 * With a model, only step 1 calls it. `--trace-dir DIR` keeps the recorded trace in DIR.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  agentLoop,
  defineTool,
  type LLMBackend,
  OpenAIBackend,
  ProvenanceSink,
  ReplayLLM,
  readTrace,
  ScriptedLLM,
  type Tool,
} from 'looplet';
import {
  contextFromRun,
  contextFromTrace,
  decideVerdict,
  type EvalContext,
  type EvalOutcome,
  formatOutcome,
  mark,
  runEvals,
  summarizeRun,
} from 'looplet/evals';

type ProfitRule = (revenue: number, cost: number) => number;
const buggyProfit: ProfitRule = (revenue, cost) => revenue + cost;
const fixedProfit: ProfitRule = (revenue, cost) => revenue - cost;

/**
 * The tool under test. Its answer to the model does not include the profit, so the fix leaves
 * every request the model sees unchanged and strict replay accepts the recorded responses. A fix
 * that changed what the model sees would stop the replay with a ReplayDivergenceError showing the diff.
 */
export function publishReport({ workspace, profit }: { workspace: string; profit: ProfitRule }): Tool {
  return defineTool({
    name: 'publish_report',
    description: 'Write report.json from integer revenue and cost',
    parameters: {
      type: 'object',
      properties: { revenue: { type: 'integer' }, cost: { type: 'integer' } },
      required: ['revenue', 'cost'],
    },
    run: ({ revenue, cost }) => {
      const report = { revenue, cost, profit: profit(Number(revenue), Number(cost)) };
      writeFileSync(path.join(workspace, 'report.json'), JSON.stringify(report));
      return { written: 'report.json' };
    },
  });
}

/** Looks at the world after a run (the report file), not at what the agent claims. */
function collectReport(workspace: string): Record<string, unknown> {
  const file = path.join(workspace, 'report.json');
  if (!existsSync(file)) return { report_exists: false };
  const report = JSON.parse(readFileSync(file, 'utf8')) as { profit?: unknown };
  return { report_exists: true, report, observed_profit: report.profit };
}

export const evals = {
  eval_completed: (ctx: EvalContext) => ctx.completed,
  eval_profit_is_correct: mark(['required'], (ctx: EvalContext) => ({
    passed: ctx.artifacts.observed_profit === ctx.expected.profit,
    reason: `profit is ${String(ctx.artifacts.observed_profit)}, expected ${String(ctx.expected.profit)}`,
  })),
};

const TASK = { goal: 'Publish report.json for revenue 120 and cost 80, then finish.' };
/** Grader-only data: stored in the trace's expected.json, never shown to the agent. */
const EXPECTED = { profit: 40 };

/** What a model would answer, so the example runs with no network. */
export function scriptedModel(): ScriptedLLM {
  return new ScriptedLLM([
    { toolCalls: [{ name: 'publish_report', args: { revenue: 120, cost: 80 } }] },
    { toolCalls: [{ name: 'done', args: { summary: 'published report.json' } }] },
  ]);
}

function phase(title: string): void {
  console.log(`\n── ${title} ──`);
}

function printScores(outcomes: EvalOutcome[]): boolean {
  for (const outcome of outcomes) console.log(formatOutcome(outcome));
  const verdict = decideVerdict({ summary: summarizeRun({ outcomes }) });
  console.log(`verdict: ${verdict.headline} (exit code ${verdict.exitCode})`);
  return outcomes.every((outcome) => !outcome.required || outcome.passed === true);
}

/** What happened in each phase, for tests and readers. */
export interface StoryOutcome {
  /** True when every required eval passed on the recorded (buggy) run. */
  requiredPassedBefore: boolean;
  /** True when every required eval passed on the replayed (fixed) run. */
  requiredPassedAfter: boolean;
  recordedCalls: number;
  replayedCalls: number;
  before: EvalOutcome[];
  after: EvalOutcome[];
}

export async function main(args: string[]): Promise<StoryOutcome> {
  const { values } = parseArgs({
    args,
    options: { scripted: { type: 'boolean' }, 'trace-dir': { type: 'string' } },
  });
  const scripted = values.scripted === true || !process.env.OPENAI_BASE_URL;
  const llm: LLMBackend = scripted ? scriptedModel() : OpenAIBackend.fromEnv();
  const scratch = mkdtempSync(path.join(tmpdir(), 'looplet-story-'));
  const traceDir = values['trace-dir'] ?? path.join(scratch, 'trace');

  phase(
    `1. record: the agent runs with the buggy publish_report (${scripted ? 'scripted model' : llm.model})`,
  );
  const buggyWorkspace = mkdtempSync(path.join(scratch, 'buggy-'));
  const sink = new ProvenanceSink({ dir: traceDir });
  const recording = agentLoop({
    llm: sink.wrapLLM(llm),
    tools: [publishReport({ workspace: buggyWorkspace, profit: buggyProfit })],
    task: TASK,
    hooks: [sink.hook()],
    maxSteps: 5,
  });
  for await (const step of recording) console.log(step.pretty());
  await recording.result;
  sink.artifacts = collectReport(buggyWorkspace);
  sink.expected = EXPECTED;
  await sink.flush();
  console.log(`trace: ${traceDir} (${sink.callCount} model calls recorded)`);

  phase('2. score the recorded trace');
  const trace = readTrace(traceDir);
  const beforeOutcomes = await runEvals({ evals, contexts: [contextFromTrace({ trace, id: 'recorded' })] });
  const requiredPassedBefore = printScores(beforeOutcomes);

  phase('3. fix publish_report, replay the recorded responses (no model, no network)');
  const fixedWorkspace = mkdtempSync(path.join(scratch, 'fixed-'));
  const replay = ReplayLLM.fromTrace(traceDir);
  const replayed = agentLoop({
    llm: replay,
    tools: [publishReport({ workspace: fixedWorkspace, profit: fixedProfit })],
    task: trace.meta.task,
    maxSteps: 5,
  });
  for await (const step of replayed) console.log(step.pretty());
  const result = await replayed.result;
  console.log(
    `replayed ${replay.replayed} of ${trace.meta.callCount} recorded calls; end reason: ${result.endReason}${result.stopReason ? ` (${result.stopReason})` : ''}`,
  );

  phase('4. score the replayed run with the same evals');
  const context = contextFromRun({
    result,
    state: replayed.state,
    artifacts: collectReport(fixedWorkspace),
    expected: trace.expected,
    id: 'replayed',
  });
  const afterOutcomes = await runEvals({ evals, contexts: [context] });
  const requiredPassedAfter = printScores(afterOutcomes);

  rmSync(scratch, { recursive: true, force: true });
  return {
    requiredPassedBefore,
    requiredPassedAfter,
    recordedCalls: trace.meta.callCount,
    replayedCalls: replay.replayed,
    before: beforeOutcomes,
    after: afterOutcomes,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await main(process.argv.slice(2));
  // The story succeeds when the fix turned the failing required eval green.
  process.exitCode = !outcome.requiredPassedBefore && outcome.requiredPassedAfter ? 0 : 1;
}
