/**
 * Writing your own backend: Claude over the Anthropic Messages API with plain `fetch`, as one
 * class written against looplet's `LLMBackend` interface (docs/llm-backends.md walks through it).
 * looplet's own `AnthropicBackend` is this plus retries, time limits and typed errors for every
 * failure.
 *
 *   ANTHROPIC_API_KEY=sk-ant-… ANTHROPIC_MODEL=claude-sonnet-4-5 npx tsx examples/own-backend.ts
 */
import { type LLMBackend, LLMError, type LLMRequest, type LLMResponse, type Message } from 'looplet';

/** The parts of a Messages API response this backend reads. */
interface ClaudeMessage {
  content: Array<
    | { type: 'text'; text: string }
    | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  >;
  stop_reason: string;
  usage: { input_tokens: number; output_tokens: number };
}

export class ClaudeBackend implements LLMBackend {
  readonly model: string;
  readonly #apiKey: string;
  readonly #baseURL: string;

  constructor({
    model,
    apiKey,
    baseURL = 'https://api.anthropic.com',
  }: { model: string; apiKey: string; baseURL?: string }) {
    this.model = model;
    this.#apiKey = apiKey;
    this.#baseURL = baseURL;
  }

  async generate({ messages, tools, signal }: LLMRequest): Promise<LLMResponse> {
    const system = messages.flatMap((message) => (message.role === 'system' ? [message.content] : []));
    const response = await fetch(`${this.#baseURL}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': this.#apiKey,
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: this.model,
        max_tokens: 4096,
        ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
        messages: toClaudeTurns(messages),
        tools: tools.map(({ name, description, parameters }) => ({
          name,
          description,
          input_schema: parameters,
        })),
      }),
      signal, // the loop aborts the call with it
    });
    if (!response.ok)
      throw new LLMError({
        message: `Anthropic answered HTTP ${response.status}`,
        code: 'LLM_HTTP_ERROR',
        status: response.status,
      });
    const body = (await response.json()) as ClaudeMessage;
    const text = body.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
    const { input_tokens: promptTokens, output_tokens: completionTokens } = body.usage;
    return {
      text: text === '' ? undefined : text,
      // In the order the model made them; the loop pairs each result with its id.
      toolCalls: body.content.flatMap((block) =>
        block.type === 'tool_use' ? [{ id: block.id, name: block.name, args: block.input }] : [],
      ),
      usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
      finishReason: body.stop_reason,
      raw: body, // kept in traces
    };
  }
}

/** Looplet messages as Claude turns: tool results go back as `tool_result` blocks of a user turn. */
function toClaudeTurns(
  messages: readonly Message[],
): Array<{ role: 'user' | 'assistant'; content: unknown[] }> {
  const turns: Array<{ role: 'user' | 'assistant'; content: unknown[] }> = [];
  const add = (role: 'user' | 'assistant', block: unknown) => {
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(block);
    else turns.push({ role, content: [block] });
  };
  for (const message of messages) {
    if (message.role === 'user') add('user', { type: 'text', text: message.content });
    if (message.role === 'tool')
      add('user', { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content });
    if (message.role === 'assistant') {
      if (message.content) add('assistant', { type: 'text', text: message.content });
      for (const call of message.toolCalls ?? [])
        add('assistant', { type: 'tool_use', id: call.id, name: call.name, input: call.args });
    }
  }
  return turns;
}

// ── end of the backend ──

import { agentLoop } from 'looplet';
import { greet } from './hello-world.js';

/** Greets Alice with the hello-world tool, on Claude; returns how the run ended. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { ANTHROPIC_API_KEY: apiKey, ANTHROPIC_MODEL: model, ANTHROPIC_BASE_URL: baseURL } = env;
  if (!apiKey || !model) throw new Error('set ANTHROPIC_API_KEY and ANTHROPIC_MODEL');
  const llm = new ClaudeBackend({ model, apiKey, ...(baseURL ? { baseURL } : {}) });
  const run = agentLoop({ llm, tools: [greet], task: 'Greet Alice, then call done.' });
  for await (const step of run) console.log(step.pretty());
  const { endReason } = await run.result;
  console.log(endReason);
  return endReason;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
