// docs/provenance.md shows replay output; these tests run the code it shows and compare.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, doneTool, ReplayDivergenceError, ReplayLLM } from '../../src/index.js';

const doc = readFileSync('docs/provenance.md', 'utf8');

/** The first fenced block after `marker` in the doc. */
function blockAfter(marker: string): string {
  const at = doc.indexOf(marker);
  expect(at, `docs/provenance.md has no "${marker}"`).toBeGreaterThanOrEqual(0);
  return /```\w*\n([\s\S]*?)```/.exec(doc.slice(at))![1]!;
}

// The code of the doc's first example.
const greeter = (word: string) =>
  defineTool({
    name: 'greet',
    description: 'Greet someone by name',
    parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    run: ({ name }) => ({ greeting: `${word}, ${String(name)}!` }),
  });
const done = doneTool({
  parameters: {
    type: 'object',
    properties: { greeted: { type: 'array', items: { type: 'string' } } },
    required: ['greeted'],
  },
});
const task = { goal: 'Greet Alice' };

describe('docs/provenance.md', () => {
  it('the greeter divergence message is the one the doc shows, summary then the whole diff', async () => {
    const replay = await agentLoop({
      llm: ReplayLLM.fromTrace('traces/greeter/alice'),
      tools: [greeter('Hello'), done],
      task,
    }).result;
    expect(replay.endReason).toBe('done');
    const after = await agentLoop({
      llm: ReplayLLM.fromTrace('traces/greeter/alice'),
      tools: [greeter('Hi'), done],
      task,
    }).result;
    expect(after.endReason).toBe('llm_error');
    expect(after.error).toBeInstanceOf(ReplayDivergenceError);
    expect(after.error?.message).toBe(blockAfter('the message reads'));
  });

  it('the lenient example: done with the new result, one warning', async () => {
    expect(blockAfter('### Strict and lenient')).toContain("strictness: 'lenient'");
    const llm = ReplayLLM.fromTrace('traces/greeter/alice', { strictness: 'lenient' });
    const run = agentLoop({ llm, tools: [greeter('Hi'), done], task });
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(result.steps[0]!.results[0]!.data).toEqual({ greeting: 'Hi, Alice!' });
    expect(llm.finish(run.state)).toBeUndefined();
    expect(llm.warnings).toHaveLength(1);
    expect(llm.warnings[0]).toMatchObject({
      callIndex: 2,
      summary: ['the result of `greet` at step 1 changed'],
    });
    expect(llm.warnings[0]!.diff.startsWith('--- recorded calls/0002.json')).toBe(true);
  });

  it('the tool-calls divergence of traces/python-report is the one the doc shows', async () => {
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
    const result = await agentLoop({
      llm: ReplayLLM.fromTrace('traces/python-report'),
      task: { goal: 'Publish report.json for revenue 120 and cost 80, then finish.' },
      tools: [publishReport],
      maxSteps: 3,
    }).result;
    expect(result.error?.message).toBe(blockAfter('#### `tool-calls`'));
  });
});
