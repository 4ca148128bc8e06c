import type { LLMResponse } from '../core/llm.js';
import type { Step } from '../core/step.js';
import { type Interruption, isInterruption } from './call-scope.js';
import { finish } from './ending.js';
import type { RunContext } from './run-context.js';
import { StepRunner } from './step-runner.js';

/**
 * The step loop behind `agentLoop`: one iteration per model call, hooks at every point (see
 * `StepRunner`), the step yielded to the consumer, and exactly one `finish` (onLoopEnd, result)
 * however it ends. It awaits only the model call, the yield, and phases whose hooks or tools
 * answered with a promise.
 */
export async function* runSteps(run: RunContext): AsyncGenerator<Step> {
  const steps = new StepRunner(run);
  const llm = run.options.llm;
  let thrown: unknown;
  try {
    const started = steps.preLoop();
    if (started !== undefined) await started;
    for (let step = 1; steps.ending === undefined; step++) {
      const prepared = steps.beforeModel(step);
      if (prepared !== undefined) await prepared;
      if (!steps.readyForModel()) break;
      let response: LLMResponse | Interruption;
      const scope = steps.callScope();
      try {
        const pending = llm.generate(steps.modelRequest(step, scope));
        response = scope ? await scope.race(pending) : await pending;
      } catch (error) {
        steps.modelFailed(error);
        break;
      } finally {
        scope?.dispose();
      }
      if (isInterruption(response)) {
        steps.modelInterrupted();
        break;
      }
      const finished = steps.afterModel(step, response);
      const current = finished instanceof Promise ? await finished : finished;
      yield current;
      if (steps.ending !== undefined) break;
      const checked = steps.afterYield(step, current);
      if (checked !== undefined) await checked;
    }
  } catch (error) {
    thrown = error;
  } finally {
    steps.dispose();
    await finish(run, steps.ending, thrown);
  }
}
