import type { LLMBackend } from '../core/llm.js';
import type { Tool } from '../core/state.js';
import type { Clock, IdGenerator, Task } from '../core/types.js';
import type { Hook } from './hooks.js';

/** The options of {@link agentLoop}. */
export interface AgentLoopOptions {
  /** The model: `OpenAIBackend`, `ScriptedLLM`, `ReplayLLM` or any {@link LLMBackend}. */
  llm: LLMBackend;
  /** Tools the model may call. A `done` tool is added when none is given. */
  tools?: readonly Tool[];
  task: Task;
  hooks?: readonly Hook[];
  /** Most model calls in one run (default 20); reaching it ends the run with `max_steps`. */
  maxSteps?: number;
  /** Aborting ends the run with `aborted`; tools get the signal too. */
  signal?: AbortSignal;
  /** System prompt (default: {@link DEFAULT_SYSTEM_PROMPT}). */
  system?: string;
  /** Steps in a row whose tool calls all failed before the run ends with `tool_error_limit` (default 5). */
  maxConsecutiveToolErrors?: number;
  /** Time source; inject a fixed clock for deterministic traces. */
  clock?: Clock;
  /** Id source; inject `sequentialIds()` for deterministic traces. */
  ids?: IdGenerator;
  /** Initial contents of `state.data`, the scratch space hooks and tools share. */
  data?: Record<string, unknown>;
}
