import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  agentLoop,
  consoleTracer,
  decide,
  defineTool,
  fixedClock,
  ScriptedLLM,
  sequentialIds,
  stepBudget,
} from '../../src/index.js';
import { usage } from './tools.js';

const greet = defineTool({
  name: 'greet',
  description: 'Greet someone',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: `Hello, ${String(name)}!` }),
});

function script() {
  return new ScriptedLLM([
    {
      text: 'I will greet Alice first.',
      toolCalls: [{ name: 'greet', args: { name: 'Alice' } }],
      usage: usage(20, 5),
    },
    { toolCalls: [{ name: 'done', args: { summary: 'greeted Alice' } }], usage: usage(40, 7) },
  ]);
}

/** The escape character that starts every ANSI colour code. */
const ANSI = String.fromCharCode(27);

describe('consoleTracer', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints each step’s pretty line as it finishes, then one line with the outcome', async () => {
    const lines: string[] = [];
    const run = agentLoop({
      llm: script(),
      tools: [greet],
      task: 'Greet Alice',
      clock: fixedClock({ at: 1000, stepMs: 300 }),
      ids: sequentialIds(),
      hooks: [consoleTracer({ write: (line) => lines.push(line) })],
    });
    const seenAtYield: number[] = [];
    for await (const _ of run) seenAtYield.push(lines.length);
    const result = await run.result;

    // onStep runs before the consumer sees the step.
    expect(seenAtYield).toEqual([1, 2]);
    expect(lines.slice(0, 2)).toEqual(result.steps.map((step) => step.pretty()));
    expect(lines[0]).toMatch(/^#1 ✓ greet\(name='Alice'\)/);
    const first = result.steps[0]!;
    const last = result.steps[1]!;
    const spanned = last.startedAt + last.durationMs - first.startedAt;
    expect(spanned).toBeGreaterThanOrEqual(1000);
    expect(lines[2]).toBe(
      `■ done · 2 steps · 72 tokens (60 prompt + 12 completion) · ${(spanned / 1000).toFixed(1)}s`,
    );
    expect(lines).toHaveLength(3);
    expect(lines.join('\n')).not.toContain(ANSI);
  });

  it('names the stop reason and says when no usage was reported', async () => {
    const lines: string[] = [];
    await agentLoop({
      llm: new ScriptedLLM([
        { toolCalls: [{ name: 'greet', args: { name: 'A' } }] },
        { toolCalls: [{ name: 'greet', args: { name: 'B' } }] },
      ]),
      tools: [greet],
      task: 't',
      clock: fixedClock(),
      hooks: [stepBudget({ maxSteps: 1 }), consoleTracer({ write: (line) => lines.push(line) })],
    }).result;
    expect(lines.at(-1)).toBe(
      '■ hook_stop (step budget exhausted: 1 of 1 steps used) · 1 step · tokens not reported · 0ms',
    );
  });

  it('prints the final line also when the run ends with an LLM error', async () => {
    const lines: string[] = [];
    await agentLoop({
      llm: new ScriptedLLM([{ error: new Error('HTTP 503 from provider') }]),
      tools: [greet],
      task: 't',
      hooks: [consoleTracer({ write: (line) => lines.push(line) })],
    }).result;
    expect(lines).toEqual([expect.stringMatching(/^■ llm_error \(HTTP 503 from provider\) · 0 steps · /)]);
  });

  it('in verbose mode also shows the model’s text, each tool result as the model reads it, and added context', async () => {
    const lines: string[] = [];
    await agentLoop({
      llm: script(),
      tools: [greet],
      task: 'Greet Alice',
      hooks: [
        { postDispatch: () => decide.inject('remember: be polite') },
        consoleTracer({ write: (line) => lines.push(line), verbose: true }),
      ],
    }).result;
    expect(lines).toContain('   💬 I will greet Alice first.');
    expect(lines).toContain('   ← greet: {"greeting":"Hello, Alice!"}');
    expect(lines).toContain('   + remember: be polite');
    const quiet: string[] = [];
    await agentLoop({
      llm: script(),
      tools: [greet],
      task: 'Greet Alice',
      hooks: [consoleTracer({ write: (line) => quiet.push(line) })],
    }).result;
    expect(quiet.some((line) => line.includes('Hello, Alice!'))).toBe(false);
  });

  it('cuts long verbose items at maxChars and keeps multi-line text one line per write', async () => {
    const lines: string[] = [];
    const long = defineTool({
      name: 'long',
      description: 'returns a long text',
      parameters: { type: 'object' },
      run: () => 'x'.repeat(50),
    });
    await agentLoop({
      llm: new ScriptedLLM([
        { text: 'line one\nline two', toolCalls: [{ name: 'long', args: {} }] },
        { toolCalls: [{ name: 'done', args: { summary: 's' } }] },
      ]),
      tools: [long],
      task: 't',
      hooks: [consoleTracer({ write: (line) => lines.push(line), verbose: true, maxChars: 20 })],
    }).result;
    expect(lines).toContain('   💬 line one');
    expect(lines).toContain('      line two');
    expect(lines).toContain(`   ← long: ${'x'.repeat(20)}… (30 more chars)`);
  });

  it('colours lines when asked: failed steps and the end line', async () => {
    const lines: string[] = [];
    await agentLoop({
      llm: new ScriptedLLM([
        { toolCalls: [{ name: 'greet', args: {} }] },
        { toolCalls: [{ name: 'done', args: { summary: 's' } }] },
      ]),
      tools: [greet],
      task: 't',
      hooks: [consoleTracer({ write: (line) => lines.push(line), color: true })],
    }).result;
    expect(lines[0]).toContain(ANSI);
    expect(lines[0]).toContain('invalid_args');
    expect(lines.at(-1)).toContain(ANSI);
  });

  it('writes to standard error by default', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    await agentLoop({ llm: script(), tools: [greet], task: 't', hooks: [consoleTracer()] }).result;
    vi.restoreAllMocks();
    const text = written.join('');
    expect(text).toContain("greet(name='Alice')");
    expect(text).toMatch(/done · 2 steps/);
    expect(text.endsWith('\n')).toBe(true);
  });
});
