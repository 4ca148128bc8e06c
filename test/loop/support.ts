// Shared helpers for the loop behaviour tests: a model that remembers what it was asked, tools that
// log their calls, and deferred promises to control concurrency without timers.
import {
  defineTool,
  type LLMBackend,
  type LLMRequest,
  type LLMResponse,
  type Message,
  ScriptedLLM,
  type ScriptedTurn,
  type Tool,
} from '../../src/index.js';

/** A ScriptedLLM that keeps a copy of every request, so tests can check what the model saw. */
export class RecordingLLM implements LLMBackend {
  readonly model = 'recording';
  readonly requests: Array<{ messages: Message[]; tools: string[]; step: number }> = [];
  readonly scripted: ScriptedLLM;

  constructor(turns: readonly ScriptedTurn[]) {
    this.scripted = new ScriptedLLM(turns);
  }

  generate(request: LLMRequest): Promise<LLMResponse> {
    this.requests.push({
      messages: structuredClone([...request.messages]),
      tools: request.tools.map((tool) => tool.name),
      step: request.step,
    });
    return this.scripted.generate(request);
  }

  /** The messages of the n-th request (1-based). */
  request(n: number): Message[] {
    const found = this.requests[n - 1];
    if (!found) throw new Error(`the model was called ${this.requests.length} time(s), not ${n}`);
    return found.messages;
  }
}

/** The content of the tool message answering `callId` in a request. */
export function toolMessage(messages: readonly Message[], name: string): string | undefined {
  const found = messages.filter((m) => m.role === 'tool' && m.name === name).at(-1);
  return found?.role === 'tool' ? found.content : undefined;
}

/** The user messages of a request, in order. */
export function userMessages(messages: readonly Message[]): string[] {
  return messages.flatMap((m) => (m.role === 'user' ? [m.content] : []));
}

/** A promise with its resolve/reject exposed. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A tool that returns its arguments and logs every call it receives. */
export function echoTool(
  name: string,
  log: Array<{ name: string; args: Record<string, unknown> }> = [],
  options: { concurrent?: boolean } = {},
): Tool {
  return defineTool({
    name,
    description: `echoes its arguments (${name})`,
    parameters: { type: 'object', properties: { text: { type: 'string' } } },
    concurrent: options.concurrent ?? false,
    run: (args) => {
      log.push({ name, args });
      return { echoed: args.text ?? null };
    },
  });
}

/** Tool call turn helper. */
export function call(name: string, args: Record<string, unknown> = {}): ScriptedTurn {
  return { toolCalls: [{ name, args }] };
}

/** The done call turn. */
export function done(summary = 'finished'): ScriptedTurn {
  return { toolCalls: [{ name: 'done', args: { summary } }] };
}
