import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, ScriptedLLM } from '../../src/index.js';

const greet = defineTool({
  name: 'greet',
  description: 'Greet someone',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: `Hello, ${String(name)}!` }),
});

describe('agentLoop (hello world)', () => {
  it('greets, calls done, and ends with the done arguments as final output', async () => {
    const llm = new ScriptedLLM([
      { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
      { toolCalls: [{ name: 'done', args: { summary: 'greeted Alice' } }] },
    ]);
    const run = agentLoop({ llm, tools: [greet], task: { goal: 'Greet Alice' }, maxSteps: 5 });
    const lines: string[] = [];
    for await (const step of run) lines.push(step.pretty());
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ summary: 'greeted Alice' });
    expect(lines[0]).toMatch(/^#1 ✓ greet\(name='Alice'\) → \{greeting\} \[\d+ms\]$/);
    expect(result.steps[0]?.results[0]?.data).toEqual({ greeting: 'Hello, Alice!' });
    llm.assertComplete();
  });
});
