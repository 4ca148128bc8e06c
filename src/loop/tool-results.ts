// The ToolResult shapes dispatch makes, and the words of its errors.
import { canonicalJsonLine } from '../core/canonical-json.js';
import { describeJsonProblem, type JsonProblem } from '../core/json-safe.js';
import type { ToolCall, ToolError, ToolResult } from '../core/types.js';
import { closestMatch, oneLine } from '../util/text.js';
import type { HookDecision } from './decision.js';

export function dataResult(call: ToolCall, data: unknown, durationMs: number): ToolResult {
  return { callId: call.id, name: call.name, args: call.args, data, durationMs };
}

export function errorResult(call: ToolCall, error: ToolError, durationMs: number): ToolResult {
  return { callId: call.id, name: call.name, args: call.args, error, durationMs };
}

/** A hook's block: `denied` when it says not to retry, else `blocked`. */
export function blockedResult(call: ToolCall, decision: HookDecision, durationMs: number): ToolResult {
  return errorResult(
    call,
    { kind: decision.retry === false ? 'denied' : 'blocked', message: decision.block ?? 'blocked' },
    durationMs,
  );
}

/** A result JSON cannot hold: the model, the step and a trace would each see something different, or nothing. */
export function invalidResult(what: string, problem: JsonProblem): ToolError {
  return {
    kind: 'invalid_result',
    message: `${what} ${describeJsonProblem(problem)}, which JSON cannot hold: results must be JSON data`,
  };
}

/** Python looplet's words, so a model (and a replayed Python trace) reads the same hint. */
export function unknownTool(name: string, known: Iterable<string>): ToolError {
  const names = [...known];
  const hint = closestMatch(name, names);
  return {
    kind: 'unknown_tool',
    message: `Unknown tool: '${name}'.${hint === undefined ? '' : ` Did you mean '${hint}'?`} Available: ${names.join(', ')}`,
  };
}

export function noRecording(call: ToolCall): ToolError {
  return {
    kind: 'no_recording',
    message: `${call.name} is answered from the recording in a replay, and the recording holds no result for this call (${oneLine(canonicalJsonLine(call.args), 200)})`,
  };
}
