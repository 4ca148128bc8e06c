/** A tool call found in plain text. */
export interface TextToolCall {
  name: string;
  args: Record<string, unknown>;
  reasoning?: string;
}

const FENCED_JSON = /```(?:json)?\s*([\s\S]*?)```/;

/**
 * Finds tool calls in a text answer, for models (and Python looplet traces) that write
 * `{"tool": "name", "args": {...}}` instead of using native tool calling. Also accepts
 * `{"name", "arguments"}`, a list of either, and JSON inside a ```json fence. Only calls of
 * known tools count, so ordinary JSON answers stay answers. Returns undefined when none is found.
 */
export function parseTextToolCalls({
  text,
  toolNames,
}: {
  text: string | undefined;
  toolNames: ReadonlySet<string>;
}): TextToolCall[] | undefined {
  if (!text) return undefined;
  const trimmed = text.trim();
  const candidate =
    trimmed.startsWith('{') || trimmed.startsWith('[') ? trimmed : FENCED_JSON.exec(trimmed)?.[1]?.trim();
  if (!candidate) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(candidate);
  } catch {
    return undefined;
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const calls: TextToolCall[] = [];
  for (const item of items) {
    const call = asToolCall(item, toolNames);
    if (!call) return undefined;
    calls.push(call);
  }
  return calls.length > 0 ? calls : undefined;
}

function asToolCall(item: unknown, toolNames: ReadonlySet<string>): TextToolCall | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const record = item as Record<string, unknown>;
  const name = record.tool ?? record.name;
  if (typeof name !== 'string' || !toolNames.has(name)) return undefined;
  let args = record.args ?? record.arguments ?? {};
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args);
    } catch {
      return undefined;
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
  const call: TextToolCall = { name, args: args as Record<string, unknown> };
  if (typeof record.reasoning === 'string') call.reasoning = record.reasoning;
  return call;
}
