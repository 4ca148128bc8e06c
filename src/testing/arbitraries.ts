import { hook, hookAnswer, hookDecision, hookSpec } from './hook-arbitraries.js';
import { lawScenario } from './scenario.js';
import { script } from './script-arbitraries.js';
import { toolArgs, toolCall, toolError, toolResult } from './tool-arbitraries.js';
import { corruptedTrace, traceCorruption, traceRecipe } from './trace-arbitraries.js';

/**
 * fast-check arbitraries for agent loops. Import as `arb`:
 * `import { arbitraries as arb } from 'looplet/testing'`.
 */
export const arbitraries = {
  /** Arguments valid (or invalid) against a JSON Schema. */
  toolArgs,
  /** Tool calls against given tools: valid, invalid, of unknown tools, or a mix. */
  toolCall,
  /** Tool results: data or errors. */
  toolResult,
  /** Tool errors of every kind. */
  toolError,
  /** Hook decisions, optionally only the fields a given method acts on. */
  hookDecision,
  /** What one call of a generated hook method does. */
  hookAnswer,
  /** Generated hooks as data (print, shrink, replay); build with `hookFromSpec`. */
  hookSpec,
  /** Generated hooks, ready for `agentLoop`. */
  hook,
  /** Scripts for `ScriptedLLM` that end with a done call. */
  script,
  /** Trace recipes (script + hooks) to record with `recordTrace`. */
  trace: traceRecipe,
  /** Ways to damage a trace directory (apply with `corruptTrace`). */
  traceCorruption,
  /** A recipe plus corruptions (write with `writeCorruptedTrace`). */
  corruptedTrace,
  /** Whole law scenarios: hooks slotted among yours, a script, exits and aborts. */
  lawScenario,
} as const;
