import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, ReplayLLM, readTrace, type Tool } from '../../src/index.js';

// Python looplet 0.3 traces written by Python looplet itself (fixtures/python-traces/make.py):
// a model answering prose (a recovery call, a parse-error step), a custom terminal tool
// (`done_tool="submit"`), and a model that was down. Each replays or reads as Python ran it.

const traces = path.resolve('fixtures/python-traces');

function finishTool(name: string, terminal: boolean): Tool {
  return defineTool({
    name,
    description: 'finish',
    parameters: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
    run: (args) => ({ answer: args.answer }),
    ...(terminal ? { terminal } : {}),
  });
}
const add = defineTool({
  name: 'add',
  description: 'Add two ints',
  parameters: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } } },
  run: ({ a, b }) => ({ sum: Number(a) + Number(b) }),
});

describe('Python loop behaviours replay call for call', () => {
  it('prose answers: recovery calls and a parse-error step the model sees, then done', async () => {
    const llm = ReplayLLM.fromTrace(path.join(traces, 'parse-error'));
    const run = agentLoop({ llm, tools: [add, finishTool('done', false)], task: { goal: 'parse-error' } });
    const result = await run.result;
    expect(result.steps.map((step) => step.toolCalls.map((call) => call.name))).toEqual([
      ['__parse_error__'],
      ['done'],
    ]);
    expect(result.steps[0]!.results[0]!.error).toEqual({
      kind: 'invalid_args',
      message: 'Could not parse JSON: The answer is 3.',
    });
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ answer: 'ok' });
    // All four recorded calls (two answers, two recovery calls) served, the steps compared.
    expect(llm.replayed).toBe(4);
    expect(llm.finish(run.state)).toBeUndefined();
    expect(llm.warnings).toEqual([]);
  });

  it('a custom terminal tool (done_tool="submit") ends the replay as done with its arguments', async () => {
    const llm = ReplayLLM.fromTrace(path.join(traces, 'custom-terminal'));
    const run = agentLoop({
      llm,
      tools: [add, finishTool('submit', true)],
      task: { goal: 'custom-terminal' },
    });
    const result = await run.result;
    expect(result.endReason).toBe('done');
    expect(result.finalOutput).toEqual({ answer: 'S' });
    expect(llm.finish(run.state)).toBeUndefined();
  });

  it('reads the parse-error step as the loop writes it, and a failed model as llm_error', async () => {
    const parse = await readTrace(path.join(traces, 'parse-error'));
    expect((await parse.readStep(1)).results[0]!.error?.kind).toBe('invalid_args');
    const down = await readTrace(path.join(traces, 'llm-error'));
    expect(down.meta.endReason).toBe('llm_error');
    expect(down.meta.stopReason).toBe('LLM call failed after all retry attempts');
  });
});
