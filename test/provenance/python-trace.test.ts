import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contextFromRun, contextFromTrace } from '../../src/evals/index.js';
import { agentLoop, defineTool, ReplayLLM, readTrace, ScriptedLLM, TraceReadError } from '../../src/index.js';
import { toolsFromPythonPrompt } from '../../src/provenance/python-tools.js';
import { GREETER_SCRIPT, greet, tempDir } from './helpers.js';

const PYTHON_TRACE = path.resolve('fixtures/python-trace');

const publishReport = defineTool({
  name: 'publish_report',
  description: 'Write report.json from integer revenue and cost inputs.',
  parameters: {
    type: 'object',
    properties: { revenue: { type: 'integer' }, cost: { type: 'integer' } },
    required: ['revenue', 'cost'],
  },
  run: ({ revenue, cost }) => ({ written: 'report.json', profit: Number(revenue) - Number(cost) }),
});

describe('readTrace (Python looplet traces)', () => {
  it('reads the metadata, artifacts and expected data of a Python trace directory', async () => {
    const trace = await readTrace(PYTHON_TRACE);
    expect(trace.meta).toMatchObject({
      source: 'python-looplet',
      task: { goal: 'Publish report.json for revenue 120 and cost 80, then finish.' },
      endReason: 'done',
      stepCount: 2,
      callCount: 2,
      finalOutput: { summary: 'published report.json' },
    });
    expect(trace.meta.tools.map((tool) => tool.name)).toEqual(['done', 'publish_report']);
    expect(trace.meta.tools[1]).toEqual({
      name: 'publish_report',
      description: 'Write report.json from integer revenue and cost inputs.',
      parameters: {
        type: 'object',
        properties: {
          revenue: { type: 'integer', description: 'Total revenue.' },
          cost: { type: 'integer', description: 'Total cost.' },
        },
      },
    });
    expect(trace.artifacts).toMatchObject({ report_exists: true, observed_profit: 200 });
    expect(trace.expected).toEqual({ profit: 40 });
  });

  it('maps each Python step (one tool call) to StepData, 1-based', async () => {
    const trace = await readTrace(PYTHON_TRACE);
    const steps = [];
    for await (const step of trace.steps()) steps.push(step);
    expect(steps.map((step) => step.index)).toEqual([1, 2]);
    expect(steps[0]).toMatchObject({
      toolCalls: [{ name: 'publish_report', args: { revenue: 120, cost: 80 } }],
      results: [
        {
          name: 'publish_report',
          args: { revenue: 120, cost: 80 },
          data: { written: 'report.json', profit: 200 },
        },
      ],
      metadata: { reasoning: 'publish the requested report' },
      durationMs: 0.48,
    });
    expect(steps[0]!.results[0]!.callId).toBe(steps[0]!.toolCalls[0]!.id);
    expect(steps[1]!.toolCalls[0]!.name).toBe('done');
  });

  it('maps the 0-based call files to 1-based calls with system and user messages', async () => {
    const trace = await readTrace(PYTHON_TRACE);
    const first = trace.readCall(1);
    expect(first.step).toBe(1);
    expect(first.request.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(first.request.messages[0]!.role === 'system' && first.request.messages[0]!.content).toMatch(
      /^# Report agent/,
    );
    expect(first.request.options).toEqual({ temperature: 0.2, max_tokens: 2000 });
    expect(first.response?.text).toBe(
      '{"tool": "publish_report", "args": {"revenue": 120, "cost": 80}, "reasoning": "publish the requested report"}',
    );
    expect(trace.readVolatile()).toMatchObject({
      runId: 'b766571f35dd',
      calls: [{ durationMs: 0 }, { durationMs: 0 }],
    });
  });

  it('replays (lenient) through a TypeScript agent with a fixed tool and ends with done', async () => {
    // The recorded publish_report added revenue and cost; this one subtracts: the tool-calls
    // check sees the changed result, which lenient replay keeps as a warning.
    const llm = ReplayLLM.fromTrace(PYTHON_TRACE, { strictness: 'lenient' });
    const result = await agentLoop({
      llm,
      tools: [publishReport],
      task: { goal: 'Publish report.json for revenue 120 and cost 80, then finish.' },
    }).result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ summary: 'published report.json' });
    expect(result.steps[0]!.results[0]!.data).toEqual({ written: 'report.json', profit: 40 });
    expect(llm.replayed).toBe(2);
    expect(llm.warnings.map((warning) => warning.summary)).toEqual([
      ['the result of `publish_report` at step 1 changed'],
    ]);
  });

  it('maps Python tool errors to tool error kinds', async () => {
    const dir = path.join(tempDir(), 'py');
    cpSync(PYTHON_TRACE, dir, { recursive: true });
    editTrajectory(dir, (trajectory) => {
      trajectory.steps[0]!.tool_result = {
        tool: 'publish_report',
        args: 'x',
        duration_ms: 1.5,
        error: 'not allowed',
        error_kind: 'permission_denied',
      };
    });
    const result = (await readTrace(dir)).readStep(1).results[0]!;
    expect(result.error).toEqual({ kind: 'denied', message: 'not allowed' });
    expect(result).not.toHaveProperty('data');
    expect(result.durationMs).toBe(1.5);
  });

  it('reports a damaged Python trace with the file and field', async () => {
    const dir = path.join(tempDir(), 'py');
    cpSync(PYTHON_TRACE, dir, { recursive: true });
    editTrajectory(dir, (trajectory) => {
      trajectory.steps[0] = { step_num: 1, tool_call: { tool: 3 } };
    });
    const trace = await readTrace(dir);
    expect(() => trace.readStep(1)).toThrow(TraceReadError);
    expect(() => trace.readStep(1)).toThrow(
      /trajectory\.json \(field steps\[0\]\.tool_call\.tool\): must be a string/,
    );
    writeFileSync(path.join(dir, 'trajectory.json'), '{"steps": [');
    expect(() => readTrace(dir)).toThrow(/trajectory\.json: is truncated/);
  });
});

function copyOfPythonTrace(): string {
  const dir = path.join(tempDir(), 'py');
  cpSync(PYTHON_TRACE, dir, { recursive: true });
  return dir;
}

describe('Python traces read as Python reads them', () => {
  it('opening and scoring reads trajectory.json, artifacts.json and expected.json only', async () => {
    const dir = copyOfPythonTrace();
    // Made unreadable (a directory where a file is expected): any attempt to read them fails.
    for (const file of [
      'manifest.jsonl',
      'call_00_prompt.txt',
      'call_00_response.txt',
      'steps/step_01.json',
    ]) {
      rmSync(path.join(dir, file));
      mkdirSync(path.join(dir, file));
    }
    const trace = await readTrace(dir);
    const ctx = contextFromTrace({ trace });
    expect(ctx.steps.map((step) => step.toolCalls[0]!.name)).toEqual(['publish_report', 'done']);
    expect(ctx.toolCalls[0]!.data).toEqual({ written: 'report.json', profit: 200 });
    expect(ctx.finalOutput).toEqual({ summary: 'published report.json' });
    expect(ctx.expected).toEqual({ profit: 40 });
    // The tool list needs the first prompt: asked for, it reports the unreadable file as absent.
    expect(trace.meta.tools).toEqual([]);
    expect(() => trace.readCall(1)).toThrow(/call_00_prompt\.txt: is a directory, not a regular file/);
  });

  it('takes steps from trajectory.json, not from step files numbered another way (save_eval_run)', async () => {
    const dir = copyOfPythonTrace();
    // Python's save_eval_run(context=…) names step files by 0-based position.
    renameSync(path.join(dir, 'steps/step_01.json'), path.join(dir, 'steps/step_00.json'));
    renameSync(path.join(dir, 'steps/step_02.json'), path.join(dir, 'steps/step_01.json'));
    const ctx = contextFromTrace({ trace: await readTrace(dir) });
    expect(ctx.steps.map((step) => step.toolCalls[0]!.name)).toEqual(['publish_report', 'done']);
  });

  it('reads steps/step_NN.json when trajectory.json holds no steps', async () => {
    const dir = copyOfPythonTrace();
    editTrajectory(dir, (trajectory) => {
      delete (trajectory as Partial<Trajectory>).steps;
    });
    const trace = await readTrace(dir);
    expect(trace.meta.stepCount).toBe(2);
    expect(trace.readStep(1).toolCalls[0]!.name).toBe('publish_report');
    expect(trace.meta.finalOutput).toEqual({ summary: 'published report.json' });
  });

  it('a custom terminal tool (done_tool="submit"): the last step\'s arguments are the final output', async () => {
    const dir = copyOfPythonTrace();
    editTrajectory(dir, (trajectory) => {
      trajectory.steps[1]!.tool_call = { tool: 'submit', args: { answer: 'S' } };
    });
    const trace = await readTrace(dir);
    expect(trace.meta.endReason).toBe('done');
    expect(trace.meta.finalOutput).toEqual({ answer: 'S' });
  });

  it('a trajectory without termination_reason that ends with done is done, with its output', async () => {
    const dir = copyOfPythonTrace();
    editTrajectory(dir, (trajectory) => {
      delete trajectory.termination_reason;
      trajectory.metadata = {};
    });
    const trace = await readTrace(dir);
    expect(trace.meta.endReason).toBe('done');
    expect(trace.meta.stopReason).toBeUndefined();
    expect(trace.meta.finalOutput).toEqual({ summary: 'published report.json' });
    // Ending on another tool, it stays unknown — and the last done call still gives the output.
    editTrajectory(dir, (trajectory) => {
      trajectory.steps.push({ step_num: 3, tool_call: { tool: 'publish_report', args: {} } });
    });
    const after = await readTrace(dir);
    expect(after.meta).toMatchObject({ endReason: 'hook_stop', stopReason: 'unknown' });
    expect(after.meta.finalOutput).toEqual({ summary: 'published report.json' });
  });

  it("exposes the trajectory metadata and run id (as Python's ctx.metadata), on the trace and the eval context", async () => {
    const dir = copyOfPythonTrace();
    editTrajectory(dir, (trajectory) => {
      trajectory.run_id = 'abc123';
      trajectory.metadata = { user_field: 'hello', harness_snapshot: { model: 'm' } };
    });
    const trace = await readTrace(dir);
    expect(trace.meta.runId).toBe('abc123');
    const metadata = {
      user_field: 'hello',
      harness_snapshot: { model: 'm' },
      run_id: 'abc123',
      started_at: 1795441022.8441834,
      ended_at: 1795441022.8452153,
      termination_reason: 'done',
    };
    expect(trace.meta.metadata).toEqual(metadata);
    expect(contextFromTrace({ trace }).metadata).toEqual(metadata);
  });

  it('uses the expected stored in trajectory.json when there is no expected.json, and refuses a conflict', async () => {
    const dir = copyOfPythonTrace();
    rmSync(path.join(dir, 'expected.json'));
    editTrajectory(dir, (trajectory) => {
      trajectory.expected = { profit: 40, source: 'inline' };
    });
    expect((await readTrace(dir)).expected).toEqual({ profit: 40, source: 'inline' });
    writeFileSync(path.join(dir, 'expected.json'), '{"profit": 41}');
    expect(() => readTrace(dir)).toThrow(
      /expected\.json: conflicts with the `expected` stored in trajectory\.json/,
    );
  });

  it('a Python task with a description has it as its goal', async () => {
    const dir = copyOfPythonTrace();
    editTrajectory(dir, (trajectory) => {
      trajectory.task = { description: 'add then finish' };
    });
    expect(contextFromTrace({ trace: await readTrace(dir) }).goal).toBe('add then finish');
  });
});

describe('EvalContext.metadata of looplet traces and live runs', () => {
  it('holds the run id', async () => {
    const trace = await readTrace('traces/greeter/alice');
    expect(contextFromTrace({ trace }).metadata).toEqual({ run_id: trace.readVolatile()!.runId });
    const run = agentLoop({ llm: new ScriptedLLM(GREETER_SCRIPT), tools: [greet], task: 'greet' });
    const result = await run.result;
    expect(contextFromRun({ result, state: run.state }).metadata).toEqual({ run_id: run.state.runId });
  });
});

describe('tool lists in Python prompts', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads annotations and JSON Schema types without trying to parse them as literals', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const tools = toolsFromPythonPrompt(
      'Available tools:\n  lookup(key: str, limit?: integer)\n    Look a key up\n  done(summary: string)\n    Finish\n',
    );
    expect(tools).toEqual([
      {
        name: 'lookup',
        description: 'Look a key up',
        parameters: { type: 'object', properties: { key: {}, limit: { type: 'integer' } } },
      },
      {
        name: 'done',
        description: 'Finish',
        parameters: { type: 'object', properties: { summary: { type: 'string' } } },
      },
    ]);
    expect(parse).not.toHaveBeenCalled();
  });
});

type Trajectory = { steps: Array<Record<string, unknown>> } & Record<string, unknown>;

function editTrajectory(dir: string, edit: (trajectory: Trajectory) => void): void {
  const file = path.join(dir, 'trajectory.json');
  const trajectory = JSON.parse(readFileSync(file, 'utf8')) as Trajectory;
  edit(trajectory);
  writeFileSync(file, JSON.stringify(trajectory));
}
