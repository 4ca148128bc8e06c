import { describe, expect, it } from 'vitest';
import { agentLoop, composeHooks, decide, type Hook, ScriptedLLM } from '../../src/index.js';
import { recordingTool, recordRequests } from './tools.js';

// Bugs in src/loop found while building the built-in hooks, each shown by the run a user would make.
describe('loop fixes', () => {
  it('runs the tool with the arguments a checkPermission hook rewrote, as later permission hooks saw them', async () => {
    const write = recordingTool('write_file');
    const seenByLaterHook: unknown[] = [];
    // "Approve with edits": the reviewer allows the write, but only inside the sandbox.
    const sandbox: Hook = {
      checkPermission: ({ call }) =>
        call.name === 'write_file'
          ? decide.updateArgs({ value: `/sandbox/${String(call.args.value)}` })
          : undefined,
    };
    const audit: Hook = {
      checkPermission: ({ call }) => {
        if (call.name === 'write_file') seenByLaterHook.push(call.args);
      },
    };
    const result = await agentLoop({
      llm: new ScriptedLLM([
        { toolCalls: [{ name: 'write_file', args: { value: 'notes.txt' } }] },
        { toolCalls: [{ name: 'done', args: { summary: 's' } }] },
      ]),
      tools: [write.tool],
      task: 't',
      hooks: [sandbox, audit],
    }).result;
    expect(seenByLaterHook).toEqual([{ value: '/sandbox/notes.txt' }]);
    expect(write.ran).toEqual([{ value: '/sandbox/notes.txt' }]);
    expect(result.steps[0]?.toolCalls[0]?.args).toEqual({ value: '/sandbox/notes.txt' });
  });
});

describe('composeHooks behaves exactly like the list it composes', () => {
  it('gives the model the same messages for briefings from several hooks', async () => {
    const a: Hook = { buildBriefing: () => 'briefing A' };
    const b: Hook = { buildBriefing: ({ step }) => `briefing B at step ${step}` };
    const firstRequest = async (hooks: Hook[]) => {
      const { llm, requests } = recordRequests(new ScriptedLLM([{ text: 'answer' }]));
      await agentLoop({ llm, task: 't', hooks }).result;
      return requests[0]?.messages;
    };
    const listed = await firstRequest([a, b]);
    const composed = await firstRequest([composeHooks(a, b)]);
    expect(composed).toEqual(listed);
    expect(listed?.filter((message) => message.role === 'user').map((message) => message.content)).toEqual([
      't',
      'briefing A\nbriefing B at step 1',
    ]);
  });
});
