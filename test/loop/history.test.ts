import { describe, expect, it } from 'vitest';
import { agentLoop, decide, defineTool, type LLMRequest, ScriptedLLM } from '../../src/index.js';

describe('the conversation the model sees', () => {
  it('keeps each tool call as the model sent it, while the step records the arguments the tool ran with', async () => {
    const search = defineTool({
      name: 'search',
      description: 'Search',
      parameters: {
        type: 'object',
        properties: { q: { type: 'string' }, limit: { type: 'integer', default: 10 } },
        required: ['q'],
      },
      run: ({ q }) => ({ hits: [String(q)] }),
    });
    const requests: LLMRequest['messages'][] = [];
    const llm = new ScriptedLLM([
      { toolCalls: [{ id: 'c1', name: 'search', args: { q: 'cats' } }] },
      (request) => {
        requests.push(structuredClone(request.messages));
        return { toolCalls: [{ id: 'c2', name: 'done', args: { summary: 'found' } }] };
      },
    ]);
    const lowercase = {
      preDispatch: ({ call }: { call: { name: string; args: Record<string, unknown> } }) =>
        call.name === 'search' ? decide.updateArgs({ q: 'CATS' }) : undefined,
    };
    const result = await agentLoop({ llm, tools: [search], task: 'find cats', hooks: [lowercase] }).result;

    const assistant = requests[0]?.find((message) => message.role === 'assistant');
    expect(assistant).toMatchObject({ toolCalls: [{ id: 'c1', name: 'search', args: { q: 'cats' } }] });
    expect(result.steps[0]?.toolCalls[0]?.args).toEqual({ q: 'CATS', limit: 10 });
    expect(result.steps[0]?.results[0]?.data).toEqual({ hits: ['CATS'] });
  });
});
