import type { JsonSchema, ParameterSchema } from '../core/schema.js';
import type { Tool, ToolContext } from '../core/state.js';
import { compileSchema, ToolDefinitionError } from './schema.js';

/** The options of {@link defineTool}. */
export interface ToolOptions<Args extends Record<string, unknown>, Output> {
  /** Name the model calls: letters, digits, `_` and `-`, 1 to 64 characters. */
  name: string;
  description: string;
  /** A JSON Schema (validated with ajv) or any Standard Schema (zod, valibot…). */
  parameters: ParameterSchema;
  /** JSON Schema shown to the model when `parameters` is a Standard Schema that cannot export one. */
  jsonSchema?: JsonSchema;
  /** Runs the tool. Whatever it returns is the data the model sees; a throw becomes a tool error. */
  run: (args: Args, context: ToolContext) => Output | Promise<Output>;
  /** True when calls may run at the same time as other concurrent calls of the same response. */
  concurrent?: boolean;
  /**
   * Most milliseconds a call may take (default: no limit). A call still running then fails with
   * a `timeout` tool error the model sees, and its `signal` is aborted. Only a tool that returns a
   * promise can be timed out: a synchronous one has finished before the loop sees its answer.
   */
  timeoutMs?: number;
  /**
   * What a replay does with calls of this tool: `run` (default) runs the tool as in a live run;
   * `recorded` answers each call with the result the replayed trace recorded for the same call
   * (name and arguments) and never runs the tool: use it for tools with side effects (sending
   * mail, paying, deploying). Outside a replay the tool always runs.
   */
  replay?: 'run' | 'recorded';
  /**
   * True for a tool that finishes the run, like `done`: a call of it that succeeds (and that no
   * `checkDone` hook refuses) ends the run with `endReason: 'done'` and the call's arguments as
   * `finalOutput`. A loop with a terminal tool gets no default `done` tool. Python looplet's
   * `LoopConfig(done_tool="submit")`.
   */
  terminal?: boolean;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Defines a tool. The schema is compiled here, so a malformed schema or name fails at definition
 * with a {@link ToolDefinitionError} instead of mid-run.
 */
export function defineTool<Args extends Record<string, unknown> = Record<string, unknown>, Output = unknown>(
  options: ToolOptions<Args, Output>,
): Tool<Args, Output> {
  if (!TOOL_NAME.test(options.name)) {
    throw new ToolDefinitionError(
      `tool name "${options.name}" is not allowed: use 1–64 letters, digits, "_" or "-" (providers reject other names)`,
    );
  }
  if (typeof options.run !== 'function')
    throw new ToolDefinitionError(`tool "${options.name}": run must be a function`);
  const { timeoutMs, replay, terminal } = options;
  if (terminal !== undefined && typeof terminal !== 'boolean')
    throw new ToolDefinitionError(
      `tool "${options.name}": terminal must be true or false, got ${String(terminal)}`,
    );
  if (replay !== undefined && replay !== 'run' && replay !== 'recorded')
    throw new ToolDefinitionError(
      `tool "${options.name}": replay must be 'run' or 'recorded', got ${String(replay)}`,
    );
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new ToolDefinitionError(
      `tool "${options.name}": timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`,
    );
  const schema = compileSchema({
    tool: options.name,
    schema: options.parameters,
    ...(options.jsonSchema ? { jsonSchema: options.jsonSchema } : {}),
  });
  return {
    name: options.name,
    description: options.description,
    concurrent: options.concurrent ?? false,
    jsonSchema: schema.jsonSchema,
    schema,
    run: options.run,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(replay === 'recorded' ? { replay } : {}),
    ...(terminal ? { terminal } : {}),
  };
}
