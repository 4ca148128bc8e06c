import type { LoopState, Tool } from '../core/state.js';
import type { Step } from '../core/step.js';
import { emptyUsage } from '../core/types.js';
import { DONE_TOOL_NAME, doneTool } from '../tools/done-tool.js';
import { LoopletError } from '../util/errors.js';
import { DrainedRun } from './drained-run.js';
import type { AgentLoopOptions } from './options.js';
import { DEFAULT_SYSTEM_PROMPT, initialMessages } from './prompt.js';
import type { RunResult } from './result.js';
import { groupHooks } from './run-context.js';
import { runSteps } from './run-steps.js';
import { defaultClock, randomIds } from './runtime.js';

/**
 * A running loop: iterate it for steps, await `result` for the outcome. Iterating drives the run
 * (one iteration at a time); a run whose `result` was awaited first runs on its own, and iterating
 * it then follows its steps.
 */
export interface AgentRun extends AsyncIterable<Step> {
  /**
   * Settles when the run has ended and every `onLoopEnd` has run. Rejects only when a hook threw
   * (with a `HookError`). Awaiting it without iterating runs the loop to the end.
   */
  readonly result: Promise<RunResult>;
  /** The live state hooks see. */
  readonly state: LoopState;
}

/** Invalid `agentLoop` options (duplicate tool names, a bad `maxSteps`…). */
export class LoopConfigError extends LoopletError {
  constructor({ message }: { message: string }) {
    super({ message, code: 'LOOP_CONFIG' });
  }
}

/**
 * Starts an agent run. Nothing happens until the returned run is iterated (or its `result`
 * awaited). Each iteration yields one {@link Step}: a model call and the tool calls it made.
 *
 * @example
 * const run = agentLoop({ llm, tools: [greet], task: { goal: 'Greet Alice' } });
 * for await (const step of run) console.log(step.pretty());
 * console.log((await run.result).endReason);
 */
export function agentLoop(options: AgentLoopOptions): AgentRun {
  const tools = toolMap(options.tools ?? []);
  const maxSteps = options.maxSteps ?? 20;
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    throw new LoopConfigError({ message: `maxSteps must be a positive integer, got ${String(maxSteps)}` });
  const maxToolErrors = options.maxConsecutiveToolErrors ?? 5;
  const hooks = [...(options.hooks ?? [])];
  hooks.forEach((hook, index) => {
    if (typeof hook !== 'object' || hook === null)
      throw new LoopConfigError({ message: `hooks[${index}] is not an object with hook methods` });
  });
  const clock = options.clock ?? defaultClock;
  const ids = options.ids ?? randomIds();
  const controller = new AbortController();
  const state: LoopState = {
    runId: ids('run'),
    task: options.task,
    messages: initialMessages({ system: options.system ?? DEFAULT_SYSTEM_PROMPT, task: options.task }),
    steps: [],
    usage: emptyUsage(),
    maxSteps,
    tools,
    llm: options.llm,
    data: { ...options.data },
    signal: controller.signal,
  };

  let settle!: { resolve: (result: RunResult) => void; reject: (error: unknown) => void };
  const result = new Promise<RunResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A run nobody awaits must not crash the process with an unhandled rejection.
  result.catch(() => {});

  let started = false;
  const start = () => {
    if (started)
      throw new LoopConfigError({
        message:
          'this agent run is already being iterated (an agent run has one driver); call agentLoop() again for a new run',
      });
    started = true;
    return runSteps({
      unlinkSignal: linkSignal(options.signal, controller),
      options,
      state,
      tools,
      hooks: groupHooks(hooks),
      maxSteps,
      maxToolErrors,
      clock,
      ids,
      controller,
      settle,
    });
  };

  let drained: DrainedRun | undefined;
  let drainScheduled = false;
  return {
    state,
    get result() {
      // Awaiting the result without iterating runs the loop on its own; a consumer that iterates
      // in the same tick (the usual `for await`) takes precedence. Nothing is scheduled once the
      // run has started: a pending callback would keep the whole run in memory until it fires.
      if (!started && !drainScheduled) {
        drainScheduled = true;
        setImmediate(() => {
          if (!started) drained = new DrainedRun(start(), state.steps);
        });
      }
      return result;
    },
    // Iterating a run that already runs on its own follows its steps instead of driving it.
    [Symbol.asyncIterator]: () => (drained ? drained.follow(result) : start()),
  };
}

/** Aborts the run when the caller's signal fires; returns what detaches it again when the run ends. */
function linkSignal(signal: AbortSignal | undefined, controller: AbortController): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => {};
  }
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function toolMap(list: readonly Tool[]): Map<string, Tool> {
  const map = new Map<string, Tool>();
  for (const [index, tool] of list.entries()) {
    if (!tool || typeof tool.name !== 'string' || !tool.schema)
      throw new LoopConfigError({ message: `tools[${index}] is not a tool: build it with defineTool()` });
    if (map.has(tool.name))
      throw new LoopConfigError({
        message: `two tools are named "${tool.name}" (tools[${index}]); tool names must be unique`,
      });
    map.set(tool.name, tool);
  }
  // A loop finishes through its terminal tools: the default done tool only when it has none.
  if (!map.has(DONE_TOOL_NAME) && !list.some((tool) => tool.terminal))
    map.set(DONE_TOOL_NAME, defaultDoneTool());
  return map;
}

let sharedDoneTool: Tool | undefined;
/** The default done tool, made (and its schema compiled) once per process: a tool holds no run state. */
function defaultDoneTool(): Tool {
  sharedDoneTool ??= doneTool();
  return sharedDoneTool;
}
