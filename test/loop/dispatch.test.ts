import { describe, expect, it } from 'vitest';
import { agentLoop, defineTool, type LLMRequest, ScriptedLLM, type Tool } from '../../src/index.js';
import { call, deferred, done, echoTool, RecordingLLM, toolMessage } from './support.js';

function addTool(onRun: () => void = () => {}): Tool {
  return defineTool({
    name: 'add',
    description: 'adds two numbers',
    parameters: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
      additionalProperties: false,
    },
    run: ({ a, b }) => {
      onRun();
      return (a as number) + (b as number);
    },
  });
}
const add = addTool();

describe('calls the model got wrong become tool errors it sees', () => {
  it('invalid arguments: the tool does not run, the error names the field', async () => {
    let ran = 0;
    const counted = addTool(() => ran++);
    const llm = new RecordingLLM([call('add', { a: 1, b: 'two', c: 3 }), done()]);
    const result = await agentLoop({ llm, tools: [counted], task: 't' }).result;
    expect(ran).toBe(0);
    const error = result.steps[0]?.results[0]?.error;
    expect(error?.kind).toBe('invalid_args');
    expect(error?.message).toContain('b: must be number');
    expect(error?.message).toContain('unexpected property "c"');
    expect(toolMessage(llm.request(2), 'add')).toMatch(
      /^Error \(invalid_args\): .*Fix the call and try again\.$/,
    );
    expect(result.endReason).toBe('done');
  });

  it('a missing required argument is named', async () => {
    const result = await agentLoop({
      llm: new ScriptedLLM([call('add', { a: 1 }), done()]),
      tools: [add],
      task: 't',
    }).result;
    expect(result.steps[0]?.results[0]?.error?.message).toContain('missing required property "b"');
  });

  it('arguments the backend could not parse (argsError) become invalid_args, not a crash', async () => {
    const llm = new ScriptedLLM([
      () => ({ toolCalls: [{ id: 'c1', name: 'add', args: {}, argsError: 'Unexpected end of JSON input' }] }),
      done(),
    ]);
    const result = await agentLoop({ llm, tools: [add], task: 't' }).result;
    expect(result.steps[0]?.results[0]?.error).toEqual({
      kind: 'invalid_args',
      message: 'arguments for add could not be read: Unexpected end of JSON input',
    });
  });

  it('an unknown tool: unknown_tool listing the tools that exist', async () => {
    const llm = new RecordingLLM([call('search', { q: 'x' }), done()]);
    const result = await agentLoop({ llm, tools: [add], task: 't' }).result;
    expect(result.steps[0]?.results[0]?.error).toEqual({
      kind: 'unknown_tool',
      message: "Unknown tool: 'search'. Available: add, done",
    });
    expect(toolMessage(llm.request(2), 'search')).toContain("Unknown tool: 'search'");
    expect(result.endReason).toBe('done');
  });

  it("a misspelt tool: the error suggests the closest name, in Python looplet's words", async () => {
    const llm = new RecordingLLM([call('ad', { a: 1, b: 2 }), done()]);
    const result = await agentLoop({ llm, tools: [add], task: 't' }).result;
    expect(result.steps[0]?.results[0]?.error?.message).toBe(
      "Unknown tool: 'ad'. Did you mean 'add'? Available: add, done",
    );
  });
});

describe('several tool calls in one response', () => {
  it('are dispatched one after the other, in call order, with results in call order', async () => {
    const events: string[] = [];
    const gates = [deferred(), deferred()];
    const slow = (name: string, gate: Promise<void>): Tool =>
      defineTool({
        name,
        description: name,
        parameters: { type: 'object' },
        run: async () => {
          events.push(`start ${name}`);
          await gate;
          events.push(`end ${name}`);
          return name;
        },
      });
    const llm = new ScriptedLLM([
      {
        toolCalls: [
          { name: 'first', args: {} },
          { name: 'second', args: {} },
        ],
      },
      done(),
    ]);
    const run = agentLoop({
      llm,
      tools: [slow('first', gates[0]!.promise), slow('second', gates[1]!.promise)],
      task: 't',
    });
    const finished = run.result;
    // Open the second gate first: a sequential dispatch still finishes `first` before starting `second`.
    gates[1]!.resolve();
    await Promise.resolve();
    gates[0]!.resolve();
    const result = await finished;
    expect(events).toEqual(['start first', 'end first', 'start second', 'end second']);
    expect(result.steps[0]?.results.map((r) => r.data)).toEqual(['first', 'second']);
  });

  it('concurrent tools run together (both start before either ends); results stay in call order', async () => {
    const started: string[] = [];
    const bothStarted = deferred();
    const releaseFirst = deferred();
    const tool = (name: string, wait: () => Promise<unknown>): Tool =>
      defineTool({
        name,
        description: name,
        parameters: { type: 'object' },
        concurrent: true,
        run: async () => {
          started.push(name);
          if (started.length === 2) bothStarted.resolve();
          await wait();
          return `${name} result`;
        },
      });
    // `a` cannot finish until `b` has started and finished: only a concurrent dispatch completes.
    const a = tool('a', async () => {
      await bothStarted.promise;
      await releaseFirst.promise;
    });
    const b = tool('b', async () => {
      await bothStarted.promise;
      releaseFirst.resolve();
    });
    const llm = new ScriptedLLM([
      {
        toolCalls: [
          { name: 'a', args: {} },
          { name: 'b', args: {} },
        ],
      },
      done(),
    ]);
    const result = await agentLoop({ llm, tools: [a, b], task: 't' }).result;
    expect(started).toEqual(['a', 'b']);
    expect(result.steps[0]?.results.map((r) => r.data)).toEqual(['a result', 'b result']);
    expect(result.steps[0]?.toolCalls.map((c) => c.name)).toEqual(['a', 'b']);
  }, 5_000);

  it('a non-concurrent call between concurrent ones splits the batch', async () => {
    const events: string[] = [];
    const gate = deferred();
    const conc = (name: string): Tool =>
      defineTool({
        name,
        description: name,
        parameters: { type: 'object' },
        concurrent: true,
        run: async () => {
          events.push(`start ${name}`);
          await gate.promise;
          events.push(`end ${name}`);
        },
      });
    const serial = defineTool({
      name: 'serial',
      description: 'serial',
      parameters: { type: 'object' },
      run: () => void events.push('serial'),
    });
    const llm = new ScriptedLLM([
      { toolCalls: ['c1', 'serial', 'c2'].map((name) => ({ name, args: {} })) },
      done(),
    ]);
    const finished = agentLoop({ llm, tools: [conc('c1'), conc('c2'), serial], task: 't' }).result;
    gate.resolve();
    await finished;
    expect(events).toEqual(['start c1', 'end c1', 'serial', 'start c2', 'end c2']);
  });

  it('the model sees one tool message per call, in call order, each with its call id', async () => {
    const llm = new RecordingLLM([
      {
        toolCalls: [
          { id: 'x1', name: 'echo', args: { text: 'one' } },
          { id: 'x2', name: 'add', args: { a: 1, b: 2 } },
          { id: 'x3', name: 'echo', args: { text: 'three' } },
        ],
      },
      done(),
    ]);
    await agentLoop({ llm, tools: [echoTool('echo'), add], task: 't' }).result;
    const tools = llm.request(2).filter((m) => m.role === 'tool');
    expect(tools).toEqual([
      { role: 'tool', toolCallId: 'x1', name: 'echo', content: '{"echoed":"one"}' },
      { role: 'tool', toolCallId: 'x2', name: 'add', content: '3' },
      { role: 'tool', toolCallId: 'x3', name: 'echo', content: '{"echoed":"three"}' },
    ]);
  });
});

describe('abort mid-tool', () => {
  it('a tool that ignores the signal: the run still ends aborted, later calls never run', async () => {
    const controller = new AbortController();
    const started = deferred();
    let laterRan = false;
    const stubborn = defineTool({
      name: 'stubborn',
      description: 'never settles and ignores the signal',
      parameters: { type: 'object' },
      run: () => {
        started.resolve();
        return new Promise(() => {});
      },
    });
    const later = defineTool({
      name: 'later',
      description: 'must not run after the abort',
      parameters: { type: 'object' },
      run: () => {
        laterRan = true;
      },
    });
    let modelCalls = 0;
    const llm = new ScriptedLLM([
      (_request: LLMRequest) => {
        modelCalls++;
        return {
          toolCalls: [
            { id: 'a', name: 'stubborn', args: {} },
            { id: 'b', name: 'later', args: {} },
          ],
        };
      },
      done(),
    ]);
    const run = agentLoop({ llm, tools: [stubborn, later], task: 't', signal: controller.signal });
    const finished = run.result;
    await started.promise;
    controller.abort(new Error('deadline'));
    const result = await finished;
    expect(result.endReason).toBe('aborted');
    expect(result.stopReason).toBe('deadline');
    expect(laterRan).toBe(false);
    expect(modelCalls).toBe(1);
    expect(result.steps[0]?.results.map((r) => r.error?.kind)).toEqual(['aborted', 'aborted']);
  });

  it('abort while a permission hook waits for an approval: the tool never starts', async () => {
    const controller = new AbortController();
    const asking = deferred();
    const approval = deferred<undefined>();
    let ran = false;
    const deploy = defineTool({
      name: 'deploy',
      description: 'deploys',
      parameters: { type: 'object' },
      run: () => {
        ran = true;
      },
    });
    const run = agentLoop({
      llm: new ScriptedLLM([call('deploy'), done()]),
      tools: [deploy],
      task: 't',
      signal: controller.signal,
      hooks: [
        {
          checkPermission: () => {
            asking.resolve();
            return approval.promise;
          },
        },
      ],
    });
    const finished = run.result;
    await asking.promise;
    controller.abort(new Error('cancelled while waiting'));
    approval.resolve(undefined);
    const result = await finished;
    expect(ran).toBe(false);
    expect(result.endReason).toBe('aborted');
    expect(result.steps[0]?.results[0]?.error?.kind).toBe('aborted');
  });

  it('abort in a hook before the model call: the model is not called', async () => {
    const controller = new AbortController();
    const llm = new ScriptedLLM([done()]);
    const result = await agentLoop({
      llm,
      task: 't',
      signal: controller.signal,
      hooks: [{ prePrompt: () => controller.abort(new Error('changed my mind')) }],
    }).result;
    expect(llm.calls).toBe(0);
    expect(result.endReason).toBe('aborted');
    expect(result.stopReason).toBe('changed my mind');
  });

  it('abort while the model is thinking: the run ends aborted without waiting for the model', async () => {
    const controller = new AbortController();
    const asked = deferred();
    const llm = new ScriptedLLM([
      () => {
        asked.resolve();
        return new Promise(() => {});
      },
    ]);
    const run = agentLoop({ llm, task: 't', signal: controller.signal });
    const finished = run.result;
    await asked.promise;
    controller.abort();
    const result = await finished;
    expect(result.endReason).toBe('aborted');
    expect(result.steps).toEqual([]);
  });
});
