import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  fixedClock,
  ReplayDivergenceError,
  resumeFromTrace,
  ScriptedLLM,
  type ScriptedTurn,
  sequentialIds,
} from '../../src/index.js';
import { dirFiles, GREETER_TASK, greet, recordRun, tempDir } from './helpers.js';

const FOUR_STEPS: ScriptedTurn[] = [
  { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
  { toolCalls: [{ name: 'greet', args: { name: 'Bob' } }] },
  { toolCalls: [{ name: 'greet', args: { name: 'Carol' } }] },
  { toolCalls: [{ name: 'done', args: { summary: 'greeted three' } }] },
];

/** Resumes `dir` with `turns` as the live backend, recording into a new directory. */
async function resume(dir: string, turns: ScriptedTurn[]) {
  const out = path.join(tempDir(), 'resumed');
  const live = new ScriptedLLM(turns);
  const llm = resumeFromTrace({ dir, llm: live, recordTo: out });
  const result = await agentLoop({
    llm,
    tools: [greet],
    task: GREETER_TASK,
    hooks: [llm.hook()],
    clock: fixedClock(),
    ids: sequentialIds(),
  }).result;
  await llm.flush();
  return { out, result, live, llm };
}

describe('resumeFromTrace', () => {
  it('continues a run interrupted by a model error; the resumed trace equals an uninterrupted one', async () => {
    const whole = path.join(tempDir(), 'whole');
    await recordRun({ dir: whole, llm: new ScriptedLLM(FOUR_STEPS) });

    const interrupted = path.join(tempDir(), 'interrupted');
    const cut = await recordRun({
      dir: interrupted,
      llm: new ScriptedLLM([...FOUR_STEPS.slice(0, 2), { error: new Error('network down') }]),
    });
    expect(cut.result.endReason).toBe('llm_error');

    const { out, result, live, llm } = await resume(interrupted, FOUR_STEPS.slice(2));
    expect(result.endReason).toBe('done');
    expect(llm.replayed).toBe(2);
    live.assertComplete();
    expect(dirFiles(out)).toEqual(dirFiles(whole));
  });

  it('continues a run that hit maxSteps', async () => {
    const whole = path.join(tempDir(), 'whole');
    await recordRun({ dir: whole, llm: new ScriptedLLM(FOUR_STEPS) });
    const stopped = path.join(tempDir(), 'stopped');
    const first = await recordRun({ dir: stopped, llm: new ScriptedLLM(FOUR_STEPS), maxSteps: 3 });
    expect(first.result.endReason).toBe('max_steps');
    const { out, result } = await resume(stopped, FOUR_STEPS.slice(3));
    expect(result.endReason).toBe('done');
    expect(dirFiles(out)).toEqual(dirFiles(whole));
  });

  it('refuses to resume a different run: a differing prefix throws ReplayDivergenceError', async () => {
    const interrupted = path.join(tempDir(), 'interrupted');
    await recordRun({ dir: interrupted, llm: new ScriptedLLM([FOUR_STEPS[0]!, { error: new Error('x') }]) });
    const live = new ScriptedLLM(FOUR_STEPS.slice(1));
    const llm = resumeFromTrace({ dir: interrupted, llm: live });
    const result = await agentLoop({ llm, tools: [greet], task: 'A different task' }).result;
    expect(result.endReason).toBe('llm_error');
    expect(result.error).toBeInstanceOf(ReplayDivergenceError);
    expect(live.calls).toBe(0);
  });

  it('fails when the trace to resume does not exist', () => {
    expect(() => resumeFromTrace({ dir: path.join(tempDir(), 'none'), llm: new ScriptedLLM([]) })).toThrow(
      /does not exist/,
    );
  });
});
