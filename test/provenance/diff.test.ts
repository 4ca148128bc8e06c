import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineTool, readTrace, ScriptedLLM, type ScriptedTurn } from '../../src/index.js';
import { diffTraces, type TraceDifference } from '../../src/provenance/diff.js';
import { GREETER_SCRIPT, recordGreeter, recordRun, tempDir } from './helpers.js';

async function differences(a: string, b: string, includeVolatile = false): Promise<TraceDifference[]> {
  const found: TraceDifference[] = [];
  for await (const difference of diffTraces({
    a: await readTrace(a),
    b: await readTrace(b),
    includeVolatile,
  }))
    found.push(difference);
  return found;
}

const hi = defineTool({
  name: 'greet',
  description: 'Greet someone',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: `Hi, ${String(name)}!` }),
});

describe('diffTraces', () => {
  it('finds no difference between two recordings of the same run, unless volatile data is included', async () => {
    const a = await recordGreeter({ deterministic: false });
    const b = await recordGreeter({ deterministic: false });
    expect(await differences(a, b)).toEqual([]);
    const volatile = await differences(a, b, true);
    expect(volatile.map((d) => d.kind)).toEqual(['volatile']);
    expect(volatile[0]!.diff).toContain('"runId"');
  });

  it('reports a changed tool result in the step and in the next prompt, step by step', async () => {
    const a = await recordGreeter();
    const b = path.join(tempDir(), 'hi');
    await recordRun({ dir: b, llm: new ScriptedLLM(GREETER_SCRIPT), tools: [hi] });
    const found = await differences(a, b);
    expect(found.map((d) => [d.kind, d.index])).toEqual([
      ['step', 1],
      ['request', 2],
    ]);
    expect(found[0]!.summary).toBe('step 1: tool results differ');
    expect(found[0]!.diff).toContain('-        "greeting": "Hello, Alice!"');
    expect(found[0]!.diff).toContain('+        "greeting": "Hi, Alice!"');
    expect(found[1]!.summary).toMatch(/model call 2 \(step 2\): the messages added since call 1 differ/);
    expect(found[1]!.diff).toContain('+{"greeting":"Hi, Alice!"}');
  });

  it('reports a different end reason, response and extra steps', async () => {
    const a = await recordGreeter();
    const b = path.join(tempDir(), 'longer');
    const turns: ScriptedTurn[] = [
      GREETER_SCRIPT[0]!,
      { toolCalls: [{ name: 'greet', args: { name: 'Carol' } }] },
      { toolCalls: [{ name: 'done', args: { summary: 'three' } }] },
    ];
    await recordRun({ dir: b, llm: new ScriptedLLM(turns) });
    const found = await differences(a, b);
    const summaries = found.map((d) => d.summary);
    expect(summaries).toContain('trace.json callCount: 2 → 3');
    expect(summaries).toContain(
      'trace.json finalOutput: {"summary":"greeted Alice and Bob"} → {"summary":"three"}',
    );
    expect(summaries).toContain('model call 2 (step 2): the response differs');
    expect(summaries).toContain('step 3 only in b');
    expect(summaries).toContain('model call 3 only in b');
  });

  it('ignores tool-call ids, which providers and id generators choose freely', async () => {
    const a = await recordGreeter();
    const b = path.join(tempDir(), 'ids');
    let n = 100;
    await recordRun({
      dir: b,
      llm: new ScriptedLLM(GREETER_SCRIPT),
      ids: (kind) => {
        n++;
        return kind === 'run' ? 'run' : `tool_${n}`;
      },
    });
    expect(await differences(a, b)).toEqual([]);
  });

  it('compares a looplet trace with a Python trace without crashing', async () => {
    const found = await differences(await recordGreeter(), 'traces/python-report');
    expect(found.some((d) => d.summary.startsWith('trace.json source'))).toBe(true);
    expect(found.some((d) => d.kind === 'step')).toBe(true);
  });
});
