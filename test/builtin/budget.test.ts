import { describe, expect, it } from 'vitest';
import { agentLoop, HookConfigError, ScriptedLLM, stepBudget, tokenBudget } from '../../src/index.js';
import { recordingTool, recordRequests, textOf, usage } from './tools.js';

function searchTurns(count: number, turnUsage = usage(0, 0)) {
  return Array.from({ length: count }, (_, index) => ({
    toolCalls: [{ name: 'search', args: { value: `q${index}` } }],
    usage: turnUsage,
  }));
}

describe('stepBudget', () => {
  it('stops after maxSteps steps with hook_stop and a reason naming the budget and the figures', async () => {
    const search = recordingTool('search');
    const llm = new ScriptedLLM(searchTurns(10));
    const result = await agentLoop({
      llm,
      tools: [search.tool],
      task: 't',
      maxSteps: 20,
      hooks: [stepBudget({ maxSteps: 3 })],
    }).result;
    expect(result.endReason).toBe('hook_stop');
    expect(result.stopReason).toBe('step budget exhausted: 3 of 3 steps used');
    expect(result.steps).toHaveLength(3);
    expect(llm.calls).toBe(3);
  });

  it('uses a custom reason but keeps the figures', async () => {
    const search = recordingTool('search');
    const result = await agentLoop({
      llm: new ScriptedLLM(searchTurns(5)),
      tools: [search.tool],
      task: 't',
      hooks: [stepBudget({ maxSteps: 2, reason: 'research phase over' })],
    }).result;
    expect(result.stopReason).toBe('research phase over: 2 of 2 steps used');
  });

  it('warns the model once, in the request after it reaches the warning fraction', async () => {
    const search = recordingTool('search');
    const { llm, requests } = recordRequests(new ScriptedLLM(searchTurns(5)));
    await agentLoop({
      llm,
      tools: [search.tool],
      task: 't',
      hooks: [stepBudget({ maxSteps: 5 })],
    }).result;
    const warned = requests.map((request) => textOf(request).includes('Budget warning: 4 of 5 steps used'));
    // Step 4 reaches 80%: the warning is in the 5th request (index 4) and stays in the history.
    expect(warned).toEqual([false, false, false, false, true]);
    expect(textOf(requests[4]).match(/Budget warning/g)).toHaveLength(1);
  });

  it('does not warn with warnAt: false, and takes a custom warning', async () => {
    const search = recordingTool('search');
    const silent = recordRequests(new ScriptedLLM(searchTurns(4)));
    await agentLoop({
      llm: silent.llm,
      tools: [search.tool],
      task: 't',
      hooks: [stepBudget({ maxSteps: 4, warnAt: false })],
    }).result;
    expect(silent.requests.some((request) => textOf(request).includes('Budget'))).toBe(false);

    const custom = recordRequests(new ScriptedLLM(searchTurns(4)));
    await agentLoop({
      llm: custom.llm,
      tools: [search.tool],
      task: 't',
      hooks: [
        stepBudget({
          maxSteps: 4,
          warnAt: 0.5,
          warning: ({ used, limit }) => `only ${limit - used} steps left`,
        }),
      ],
    }).result;
    expect(textOf(custom.requests[2])).toContain('only 2 steps left');
    expect(textOf(custom.requests[1])).not.toContain('steps left');
  });

  it('rejects a maxSteps that is not a positive integer', () => {
    expect(() => stepBudget({ maxSteps: 0 })).toThrow(HookConfigError);
    expect(() => stepBudget({ maxSteps: 2.5 })).toThrow(/maxSteps/);
    expect(() => stepBudget({ maxSteps: 3, warnAt: 1.5 })).toThrow(/warnAt/);
  });
});

describe('tokenBudget', () => {
  it('stops once total tokens reach the limit, with the figures in the reason', async () => {
    const search = recordingTool('search');
    const llm = new ScriptedLLM(searchTurns(10, usage(300, 100)));
    const result = await agentLoop({
      llm,
      tools: [search.tool],
      task: 't',
      hooks: [tokenBudget({ maxTotalTokens: 1000 })],
    }).result;
    // 400 tokens per call: 400, 800, 1200 — the third step crosses the limit and is the last.
    expect(result.endReason).toBe('hook_stop');
    expect(result.stopReason).toBe('token budget exhausted: 1200 total tokens used, limit 1000');
    expect(result.steps).toHaveLength(3);
    expect(result.usage.totalTokens).toBe(1200);
  });

  it('checks each limit given: prompt and completion tokens separately', async () => {
    const search = recordingTool('search');
    const byPrompt = await agentLoop({
      llm: new ScriptedLLM(searchTurns(10, usage(500, 10))),
      tools: [search.tool],
      task: 't',
      hooks: [tokenBudget({ maxPromptTokens: 1000, maxCompletionTokens: 1000 })],
    }).result;
    expect(byPrompt.stopReason).toBe('token budget exhausted: 1000 prompt tokens used, limit 1000');
    expect(byPrompt.steps).toHaveLength(2);

    const byCompletion = await agentLoop({
      llm: new ScriptedLLM(searchTurns(10, usage(10, 600))),
      tools: [search.tool],
      task: 't',
      hooks: [tokenBudget({ maxCompletionTokens: 1000, reason: 'output cap' })],
    }).result;
    expect(byCompletion.stopReason).toBe('output cap: 1200 completion tokens used, limit 1000');
  });

  it('warns once when usage first reaches the warning fraction', async () => {
    const search = recordingTool('search');
    const { llm, requests } = recordRequests(new ScriptedLLM(searchTurns(6, usage(150, 50))));
    const result = await agentLoop({
      llm,
      tools: [search.tool],
      task: 't',
      hooks: [tokenBudget({ maxTotalTokens: 1000 })],
    }).result;
    // 200 per call: 800 (80%) after step 4, so the 5th request carries the warning; 1000 stops at step 5.
    expect(result.steps).toHaveLength(5);
    const warned = requests.map((request) => (textOf(request).match(/Budget warning/g) ?? []).length);
    expect(warned).toEqual([0, 0, 0, 0, 1]);
    expect(textOf(requests[4])).toContain('800 of 1000 total tokens used (80%)');
  });

  it('never stops a run whose backend reports no usage', async () => {
    const search = recordingTool('search');
    const result = await agentLoop({
      llm: new ScriptedLLM([...searchTurns(3), { toolCalls: [{ name: 'done', args: { summary: 's' } }] }]),
      tools: [search.tool],
      task: 't',
      hooks: [tokenBudget({ maxTotalTokens: 1 })],
    }).result;
    expect(result.endReason).toBe('done');
  });

  it('needs at least one positive limit', () => {
    expect(() => tokenBudget({})).toThrow(HookConfigError);
    expect(() => tokenBudget({})).toThrow(/at least one/);
    expect(() => tokenBudget({ maxPromptTokens: -5 })).toThrow(/maxPromptTokens/);
  });
});
