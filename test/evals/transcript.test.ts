import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contextFromRun, contextFromTrace, formatTranscript } from '../../src/evals/index.js';
import {
  agentLoop,
  decide,
  defineTool,
  fixedClock,
  type Hook,
  readTrace,
  ScriptedLLM,
  sequentialIds,
} from '../../src/index.js';

const lookup = defineTool({
  name: 'lookup_price',
  description: 'Price of a product in euros',
  parameters: { type: 'object', properties: { product: { type: 'string' } }, required: ['product'] },
  run: ({ product }) => ({ product, euros: product === 'tea' ? 4 : 9 }),
});

const teaOnly: Hook = {
  checkPermission: ({ call }) =>
    call.name === 'lookup_price' && call.args.product !== 'tea'
      ? decide.deny('only tea prices are public')
      : undefined,
};

async function pricesRun(turns: ConstructorParameters<typeof ScriptedLLM>[0], hooks: Hook[] = [teaOnly]) {
  const run = agentLoop({
    llm: new ScriptedLLM(turns),
    tools: [lookup],
    task: { goal: 'What do tea and cake cost together?', currency: 'EUR' },
    hooks,
    maxSteps: 100,
    clock: fixedClock({ at: 0, stepMs: 1 }),
    ids: sequentialIds(),
  });
  const result = await run.result;
  return contextFromRun({ result, state: run.state });
}

describe('formatTranscript', () => {
  it("renders the task, each call with its arguments and result or error, the model's words and the end", async () => {
    const ctx = await pricesRun([
      {
        text: 'I will look up both prices.',
        toolCalls: [
          { name: 'lookup_price', args: { product: 'tea' } },
          { name: 'lookup_price', args: { product: 'cake' } },
        ],
      },
      { toolCalls: [{ name: 'done', args: { summary: 'tea costs 4; cake price unknown' } }] },
    ]);
    const text = formatTranscript({ context: ctx });
    // docs/evals.md shows this very output.
    const docs = readFileSync(new URL('../../docs/evals.md', import.meta.url), 'utf8');
    expect(/### Transcripts for judges[\s\S]*?```text\n([\s\S]*?)\n```/.exec(docs)?.[1]).toBe(text);
    expect(text).toBe(
      [
        '═══ SESSION LOG ═══',
        'Task: What do tea and cake cost together?',
        '',
        '  currency: EUR',
        '',
        'Steps:',
        '  S1: (model) I will look up both prices.',
        '  S1: lookup_price({"product":"tea"})',
        '    → {"euros":4,"product":"tea"}',
        '  S1: lookup_price({"product":"cake"})',
        '    ✗ denied: only tea prices are public',
        '  S2: done({"summary":"tea costs 4; cake price unknown"})',
        '    → {"status":"completed","summary":"tea costs 4; cake price unknown"}',
        '',
        'End: done',
        'Final output: {"summary":"tea costs 4; cake price unknown"}',
      ].join('\n'),
    );
  });

  it('says how a run that did not finish ended, and a run without steps', async () => {
    const stopped = await pricesRun([{ toolCalls: [{ name: 'lookup_price', args: { product: 'tea' } }] }]);
    const text = formatTranscript({ context: stopped });
    expect(text).toContain('End: replay_exhausted (');
    expect(text).not.toContain('Final output');
    const empty = await pricesRun([]);
    expect(formatTranscript({ context: empty })).toContain('Steps:\n  (none)\n\nEnd: replay_exhausted');
  });

  it('renders a Python looplet trace the same way', async () => {
    const trace = await readTrace(fileURLToPath(new URL('../../fixtures/python-trace', import.meta.url)));
    const text = formatTranscript({ context: contextFromTrace({ trace }) });
    expect(text).toMatch(/^═══ SESSION LOG ═══\nTask: Publish report\.json/);
    expect(text).toMatch(/\n {2}S1: publish_report\(\{.*"cost":80.*\}\)\n/);
    expect(text).toContain('\nEnd: done');
  });

  it('stays within maxChars on a long run: long values are cut, middle steps left out and named', async () => {
    const turns = Array.from({ length: 60 }, (_, index) => ({
      toolCalls: [{ name: 'lookup_price', args: { product: `tea ${index} ${'x'.repeat(1000)}` } }],
    }));
    const ctx = await pricesRun(
      [...turns, { toolCalls: [{ name: 'done', args: { summary: 'looked up' } }] }],
      [],
    );
    const text = formatTranscript({ context: ctx, maxChars: 3000, valueChars: 120 });
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text).toContain('  S1: lookup_price(');
    expect(text).toContain('  S61: done({"summary":"looked up"})');
    expect(text).toMatch(/\n {2}… steps \d+–\d+ left out: the transcript is limited to its maxChars …\n/);
    expect(text).toContain('End: done');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(150);
  });
});
