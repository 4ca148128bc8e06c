// The examples of docs/hooks.md outside the recipes, verbatim (docs.test.ts checks that), each run here.
import { createInterface } from 'node:readline/promises';
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Approver,
  agentLoop,
  type CompactionStrategyFn,
  compaction,
  consoleTracer,
  decide,
  defineTool,
  fixedClock,
  type Hook,
  permissionHook,
  pruneToolResults,
  ScriptedLLM,
  splitConversation,
  stepBudget,
  summarize,
  tokenBudget,
  truncate,
} from '../../src/index.js';
import { recordingTool, recordRequests, textOf } from './tools.js';

// Example: an approver that asks in the terminal
/** Asks on the terminal before each call it is given; anything but "y" refuses. */
function terminalApprover({
  input = process.stdin,
  output = process.stderr,
}: {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
} = {}): Approver {
  return async ({ call }) => {
    const terminal = createInterface({ input, output });
    try {
      const answer = await terminal.question(`Run ${call.name} ${JSON.stringify(call.args)}? [y/N] `);
      return /^y(es)?$/i.test(answer.trim()) || { approved: false, reason: `the user refused ${call.name}` };
    } finally {
      terminal.close();
    }
  };
}

// Example: a custom compaction strategy
/** Drops the hook-added notes (user messages) of all but the last two turns; free, no model call. */
const dropOldNotes: CompactionStrategyFn = ({ messages }) => {
  const { head, turns } = splitConversation(messages);
  const old = turns.slice(0, -2).map((turn) => turn.filter((message) => message.role !== 'user'));
  return [...head, ...old.flat(), ...turns.slice(-2).flat()];
};

describe('docs/hooks.md examples', () => {
  afterEach(() => vi.restoreAllMocks());

  it('the first example: a denied call, a permitted one, done, traced to stderr', async () => {
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const logged: unknown[][] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });

    const readFile = defineTool({
      name: 'read_file',
      description: 'Read a file',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      run: ({ path }) => `contents of ${String(path)}`,
    });
    const deleteFile = defineTool({
      name: 'delete_file',
      description: 'Delete a file',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      run: ({ path }) => `deleted ${String(path)}`,
    });
    const llm = new ScriptedLLM([
      { toolCalls: [{ name: 'delete_file', args: { path: 'notes.txt' } }] },
      { toolCalls: [{ name: 'read_file', args: { path: 'notes.txt' } }] },
      { toolCalls: [{ name: 'done', args: { summary: 'read notes.txt' } }] },
    ]);
    const result = await agentLoop({
      llm,
      tools: [readFile, deleteFile],
      task: 'Summarise notes.txt',
      hooks: [permissionHook({ allow: ['read_*'] }), stepBudget({ maxSteps: 10 }), consoleTracer()],
      clock: fixedClock(), // a clock that stands still, so the timings below are exact
    }).result;
    console.log(result.endReason, result.finalOutput); // done { summary: 'read notes.txt' }

    expect(logged).toEqual([['done', { summary: 'read notes.txt' }]]);
    // Colour follows picocolors' rules (on under CI=true even without a terminal): compare the text.
    expect(stripVTControlCharacters(stderr.join(''))).toBe(
      [
        `#1 ✗ delete_file(path='notes.txt') → denied: tool "delete_file" is not allowed: no permission rule allow… [0ms]`,
        `#2 ✓ read_file(path='notes.txt') → contents of notes.txt [0ms]`,
        `#3 ✓ done(summary='read notes.txt') → {status, summary} [0ms]`,
        `■ done · 3 steps · tokens not reported · 0ms`,
        '',
      ].join('\n'),
    );
  });

  it('a hook written by hand', async () => {
    const audit: Hook = {
      name: 'audit',
      preDispatch: ({ call }) =>
        call.name === 'shell' ? decide.deny('no shell in this environment') : undefined,
      postDispatch: ({ result }) =>
        result.error ? decide.inject(`${result.name} failed: check its arguments`) : undefined,
      shouldStop: ({ state }) =>
        state.usage.totalTokens > 100_000 ? decide.stop('over 100k tokens') : undefined,
      onLoopEnd: ({ result }) => {
        console.error(`run ended: ${result.endReason}`);
      },
    };
    const ended: unknown[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      ended.push(args.join(' '));
    });
    const shell = recordingTool('shell');
    const { llm, requests } = recordRequests(
      new ScriptedLLM([
        { toolCalls: [{ name: 'shell', args: { value: 'ls' } }] },
        { toolCalls: [{ name: 'done', args: {} }] },
        { toolCalls: [{ name: 'done', args: { summary: 'gave up' } }] },
      ]),
    );
    const result = await agentLoop({ llm, tools: [shell.tool], task: 't', hooks: [audit] }).result;
    expect(shell.ran).toEqual([]);
    expect(result.steps[0]?.results[0]?.error?.message).toBe('no shell in this environment');
    // The invalid done call (no summary) failed: the next request carries the hint.
    expect(textOf(requests[2])).toContain('done failed: check its arguments');
    expect(ended).toEqual(['run ended: done']);
  });

  it('the terminal approver: "y" runs the call, anything else refuses it; unlisted tools are denied unasked', async () => {
    const deploy = recordingTool('deploy');
    const write = recordingTool('write_file');
    const answers = ['y', 'no thanks'];
    for (const typed of answers) {
      const input = new PassThrough();
      const output = new PassThrough();
      const prompts: string[] = [];
      output.on('data', (chunk: Buffer) => {
        prompts.push(chunk.toString());
        input.write(`${typed}\n`);
      });
      const hooks = [
        permissionHook({
          allow: ['read_*'],
          ask: ['deploy'],
          approve: terminalApprover({ input, output }),
          defaultDecision: 'deny',
        }),
      ];
      const result = await agentLoop({
        llm: new ScriptedLLM([
          { toolCalls: [{ name: 'deploy', args: { value: 'prod' } }] },
          { toolCalls: [{ name: 'write_file', args: { value: 'x' } }] },
          { toolCalls: [{ name: 'done', args: { summary: 's' } }] },
        ]),
        tools: [deploy.tool, write.tool],
        task: 't',
        hooks,
      }).result;
      expect(prompts.join('')).toBe('Run deploy {"value":"prod"}? [y/N] ');
      if (typed === 'y') expect(result.steps[0]?.results[0]?.error).toBeUndefined();
      else expect(result.steps[0]?.results[0]?.error?.message).toBe('the user refused deploy');
      expect(result.steps[1]?.results[0]?.error?.kind).toBe('denied');
      expect(result.endReason).toBe('done');
    }
    expect(deploy.ran).toEqual([{ value: 'prod' }]);
    expect(write.ran).toEqual([]);
  });

  it('budgets side by side: the first reached stops the run', async () => {
    const search = recordingTool('search');
    const turn = {
      toolCalls: [{ name: 'search', args: {} }],
      usage: { promptTokens: 9000, completionTokens: 1000, totalTokens: 10_000 },
    };
    const hooks = [stepBudget({ maxSteps: 8 }), tokenBudget({ maxTotalTokens: 50_000, warnAt: 0.5 })];
    const result = await agentLoop({
      llm: new ScriptedLLM(Array.from({ length: 10 }, () => turn)),
      tools: [search.tool],
      task: 't',
      hooks,
    }).result;
    expect(result.stopReason).toBe('token budget exhausted: 50000 total tokens used, limit 50000');
  });

  it('a verbose tracer into your own logger', async () => {
    const logger = {
      lines: [] as string[],
      info(line: string) {
        this.lines.push(line);
      },
    };
    const hooks = [consoleTracer({ verbose: true, write: (line) => logger.info(line) })];
    await agentLoop({
      llm: new ScriptedLLM([{ text: 'The answer is 42.' }]),
      task: 't',
      hooks,
    }).result;
    expect(logger.lines).toEqual([
      expect.stringMatching(/^#1 💬 The answer is 42\. \[\d+ms\]$/),
      '   💬 The answer is 42.',
      expect.stringMatching(/^■ done · 1 step · tokens not reported · \d+ms$/),
    ]);
  });

  it('a compaction chain, with a custom strategy first', async () => {
    const fetchPage = recordingTool('fetch_page', (args) => `${String(args.value)} ${'.'.repeat(4000)}`);
    const context = compaction({
      thresholdTokens: 1500,
      strategies: [
        dropOldNotes,
        pruneToolResults({ keepLast: 1 }),
        summarize({ keepLast: 1 }),
        truncate({ keepLast: 1 }),
      ],
    });
    const { llm, requests } = recordRequests(
      new ScriptedLLM([
        { toolCalls: [{ name: 'fetch_page', args: { value: 'a' } }] },
        { toolCalls: [{ name: 'fetch_page', args: { value: 'b' } }] },
        { toolCalls: [{ name: 'fetch_page', args: { value: 'c' } }] },
        { toolCalls: [{ name: 'done', args: { summary: 'read three pages' } }] },
      ]),
    );
    const result = await agentLoop({
      llm,
      tools: [fetchPage.tool],
      task: 't',
      hooks: [{ postDispatch: () => decide.inject('note: keep going') }, context],
    }).result;
    expect(result.endReason).toBe('done');
    // Before call 3 (two results of ~1000 tokens each) the chain ran: no old notes yet, so pruning
    // turn 1's result got it under the threshold. Before call 4 turn 1's note went, and turn 2's
    // result was pruned. summarize (which calls the model) was never needed.
    expect(requests.map((request) => request.step)).toEqual([1, 2, 3, 4]);
    const results = (index: number) =>
      requests[index]!.messages.flatMap((message) =>
        message.role === 'tool' ? [message.content.slice(0, 30)] : [],
      );
    expect(results(2)).toEqual(['[result of fetch_page pruned t', `b ${'.'.repeat(28)}`]);
    expect(results(3)).toEqual([
      '[result of fetch_page pruned t',
      '[result of fetch_page pruned t',
      `c ${'.'.repeat(28)}`,
    ]);
    const notes = requests[3]!.messages.filter((message) => message.content === 'note: keep going');
    expect(notes).toHaveLength(2);
  });
});
