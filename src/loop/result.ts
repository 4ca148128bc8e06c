import type { Step } from '../core/step.js';
import type { EndReason, Usage } from '../core/types.js';

/** How a run ended and what it produced. */
export interface RunResult {
  endReason: EndReason;
  /** The hook's reason when `endReason` is `hook_stop`; the error message for `llm_error` and `replay_exhausted`. */
  stopReason?: string;
  steps: Step[];
  /** The done tool's arguments, or the model's final text when it answered without tools. */
  finalOutput?: unknown;
  usage: Usage;
  /** The error behind `llm_error` / `replay_exhausted` (e.g. a `ReplayDivergenceError`). */
  error?: Error;
}
