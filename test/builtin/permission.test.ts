import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  HookConfigError,
  type PermissionRequest,
  permissionHook,
  ScriptedLLM,
} from '../../src/index.js';
import { recordingTool, recordRequests, textOf } from './tools.js';

const done = { toolCalls: [{ name: 'done', args: { summary: 'finished' } }] };

describe('permissionHook', () => {
  it('never runs a denied call and shows the model the denial in its next request', async () => {
    const shell = recordingTool('shell');
    const { llm, requests } = recordRequests(
      new ScriptedLLM([{ toolCalls: [{ name: 'shell', args: { value: 'rm -rf /' } }] }, done]),
    );
    const run = agentLoop({
      llm,
      tools: [shell.tool],
      task: 'clean up',
      hooks: [permissionHook({ deny: [{ tool: 'shell', reason: 'shell access is not allowed here' }] })],
    });
    const result = await run.result;

    expect(shell.ran).toEqual([]);
    expect(result.endReason).toBe('done');
    expect(result.steps[0]?.results[0]?.error).toEqual({
      kind: 'denied',
      message: 'shell access is not allowed here',
    });
    const second = requests[1];
    const toolMessage = second?.messages.find((message) => message.role === 'tool');
    expect(toolMessage?.content).toContain('shell access is not allowed here');
    expect(toolMessage?.content).toContain('Do not retry');
  });

  it('matches globs: an allow list lets matching tools run, denies the rest, and never blocks done', async () => {
    const readFile = recordingTool('read_file');
    const readDir = recordingTool('read_dir');
    const writeFile = recordingTool('write_file');
    const llm = new ScriptedLLM([
      {
        toolCalls: [
          { name: 'read_file', args: { value: 'a' } },
          { name: 'write_file', args: { value: 'b' } },
          { name: 'read_dir', args: { value: 'c' } },
        ],
      },
      done,
    ]);
    const result = await agentLoop({
      llm,
      tools: [readFile.tool, readDir.tool, writeFile.tool],
      task: 'read only',
      hooks: [permissionHook({ allow: ['read_*'] })],
    }).result;

    expect(readFile.ran).toEqual([{ value: 'a' }]);
    expect(readDir.ran).toEqual([{ value: 'c' }]);
    expect(writeFile.ran).toEqual([]);
    expect(result.steps[0]?.results[1]?.error?.kind).toBe('denied');
    expect(result.steps[0]?.results[1]?.error?.message).toContain('write_file');
    expect(result.endReason).toBe('done');
  });

  it('treats glob characters other than * literally', async () => {
    const dotted = recordingTool('fs-read');
    const result = await agentLoop({
      llm: new ScriptedLLM([{ toolCalls: [{ name: 'fs-read', args: {} }] }, done]),
      tools: [dotted.tool],
      task: 't',
      hooks: [permissionHook({ allow: ['fs.read'] })],
    }).result;
    expect(dotted.ran).toEqual([]);
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('denied');
  });

  it('applies a rule only when its predicate on the call holds, and deny wins over allow', async () => {
    const shell = recordingTool('shell');
    const result = await agentLoop({
      llm: new ScriptedLLM([
        {
          toolCalls: [
            { name: 'shell', args: { value: 'ls' } },
            { name: 'shell', args: { value: 'rm -rf build' } },
          ],
        },
        done,
      ]),
      tools: [shell.tool],
      task: 't',
      hooks: [
        permissionHook({
          allow: ['*'],
          deny: [
            {
              tool: ['shell', 'bash'],
              when: ({ call }) => String(call.args.value).startsWith('rm'),
              reason: 'destructive command',
            },
          ],
        }),
      ],
    }).result;
    expect(shell.ran).toEqual([{ value: 'ls' }]);
    expect(result.steps[0]?.results[1]?.error).toEqual({ kind: 'denied', message: 'destructive command' });
  });

  it('awaits async predicates, checking rules in order', async () => {
    const fetchUrl = recordingTool('fetch_url');
    const blocklist = new Set(['evil.example']);
    const isBlocked = async ({ call }: PermissionRequest) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return blocklist.has(new URL(String(call.args.value)).host);
    };
    const result = await agentLoop({
      llm: new ScriptedLLM([
        {
          toolCalls: [
            { name: 'fetch_url', args: { value: 'https://evil.example/x' } },
            { name: 'fetch_url', args: { value: 'https://docs.example/y' } },
          ],
        },
        done,
      ]),
      tools: [fetchUrl.tool],
      task: 't',
      hooks: [
        permissionHook({
          deny: [{ tool: 'fetch_*', when: isBlocked, reason: 'that host is blocked' }],
          defaultDecision: 'allow',
        }),
      ],
    }).result;
    expect(fetchUrl.ran).toEqual([{ value: 'https://docs.example/y' }]);
    expect(result.steps[0]?.results[0]?.error).toEqual({ kind: 'denied', message: 'that host is blocked' });
  });

  it('asks an async approver: an approval runs the tool, a refusal denies it with the approver’s reason', async () => {
    const write = recordingTool('write_file');
    const asked: PermissionRequest[] = [];
    const { llm, requests } = recordRequests(
      new ScriptedLLM([
        { toolCalls: [{ name: 'write_file', args: { value: 'notes.txt' } }] },
        { toolCalls: [{ name: 'write_file', args: { value: '/etc/passwd' } }] },
        done,
      ]),
    );
    const approve = async (request: PermissionRequest) => {
      asked.push(request);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return String(request.call.args.value).startsWith('/')
        ? { approved: false, reason: 'the reviewer refused: absolute paths are off limits' }
        : true;
    };
    const result = await agentLoop({
      llm,
      tools: [write.tool],
      task: 't',
      hooks: [permissionHook({ allow: ['read_*'], ask: ['write_*'], approve })],
    }).result;

    expect(asked.map((request) => [request.call.name, request.step])).toEqual([
      ['write_file', 1],
      ['write_file', 2],
    ]);
    expect(write.ran).toEqual([{ value: 'notes.txt' }]);
    expect(result.steps[1]?.results[0]?.error).toEqual({
      kind: 'denied',
      message: 'the reviewer refused: absolute paths are off limits',
    });
    expect(textOf(requests[2])).toContain('absolute paths are off limits');
  });

  it('asks about unmatched calls by default when an approver is given', async () => {
    const tool = recordingTool('deploy');
    let asked = 0;
    const result = await agentLoop({
      llm: new ScriptedLLM([{ toolCalls: [{ name: 'deploy', args: {} }] }, done]),
      tools: [tool.tool],
      task: 't',
      hooks: [
        permissionHook({
          approve: () => {
            asked++;
            return false;
          },
        }),
      ],
    }).result;
    // The done call is not asked about: only deploy was.
    expect(asked).toBe(1);
    expect(tool.ran).toEqual([]);
    expect(result.steps[0]?.results[0]?.error?.message).toBe('"deploy" was not approved');
    expect(result.endReason).toBe('done');
  });

  it('denies (never approves) when the approver throws, with the error as the reason', async () => {
    const tool = recordingTool('deploy');
    const { llm, requests } = recordRequests(
      new ScriptedLLM([{ toolCalls: [{ name: 'deploy', args: {} }] }, done]),
    );
    const result = await agentLoop({
      llm,
      tools: [tool.tool],
      task: 't',
      hooks: [
        permissionHook({
          ask: ['deploy'],
          approve: async () => {
            throw new Error('Slack API unreachable');
          },
        }),
      ],
    }).result;
    expect(tool.ran).toEqual([]);
    expect(result.endReason).toBe('done');
    const error = result.steps[0]?.results[0]?.error;
    expect(error?.kind).toBe('denied');
    expect(error?.message).toContain('Slack API unreachable');
    expect(textOf(requests[1])).toContain('Slack API unreachable');
  });

  it('denies when the approver answers something that is not a decision', async () => {
    const tool = recordingTool('deploy');
    const result = await agentLoop({
      llm: new ScriptedLLM([{ toolCalls: [{ name: 'deploy', args: {} }] }, done]),
      tools: [tool.tool],
      task: 't',
      // A JavaScript caller (or a cast) can hand back anything; it must not count as a yes.
      hooks: [permissionHook({ ask: ['deploy'], approve: (() => 'yes') as unknown as () => boolean })],
    }).result;
    expect(tool.ran).toEqual([]);
    expect(result.steps[0]?.results[0]?.error?.message).toContain('"yes"');
  });

  it('rejects configurations that could not work, naming the option', () => {
    expect(() => permissionHook({ ask: ['deploy'] })).toThrow(HookConfigError);
    expect(() => permissionHook({ ask: ['deploy'] })).toThrow(/ask.*approve/);
    expect(() => permissionHook({ defaultDecision: 'ask' })).toThrow(/defaultDecision/);
    expect(() => permissionHook({ allow: [''] })).toThrow(/allow\[0\]/);
    expect(() => permissionHook({ deny: [{ tool: [] }] })).toThrow(/deny\[0\]\.tool/);
  });
});
