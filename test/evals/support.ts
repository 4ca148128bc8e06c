// Shared inputs for the evals tests: real scripted runs and small in-memory traces.

import type { StepData } from '../../src/core/step.js';
import { agentLoop, defineTool, fixedClock, ScriptedLLM, sequentialIds } from '../../src/index.js';
import type { TraceMeta } from '../../src/provenance/records.js';
import type { Trace } from '../../src/provenance/types.js';

export const greet = defineTool({
  name: 'greet',
  description: 'Greet someone',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => {
    if (name === 'Mallory') throw new Error('refusing to greet Mallory');
    return { greeting: `Hello, ${String(name)}!` };
  },
});

/** Runs a scripted greeter: greets each name (one call per step), then calls done with them. */
export async function greeterRun(names: string[] = ['Alice', 'Bob']) {
  const llm = new ScriptedLLM([
    ...names.map((name) => ({ toolCalls: [{ name: 'greet', args: { name } }] })),
    { toolCalls: [{ name: 'done', args: { summary: `greeted ${names.join(', ')}` } }] },
  ]);
  const run = agentLoop({
    llm,
    tools: [greet],
    task: { goal: `Greet ${names.join(' and ')}` },
    clock: fixedClock({ at: 1000, stepMs: 1 }),
    ids: sequentialIds(),
  });
  const result = await run.result;
  return { run, result, state: run.state };
}

function step(
  index: number,
  calls: Array<{ name: string; args: Record<string, unknown>; data?: unknown }>,
): StepData {
  return {
    index,
    toolCalls: calls.map((call, n) => ({ id: `call_${index}_${n}`, name: call.name, args: call.args })),
    results: calls.map((call, n) => ({
      callId: `call_${index}_${n}`,
      name: call.name,
      args: call.args,
      ...(call.data === undefined
        ? { error: { kind: 'tool_threw' as const, message: 'boom' } }
        : { data: call.data }),
      durationMs: 1,
    })),
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
    context: [],
    metadata: {},
    startedAt: 0,
    durationMs: 2,
  };
}

/**
 * A small in-memory {@link Trace}: the interface the provenance reader implements. `reads`
 * counts step reads so tests can see what was loaded.
 */
export function memoryTrace({
  dir = '/traces/report_run',
  finalOutput = { summary: 'published' },
  endReason = 'done',
  artifacts = { report_ok: true },
  expected = { profit: 40 },
  failStepRead = false,
}: {
  dir?: string;
  finalOutput?: unknown;
  endReason?: TraceMeta['endReason'];
  artifacts?: Record<string, unknown>;
  expected?: Record<string, unknown>;
  failStepRead?: boolean;
} = {}): Trace & { reads: number[] } {
  const steps = [
    step(1, [{ name: 'publish_report', args: { revenue: 120, cost: 80 }, data: { profit: 200 } }]),
    step(2, [
      { name: 'lookup', args: { q: 'x' } },
      { name: 'publish_report', args: { revenue: 1, cost: 1 }, data: { profit: 2 } },
    ]),
    step(3, [{ name: 'done', args: { summary: 'published' }, data: { status: 'completed' } }]),
  ];
  const meta: TraceMeta = {
    schemaVersion: 1,
    source: 'looplet',
    task: { goal: 'Publish the report' },
    endReason,
    stepCount: steps.length,
    callCount: steps.length,
    finalOutput,
    model: 'scripted',
    tools: [],
    usage: { promptTokens: 30, completionTokens: 15, totalTokens: 45 },
  };
  const reads: number[] = [];
  const readStepSync = (index: number) => {
    reads.push(index);
    if (failStepRead) throw new Error(`step ${index} of ${dir} is truncated`);
    const found = steps[index - 1];
    if (!found) throw new Error(`no step ${index}`);
    return found;
  };
  return {
    dir,
    meta,
    artifacts,
    expected,
    reads,
    readStep: readStepSync,
    *steps() {
      for (let index = 1; index <= steps.length; index++) yield readStepSync(index);
    },
  };
}
