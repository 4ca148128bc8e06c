import type { Message, Task, ToolResult } from '../core/types.js';
import { errorMessage } from '../util/errors.js';

/** The system prompt used when `agentLoop` gets none. */
export const DEFAULT_SYSTEM_PROMPT =
  'You are an agent that completes the task by calling the tools you are given. ' +
  'Call one or more tools at each turn. When the task is complete, call the `done` tool with the final output.';

/** The task as the model reads it: the goal, then any other fields as `key: value` lines. */
export function formatTask(task: Task): string {
  if (typeof task === 'string') return task;
  const { goal, ...rest } = task;
  const extra = Object.entries(rest).map(
    ([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return extra.length > 0 ? `${goal}\n\n${extra.join('\n')}` : goal;
}

/** The conversation a run starts with. */
export function initialMessages({ system, task }: { system: string; task: Task }): Message[] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: formatTask(task) },
  ];
}

/** What the model reads back for one tool result. */
export function toolResultContent(result: ToolResult): string {
  if (result.error) {
    const hint =
      result.error.kind === 'blocked' ||
      result.error.kind === 'invalid_args' ||
      result.error.kind === 'done_rejected'
        ? ' Fix the call and try again.'
        : result.error.kind === 'denied'
          ? ' Do not retry this call.'
          : '';
    return `Error (${result.error.kind}): ${result.error.message}.${hint}`;
  }
  const data = result.data;
  switch (typeof data) {
    case 'string':
      return data;
    // What JSON.stringify gives, without its work (small numbers come from V8's string cache).
    case 'number':
      return Number.isFinite(data) ? String(data) : 'null';
    case 'boolean':
      return data ? 'true' : 'false';
    case 'undefined':
      return 'null';
  }
  try {
    return JSON.stringify(result.data ?? null);
  } catch (error) {
    // Results are checked when they are made; only data that changes between readings gets here.
    return `Error (invalid_result): the result could not be written as JSON: ${errorMessage(error)}.`;
  }
}
