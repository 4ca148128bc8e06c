import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  type RecordedTrace,
  ReplayDivergenceError,
  ReplayExhaustedError,
  ReplayLLM,
  readTrace,
  ScriptedLLM,
  type Tool,
} from '../../src/index.js';
import { GREETER_TASK, greet, recordRun, tempDir } from './helpers.js';

// The tool-calls check, on the real Python looplet 0.3 trace of this repository (recorded with a
// publish_report that added revenue and cost: profit 200), replayed through a TypeScript agent
// built as evals/eval_report.ts builds it.

const PYTHON_TRACES = [path.resolve('fixtures/python-trace'), path.resolve('traces/python-report')];
const TASK = { goal: 'Publish report.json for revenue 120 and cost 80, then finish.' };

function publishReport(profit: (revenue: number, cost: number) => number): Tool {
  return defineTool({
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
    // Keys in another order than Python wrote them: only content counts.
    run: ({ revenue, cost }) => ({ profit: profit(Number(revenue), Number(cost)), written: 'report.json' }),
  });
}
const asRecorded = publishReport((revenue, cost) => revenue + cost);
const fixed = publishReport((revenue, cost) => revenue - cost);

/** The agent of evals/eval_report.ts. */
function replayThrough(llm: ReplayLLM, tools: Tool[]) {
  return agentLoop({ llm, task: TASK, tools, maxSteps: 3 });
}

describe.each(PYTHON_TRACES)('tool-calls check on the Python trace %s', (dir) => {
  it('is the default for Python traces; the same tool calls and results replay to the end', async () => {
    const llm = ReplayLLM.fromTrace(dir);
    expect(llm.check).toBe('tool-calls');
    const run = replayThrough(llm, [asRecorded]);
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ summary: 'published report.json' });
    expect(llm.finish(run.state)).toBeUndefined();
    expect(llm.warnings).toEqual([]);
    expect(llm.replayed).toBe(2);
  });

  it('strict: a changed tool result ends the run, naming the tool and step, with a diff of the calls', async () => {
    const llm = ReplayLLM.fromTrace(dir);
    const run = replayThrough(llm, [fixed]);
    const result = await run.result;
    expect(result.endReason).toBe('llm_error');
    const error = result.error as ReplayDivergenceError;
    expect(error).toBeInstanceOf(ReplayDivergenceError);
    expect(error.callIndex).toBe(1);
    expect(error.summary).toEqual(['the result of `publish_report` at step 1 changed']);
    expect(error.diff).toBe(
      [
        '--- recorded step 1',
        '+++ new run, step 1',
        '@@ -1,2 +1,2 @@',
        ' → publish_report {"cost":80,"revenue":120}',
        '-  {"profit":200,"written":"report.json"}',
        '+  {"profit":40,"written":"report.json"}',
        '',
      ].join('\n'),
    );
    expect(error.message).toBe(
      `replay diverged at step 1:\n- the result of \`publish_report\` at step 1 changed\n${error.diff}`,
    );
    expect(llm.finish(run.state)).toEqual(error.toDivergence());
  });

  it('lenient: the fixed tool runs with the recorded answers, publishes profit 40, and the change is a warning', async () => {
    const llm = ReplayLLM.fromTrace(dir, { strictness: 'lenient' });
    const run = replayThrough(llm, [fixed]);
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(result.steps[0]!.results[0]!.data).toEqual({ written: 'report.json', profit: 40 });
    expect(llm.finish(run.state)).toBeUndefined();
    expect(llm.warnings.map((warning) => [warning.callIndex, warning.summary])).toEqual([
      [1, ['the result of `publish_report` at step 1 changed']],
    ]);
  });

  it('a tool the agent no longer has: diverged, naming the tool', async () => {
    const llm = ReplayLLM.fromTrace(dir);
    const run = replayThrough(llm, []);
    // The recorded answer calls a tool the agent lacks: the model is told it is unknown (as Python
    // looplet tells it), which the recording never said.
    const result = await run.result;
    expect(result.endReason).toBe('llm_error');
    expect(result.error).toBeInstanceOf(ReplayDivergenceError);
    expect(llm.finish(run.state)?.summary).toEqual([
      "tool `publish_report` is not among the agent's tools",
      'the result of `publish_report` at step 1 is now an error: unknown_tool',
    ]);
  });

  it('a tool that now fails: "the result of `publish_report` at step 1 is now an error: tool_threw"', async () => {
    const broken = defineTool({
      name: 'publish_report',
      description: 'Write report.json.',
      parameters: asRecorded.jsonSchema,
      run: () => {
        throw new Error('disk full');
      },
    });
    const llm = ReplayLLM.fromTrace(dir);
    const result = await replayThrough(llm, [broken]).result;
    expect((result.error as ReplayDivergenceError).summary).toEqual([
      'the result of `publish_report` at step 1 is now an error: tool_threw',
    ]);
  });

  it('an extra model call: step 2 is compared, then the run ends as one more call than recorded', async () => {
    const llm = ReplayLLM.fromTrace(dir, { strictness: 'lenient' });
    const result = await agentLoop({
      llm,
      task: TASK,
      tools: [asRecorded],
      hooks: [{ checkDone: () => ({ block: 'check the report first' }) }],
    }).result;
    expect(result.error).toBeInstanceOf(ReplayExhaustedError);
    // The refused done is an error in the conversation the model reads next (done_rejected).
    expect(llm.warnings.map((warning) => warning.summary)).toEqual([
      ['the result of `done` at step 2 is now an error: done_rejected'],
    ]);
    expect(llm.diverged?.summary).toEqual(['the agent made one more model call than recorded']);
  });
});

describe('tool-calls check on looplet traces (check: "tool-calls")', () => {
  const THREE_STEPS = [
    { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
    { toolCalls: [{ name: 'greet', args: { name: 'Bob' } }] },
    { toolCalls: [{ name: 'done', args: { summary: 'greeted both' } }] },
  ];

  it('ignores what is not a tool call (a new system prompt) and catches a changed result', async () => {
    const dir = path.join(tempDir(), 'three');
    await recordRun({ dir, llm: new ScriptedLLM(THREE_STEPS) });
    const prompt = await agentLoop({
      llm: ReplayLLM.fromTrace(dir, { check: 'tool-calls' }),
      tools: [greet],
      task: GREETER_TASK,
      system: 'A new system prompt.',
    }).result;
    expect(prompt.endReason).toBe('done');

    const hi = defineTool({
      name: 'greet',
      description: 'Greet someone',
      parameters: greet.jsonSchema,
      run: ({ name }) =>
        name === 'Bob' ? { greeting: 'Hi, Bob!' } : { greeting: `Hello, ${String(name)}!` },
    });
    const result = await agentLoop({
      llm: ReplayLLM.fromTrace(dir, { check: 'tool-calls' }),
      tools: [hi],
      task: GREETER_TASK,
    }).result;
    expect((result.error as ReplayDivergenceError).summary).toEqual([
      'the result of `greet` at step 2 changed',
    ]);
    expect((result.error as ReplayDivergenceError).callIndex).toBe(2);
  });

  it('compares results redacted as the trace was: a secret is not a change and never reaches the diff', async () => {
    const SECRET = 'sk-live-1234567890abcdefghijklmnop';
    const vault = (plan: string) =>
      defineTool({
        name: 'vault',
        description: 'Read the account',
        parameters: { type: 'object', properties: { api_key: { type: 'string' } } },
        run: () => ({ token: 'tok-42', note: `uses ${SECRET}`, plan }),
      });
    const dir = path.join(tempDir(), 'secret');
    const script = [{ toolCalls: [{ name: 'vault', args: { api_key: SECRET } }] }, THREE_STEPS[2]!];
    await recordRun({ dir, llm: new ScriptedLLM(script), tools: [vault('pro')] });
    const same = ReplayLLM.fromTrace(dir, { check: 'tool-calls' });
    const run = agentLoop({ llm: same, tools: [vault('pro')], task: GREETER_TASK });
    expect((await run.result).endReason).toBe('done');
    expect(same.finish(run.state)).toBeUndefined();

    const result = await agentLoop({
      llm: ReplayLLM.fromTrace(dir, { check: 'tool-calls' }),
      tools: [vault('free')],
      task: GREETER_TASK,
    }).result;
    const error = result.error as ReplayDivergenceError;
    expect(error.summary).toEqual(['the result of `vault` at step 1 changed']);
    expect(error.diff).toContain('"plan":"free"');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('tok-42');
  });

  it('reads each recorded step once, however many calls and lookups the replay makes', async () => {
    const dir = path.join(tempDir(), 'three');
    await recordRun({ dir, llm: new ScriptedLLM(THREE_STEPS) });
    const { trace, reads } = countingReads(await readTrace(dir));
    const llm = ReplayLLM.fromTrace(trace, { check: 'tool-calls' });
    // A hook asking for recorded results as a `replay: 'recorded'` tool's dispatch would.
    const lookups = {
      preDispatch: ({
        step,
        call,
      }: {
        step: number;
        call: { name: string; args: Record<string, unknown> };
      }) => {
        expect(llm.recordedToolResult?.({ step, name: call.name, args: call.args })).toBeDefined();
      },
    };
    const run = agentLoop({ llm, tools: [greet], task: GREETER_TASK, hooks: [lookups] });
    expect((await run.result).endReason).toBe('done');
    expect(llm.finish(run.state)).toBeUndefined();
    expect(reads).toEqual(
      new Map([
        [1, 1],
        [2, 1],
        [3, 1],
      ]),
    );
  });
});

/** The trace with its step reads counted (per step index). */
function countingReads(trace: RecordedTrace): { trace: RecordedTrace; reads: Map<number, number> } {
  const reads = new Map<number, number>();
  const counted: RecordedTrace = {
    dir: trace.dir,
    meta: trace.meta,
    artifacts: trace.artifacts,
    expected: trace.expected,
    readStep: (index) => trace.readStep(index),
    readStepSync: (index) => {
      reads.set(index, (reads.get(index) ?? 0) + 1);
      return trace.readStepSync(index);
    },
    steps: () => trace.steps(),
    readCall: (index) => trace.readCall(index),
    readCallSync: (index) => trace.readCallSync(index),
    readCallRecordSync: (index) => trace.readCallRecordSync(index),
    calls: () => trace.calls(),
    readVolatile: () => trace.readVolatile(),
  };
  return { trace: counted, reads };
}
