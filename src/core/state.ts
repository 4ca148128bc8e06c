import type { LLMBackend } from './llm.js';
import type { CompiledSchema, JsonSchema } from './schema.js';
import type { Step } from './step.js';
import type { Message, Task, ToolCall, Usage } from './types.js';

/** What hooks and tools see of a running loop. */
export interface LoopState {
  readonly runId: string;
  readonly task: Task;
  /** The conversation so far. Compaction replaces it; everything else only appends. */
  messages: Message[];
  /** Completed steps, in order. */
  readonly steps: Step[];
  /** Token usage summed over every model call so far. */
  readonly usage: Usage;
  readonly maxSteps: number;
  readonly tools: ReadonlyMap<string, Tool>;
  readonly llm: LLMBackend;
  /** Scratch space shared by hooks and tools; collectors read it at the end of a run. */
  readonly data: Record<string, unknown>;
  readonly signal: AbortSignal;
}

/** What a tool's `run` receives besides its arguments. */
export interface ToolContext {
  /** Aborted when the run is aborted (or the call timed out): long-running tools should stop. Belongs to this call only. */
  readonly signal: AbortSignal;
  /** The call being run (id, name, arguments as validated). */
  call: ToolCall;
  /** The loop's state (task, steps so far, `data` scratch space). */
  state: LoopState;
  /** 1-based step number. */
  step: number;
}

/** A defined tool: what `agentLoop({ tools })` takes. */
export interface Tool<Args extends Record<string, unknown> = Record<string, unknown>, Output = unknown> {
  readonly name: string;
  readonly description: string;
  readonly concurrent: boolean;
  /** Most milliseconds a call may take before it fails with a `timeout` error and its signal is aborted (none when undefined). */
  readonly timeoutMs?: number;
  /**
   * `recorded`: in a replay whose backend has `recordedToolResult`, calls are answered from the
   * recording and the tool does not run (for tools with side effects: sending mail, paying).
   * `run` (default): the tool runs, in replays too.
   */
  readonly replay?: 'run' | 'recorded';
  /** True when a successful call ends the run as `done` (the built-in `done` tool is terminal). */
  readonly terminal?: boolean;
  /** The JSON Schema the model is shown. */
  readonly jsonSchema: JsonSchema;
  /** Validates model-supplied arguments. */
  readonly schema: CompiledSchema;
  readonly run: (args: Args, context: ToolContext) => Output | Promise<Output>;
}
