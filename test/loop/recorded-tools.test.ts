// Tools defined with replay: 'recorded' are answered from the recording when the backend replays
// one (it has recordedToolResult), and run otherwise. The backend here is a small replaying backend
// written against the LLMBackend interface, as ReplayLLM implements it.
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  canonicalJson,
  decide,
  defineTool,
  type LLMBackend,
  type LLMRequest,
  type LLMResponse,
  ScriptedLLM,
  type ScriptedTurn,
  ToolDefinitionError,
  type ToolError,
} from '../../src/index.js';

type Recorded = { name: string; args: Record<string, unknown>; data?: unknown; error?: ToolError };

/** Serves scripted answers and, like a replay, the recorded results of calls: the k-th call with the same name and arguments gets the k-th such result. */
class ReplayingBackend implements LLMBackend {
  readonly model = 'replaying';
  readonly asked: Array<{ step: number; name: string; args: Record<string, unknown> }> = [];
  readonly #script: ScriptedLLM;
  readonly #recorded: Recorded[];

  constructor(turns: ScriptedTurn[], recorded: Recorded[]) {
    this.#script = new ScriptedLLM(turns);
    this.#recorded = [...recorded];
  }

  generate(request: LLMRequest): Promise<LLMResponse> {
    return this.#script.generate(request);
  }

  recordedToolResult(call: { step: number; name: string; args: Record<string, unknown> }) {
    this.asked.push(call);
    const key = canonicalJson(call.args);
    const at = this.#recorded.findIndex((r) => r.name === call.name && canonicalJson(r.args) === key);
    if (at < 0) return undefined;
    const [found] = this.#recorded.splice(at, 1);
    return found!.error ? { error: found!.error } : { data: found!.data };
  }
}

function sendEmail(sent: unknown[]) {
  return defineTool({
    name: 'send_email',
    description: 'sends an e-mail',
    parameters: {
      type: 'object',
      properties: { to: { type: 'string' }, priority: { type: 'string', default: 'normal' } },
      required: ['to'],
    },
    replay: 'recorded',
    run: ({ to }) => {
      sent.push(to);
      return { id: `live-${String(to)}` };
    },
  });
}

const turns: ScriptedTurn[] = [
  { toolCalls: [{ name: 'send_email', args: { to: 'ann@example.com' } }] },
  { toolCalls: [{ name: 'send_email', args: { to: 'bob@example.com' } }] },
  { toolCalls: [{ name: 'send_email', args: { to: 'ann@example.com' } }] },
  { toolCalls: [{ name: 'done', args: { summary: 'sent' } }] },
];

describe("defineTool({ replay: 'recorded' })", () => {
  it('in a replay: each call gets its recorded result (data or error), matched by name and validated arguments; the tool never runs', async () => {
    const sent: unknown[] = [];
    const llm = new ReplayingBackend(turns, [
      { name: 'send_email', args: { to: 'ann@example.com', priority: 'normal' }, data: { id: 'rec-1' } },
      {
        name: 'send_email',
        args: { to: 'bob@example.com', priority: 'normal' },
        error: { kind: 'tool_threw', message: 'mailbox full' },
      },
      { name: 'send_email', args: { to: 'ann@example.com', priority: 'normal' }, data: { id: 'rec-3' } },
    ]);
    const result = await agentLoop({ llm, tools: [sendEmail(sent)], task: 't' }).result;
    expect(sent).toEqual([]);
    expect(result.steps.slice(0, 3).map((s) => s.results[0]!.data ?? s.results[0]!.error)).toEqual([
      { id: 'rec-1' },
      { kind: 'tool_threw', message: 'mailbox full' },
      { id: 'rec-3' },
    ]);
    expect(llm.asked.map((c) => c.step)).toEqual([1, 2, 3]);
    expect(result.endReason).toBe('done');
  });

  it('a call the recording holds no result for fails with no_recording, naming tool and arguments', async () => {
    const sent: unknown[] = [];
    const llm = new ReplayingBackend([turns[1]!, turns[3]!], []);
    const result = await agentLoop({ llm, tools: [sendEmail(sent)], task: 't' }).result;
    expect(sent).toEqual([]);
    expect(result.steps[0]!.results[0]!.error).toEqual({
      kind: 'no_recording',
      message:
        'send_email is answered from the recording in a replay, and the recording holds no result for this call ({"priority":"normal","to":"bob@example.com"})',
    });
  });

  it('hooks still decide first: a denied call is not looked up', async () => {
    const llm = new ReplayingBackend([turns[0]!, turns[3]!], []);
    const result = await agentLoop({
      llm,
      tools: [sendEmail([])],
      task: 't',
      hooks: [
        {
          checkPermission: ({ call }) =>
            call.name === 'send_email' ? decide.deny('no mail today') : undefined,
        },
      ],
    }).result;
    expect(llm.asked).toEqual([]);
    expect(result.steps[0]!.results[0]!.error?.kind).toBe('denied');
  });

  it('with a backend that replays nothing, the tool runs; tools without replay: recorded always run', async () => {
    const sent: unknown[] = [];
    const live = await agentLoop({
      llm: new ScriptedLLM([turns[0]!, turns[3]!]),
      tools: [sendEmail(sent)],
      task: 't',
    }).result;
    expect(sent).toEqual(['ann@example.com']);
    expect(live.steps[0]!.results[0]!.data).toEqual({ id: 'live-ann@example.com' });

    const ran: unknown[] = [];
    const plain = defineTool({
      name: 'send_email',
      description: 'sends',
      parameters: { type: 'object', properties: { to: { type: 'string' } } },
      run: ({ to }) => void ran.push(to),
    });
    const llm = new ReplayingBackend([turns[0]!, turns[3]!], []);
    await agentLoop({ llm, tools: [plain], task: 't' }).result;
    expect(ran).toEqual(['ann@example.com']);
    expect(llm.asked).toEqual([]);
  });

  it('only run or recorded is accepted', () => {
    expect(() =>
      defineTool({
        name: 'x',
        description: 'd',
        parameters: { type: 'object' },
        replay: 'skip' as 'recorded',
        run: () => 1,
      }),
    ).toThrow(ToolDefinitionError);
  });
});
