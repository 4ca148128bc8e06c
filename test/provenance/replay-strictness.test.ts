import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  ReplayDivergenceError,
  ReplayExhaustedError,
  ReplayLLM,
  ScriptedLLM,
} from '../../src/index.js';
import { GREETER_TASK, greet, recordGreeter, recordRun, tempDir } from './helpers.js';

/** The greeter tool with another greeting word: every result the model reads changes. */
function greeter(word: string, description = 'Greet someone') {
  return defineTool({
    name: 'greet',
    description,
    parameters: greet.jsonSchema,
    run: ({ name }) => ({ greeting: `${word}, ${String(name)}!` }),
  });
}

/** A run of three steps: greet Alice, greet Bob, done. */
const THREE_STEPS = [
  { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
  { toolCalls: [{ name: 'greet', args: { name: 'Bob' } }] },
  { toolCalls: [{ name: 'done', args: { summary: 'greeted both' } }] },
];

async function recordThreeSteps(): Promise<string> {
  const dir = `${tempDir()}/three`;
  await recordRun({ dir, llm: new ScriptedLLM(THREE_STEPS) });
  return dir;
}

describe('strict replay: the divergence says what changed, then the whole diff', () => {
  it('ReplayDivergenceError carries summary, callIndex and diff; its message is the summary then the diff', async () => {
    const dir = await recordGreeter();
    const llm = ReplayLLM.fromTrace(dir);
    const result = await agentLoop({ llm, tools: [greeter('Hi')], task: GREETER_TASK }).result;
    const error = result.error as ReplayDivergenceError;
    expect(error).toBeInstanceOf(ReplayDivergenceError);
    expect(error.callIndex).toBe(2);
    expect(error.summary).toEqual(['the result of `greet` at step 1 changed']);
    expect(error.message).toBe(
      `replay diverged at model call #2:\n- the result of \`greet\` at step 1 changed\n${error.diff}`,
    );
    expect(llm.diverged).toEqual({ callIndex: 2, summary: error.summary, diff: error.diff });
    expect(error.toDivergence()).toEqual(llm.diverged);
    expect(llm.warnings).toEqual([]);
  });

  it('never cuts the diff short, however long', async () => {
    const dir = await recordGreeter();
    const long = 'x'.repeat(5000);
    const result = await agentLoop({
      llm: ReplayLLM.fromTrace(dir),
      tools: [greeter(long)],
      task: GREETER_TASK,
    }).result;
    const error = result.error as ReplayDivergenceError;
    expect(error.diff).toContain(`+{"greeting":"${long}, Alice!"}`);
    expect(error.message.endsWith(error.diff)).toBe(true);
  });

  it('a call more than recorded is "the agent made one more model call than recorded"', async () => {
    const dir = await recordGreeter();
    const llm = ReplayLLM.fromTrace(dir);
    const result = await agentLoop({
      llm,
      tools: [greet],
      task: GREETER_TASK,
      hooks: [{ checkDone: () => ({ block: 'not yet' }) }],
    }).result;
    const error = result.error as ReplayExhaustedError;
    expect(error).toBeInstanceOf(ReplayExhaustedError);
    expect(error.summary).toEqual(['the agent made one more model call than recorded']);
    expect(error.message).toMatch(
      /^replay exhausted: the trace holds 2 model call\(s\) but the run asked for call #3:\n- the agent made one more model call than recorded\n--- recorded/,
    );
    expect(llm.diverged?.summary).toEqual(error.summary);
  });

  it('finish(): a run that ends before the recording did diverged ("one fewer model call"), unusedCalls counts them', async () => {
    const dir = await recordThreeSteps();
    const llm = ReplayLLM.fromTrace(dir);
    const run = agentLoop({
      llm,
      tools: [greet],
      task: GREETER_TASK,
      hooks: [{ shouldStop: ({ step }) => (step === 2 ? { stop: 'enough' } : undefined) }],
    });
    const result = await run.result;
    expect(result.endReason).toBe('hook_stop');
    expect(llm.unusedCalls).toBe(1);
    expect(llm.diverged).toBeUndefined();
    const divergence = llm.finish(run.state);
    expect(divergence?.summary).toEqual(['the agent made one fewer model call than recorded']);
    expect(divergence?.callIndex).toBe(3);
    expect(divergence?.diff).toContain('-→ #1 done {"summary":"greeted both"}');
    expect(llm.diverged).toBe(divergence);
    expect(llm.finish(run.state)).toBe(divergence); // idempotent
  });

  it('finish() on a run that matched the recording finds nothing', async () => {
    const dir = await recordGreeter();
    const llm = ReplayLLM.fromTrace(dir);
    const run = agentLoop({ llm, tools: [greet], task: GREETER_TASK });
    expect((await run.result).endReason).toBe('done');
    expect(llm.finish(run.state)).toBeUndefined();
    expect(llm.unusedCalls).toBe(0);
    expect(llm.warnings).toEqual([]);
  });
});

describe('lenient replay: recorded answers served whatever the requests, differences kept as warnings', () => {
  it('runs to the end through a changed tool; the warning says what changed, with the diff', async () => {
    const dir = await recordGreeter();
    const llm = ReplayLLM.fromTrace(dir, { strictness: 'lenient' });
    const run = agentLoop({ llm, tools: [greeter('Hi')], task: GREETER_TASK });
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(result.steps[0]!.results.map((r) => r.data)).toEqual([
      { greeting: 'Hi, Alice!' },
      { greeting: 'Hi, Bob!' },
    ]);
    expect(llm.warnings).toHaveLength(1);
    expect(llm.warnings[0]!.callIndex).toBe(2);
    expect(llm.warnings[0]!.summary).toEqual(['the result of `greet` at step 1 changed']);
    expect(llm.warnings[0]!.diff).toContain('+{"greeting":"Hi, Alice!"}');
    expect(llm.finish(run.state)).toBeUndefined();
    expect(llm.diverged).toBeUndefined();
  });

  it('reports each change once, at the call where it appears (not again at every later call)', async () => {
    const dir = await recordThreeSteps();
    const llm = ReplayLLM.fromTrace(dir, { strictness: 'lenient' });
    // Changed description: every request differs from call 1 on; changed results: calls 2 and 3.
    const result = await agentLoop({ llm, tools: [greeter('Hi', 'Say hi')], task: GREETER_TASK }).result;
    expect(result.endReason).toBe('done');
    expect(llm.warnings.map((warning) => [warning.callIndex, warning.summary])).toEqual([
      [1, ['the description of tool `greet` changed']],
      [2, ['the result of `greet` at step 1 changed']],
      [3, ['the result of `greet` at step 2 changed']],
    ]);
    // The later diffs show what that call added, not the earlier changes again.
    expect(llm.warnings[2]!.diff).toContain('+{"greeting":"Hi, Bob!"}');
    expect(llm.warnings[2]!.diff).not.toContain('Alice');
    expect(llm.warnings[2]!.diff).toContain('(messages added since call 2)');
  });

  it('a call more than recorded still ends the run, as a divergence', async () => {
    const dir = await recordGreeter();
    const llm = ReplayLLM.fromTrace(dir, { strictness: 'lenient' });
    const result = await agentLoop({
      llm,
      tools: [greet],
      task: GREETER_TASK,
      hooks: [{ checkDone: () => ({ block: 'not yet' }) }],
    }).result;
    expect(result.endReason).toBe('replay_exhausted');
    expect(llm.diverged?.summary).toEqual(['the agent made one more model call than recorded']);
  });

  it('fewer calls than recorded is a warning', async () => {
    const dir = await recordThreeSteps();
    const llm = ReplayLLM.fromTrace(dir, { strictness: 'lenient' });
    const run = agentLoop({
      llm,
      tools: [greet],
      task: GREETER_TASK,
      hooks: [{ shouldStop: ({ step }) => (step === 1 ? { stop: 'enough' } : undefined) }],
    });
    await run.result;
    expect(llm.finish(run.state)).toBeUndefined();
    expect(llm.warnings.map((warning) => warning.summary)).toEqual([
      ['the agent made 2 fewer model calls than recorded'],
    ]);
  });

  it('rejects an unknown strictness, an unknown check, and lenient outside replay mode', async () => {
    const dir = await recordGreeter();
    expect(() => ReplayLLM.fromTrace(dir, { strictness: 'loose' as 'strict' })).toThrow(
      /unknown replay strictness "loose"/,
    );
    expect(() => ReplayLLM.fromTrace(dir, { check: 'all' as 'request' })).toThrow(
      /unknown replay check "all"/,
    );
    expect(() =>
      ReplayLLM.fromTrace(dir, { mode: 'auto', strictness: 'lenient', fallback: new ScriptedLLM([]) }),
    ).toThrow(/applies to mode "replay" only/);
  });
});
