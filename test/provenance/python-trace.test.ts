import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, ReplayLLM, readTrace, TraceReadError } from '../../src/index.js';
import { tempDir } from './helpers.js';

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
    const first = trace.readCallSync(1);
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

  it('replays through a TypeScript agent with the same two tools and ends with done', async () => {
    const llm = ReplayLLM.fromTrace(PYTHON_TRACE);
    const result = await agentLoop({
      llm,
      tools: [publishReport],
      task: { goal: 'Publish report.json for revenue 120 and cost 80, then finish.' },
    }).result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ summary: 'published report.json' });
    expect(result.steps[0]!.results[0]!.data).toEqual({ written: 'report.json', profit: 40 });
    expect(llm.replayed).toBe(2);
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
    const result = (await readTrace(dir)).readStepSync(1).results[0]!;
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
    expect(() => trace.readStepSync(1)).toThrow(TraceReadError);
    expect(() => trace.readStepSync(1)).toThrow(
      /trajectory\.json \(field steps\[0\]\.tool_call\.tool\): must be a string/,
    );
    writeFileSync(path.join(dir, 'trajectory.json'), '{"steps": [');
    await expect(readTrace(dir)).rejects.toThrow(/trajectory\.json: is truncated/);
  });
});

type Trajectory = { steps: Array<Record<string, unknown>> } & Record<string, unknown>;

function editTrajectory(dir: string, edit: (trajectory: Trajectory) => void): void {
  const file = path.join(dir, 'trajectory.json');
  const trajectory = JSON.parse(readFileSync(file, 'utf8')) as Trajectory;
  edit(trajectory);
  writeFileSync(file, JSON.stringify(trajectory));
}
