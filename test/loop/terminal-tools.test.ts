// A custom terminal tool (Python looplet's `LoopConfig(done_tool="submit")`): a successful call
// ends the run as done, and the loop then offers no default done tool.
import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, type Hook, ScriptedLLM, ToolDefinitionError } from '../../src/index.js';
import { call, echoTool, RecordingLLM } from './support.js';

const submit = defineTool({
  name: 'submit',
  description: 'Hand in the answer.',
  parameters: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
  run: (args) => ({ received: args.answer }),
  terminal: true,
});

describe('terminal tools', () => {
  it('a successful call of a terminal tool ends the run as done with its arguments as final output', async () => {
    const llm = new ScriptedLLM([call('echo', { text: 'hi' }), call('submit', { answer: 's' })]);
    const result = await agentLoop({ llm, tools: [echoTool('echo'), submit], task: 't' }).result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ answer: 's' });
    expect(result.steps[1]?.results[0]?.data).toEqual({ received: 's' });
    llm.assertComplete();
  });

  it('a loop with a terminal tool offers no done tool, so a call of done is an unknown tool', async () => {
    const llm = new RecordingLLM([call('done', { summary: 'x' }), call('submit', { answer: 'y' })]);
    const result = await agentLoop({ llm, tools: [submit], task: 't' }).result;
    expect(llm.requests[0]?.tools).toEqual(['submit']);
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('unknown_tool');
    expect(result.finalOutput).toEqual({ answer: 'y' });
  });

  it('a terminal call with invalid arguments does not end the run', async () => {
    const llm = new ScriptedLLM([call('submit', { wrong: 1 }), call('submit', { answer: 'ok' })]);
    const result = await agentLoop({ llm, tools: [submit], task: 't' }).result;
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('invalid_args');
    expect(result.steps).toHaveLength(2);
    expect(result.finalOutput).toEqual({ answer: 'ok' });
  });

  it('checkDone hooks judge a terminal call as they judge done', async () => {
    let refused = 0;
    const hook: Hook = {
      checkDone: ({ output }) =>
        (output as { answer: string }).answer === 'early' && refused++ === 0
          ? { block: 'not yet' }
          : undefined,
    };
    const llm = new ScriptedLLM([call('submit', { answer: 'early' }), call('submit', { answer: 'late' })]);
    const result = await agentLoop({ llm, tools: [submit], task: 't', hooks: [hook] }).result;
    expect(result.steps[0]?.doneRejected).toBe('not yet');
    expect(result.steps[0]?.results[0]?.error).toEqual({ kind: 'done_rejected', message: 'not yet' });
    expect(result.finalOutput).toEqual({ answer: 'late' });
  });

  it('terminal must be a boolean', () => {
    expect(() =>
      defineTool({
        name: 'x',
        description: 'x',
        parameters: { type: 'object' },
        run: () => 1,
        terminal: 'yes' as unknown as boolean,
      }),
    ).toThrow(ToolDefinitionError);
  });
});
