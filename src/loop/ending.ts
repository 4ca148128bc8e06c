import type { EndReason } from '../core/types.js';
import { runLoopEndHooks } from './compose-hooks.js';
import type { RunResult } from './result.js';
import type { RunContext } from './run-context.js';

/** A run's outcome, decided inside the loop. */
export interface Ending {
  endReason: EndReason;
  stopReason?: string;
  finalOutput?: unknown;
  error?: Error;
}

/** The ending of a run whose signal was aborted, with the abort's reason. */
export function abortEnding(signal: AbortSignal): Ending {
  const reason =
    signal.reason instanceof Error
      ? signal.reason.message
      : signal.reason === undefined
        ? 'aborted'
        : String(signal.reason);
  return { endReason: 'aborted', stopReason: reason };
}

/** The ending of a run whose model call threw: `replay_exhausted` for a script or trace that ran out, else `llm_error`. */
export function llmErrorEnding(error: unknown): Ending {
  const asError = error instanceof Error ? error : new Error(String(error));
  const endReason: EndReason =
    (asError as { endReason?: unknown }).endReason === 'replay_exhausted' ? 'replay_exhausted' : 'llm_error';
  return { endReason, stopReason: asError.message, error: asError };
}

/** Builds the result, runs `onLoopEnd` exactly once, and settles `run.result`. */
export async function finish(run: RunContext, ending: Ending | undefined, thrown: unknown): Promise<void> {
  const { state } = run;
  const resolved: Ending =
    thrown !== undefined
      ? {
          endReason: 'hook_stop',
          stopReason: `error: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
          error: thrown instanceof Error ? thrown : new Error(String(thrown)),
        }
      : (ending ?? { endReason: 'aborted', stopReason: 'the consumer stopped iterating' });
  const result: RunResult = { endReason: resolved.endReason, steps: state.steps, usage: state.usage };
  if (resolved.stopReason !== undefined) result.stopReason = resolved.stopReason;
  if ('finalOutput' in resolved) result.finalOutput = resolved.finalOutput;
  if (resolved.error !== undefined) result.error = resolved.error;
  if (ending === undefined && thrown === undefined)
    run.controller.abort(new Error('the consumer stopped iterating'));
  run.unlinkSignal();
  let endError: unknown;
  try {
    await runLoopEndHooks(run.hooks.onLoopEnd, { state, result });
  } catch (error) {
    endError = error;
  }
  const failure = thrown ?? endError;
  if (failure !== undefined) {
    run.settle.reject(failure);
    throw failure;
  }
  run.settle.resolve(result);
}
