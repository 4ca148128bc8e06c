import type { LLMBackend } from '../llm/types.js';
import type { Tool } from '../tools/define-tool.js';
import type { Step } from './step.js';
import type { Message, Task, Usage } from './types.js';

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
