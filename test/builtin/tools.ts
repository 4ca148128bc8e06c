import { defineTool, type LLMBackend, type LLMRequest, type Tool } from '../../src/index.js';

/** A real tool that records every call it actually runs, so tests can tell "ran" from "blocked". */
export function recordingTool(name: string, output: (args: Record<string, unknown>) => unknown = () => 'ok') {
  const ran: Array<Record<string, unknown>> = [];
  const tool: Tool = defineTool({
    name,
    description: `test tool ${name}`,
    parameters: { type: 'object', properties: { value: { type: 'string' } } },
    run: (args) => {
      ran.push(args);
      return output(args);
    },
  });
  return { tool, ran };
}

/** Usage figures for a scripted turn. */
export function usage(promptTokens: number, completionTokens: number) {
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

/** Wraps a backend to keep a copy of every request it is sent (the loop's messages array is live). */
export function recordRequests(llm: LLMBackend): { llm: LLMBackend; requests: LLMRequest[] } {
  const requests: LLMRequest[] = [];
  return {
    requests,
    llm: {
      generate(request) {
        requests.push({ ...request, messages: structuredClone([...request.messages]) });
        return llm.generate(request);
      },
    },
  };
}

/** The text of every message in a request, for "the model saw X" assertions. */
export function textOf(request: LLMRequest | undefined): string {
  return (request?.messages ?? []).map((message) => message.content ?? '').join('\n');
}
