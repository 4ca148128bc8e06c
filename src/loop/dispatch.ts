import { canonicalJsonLine } from '../core/canonical-json.js';
import { describeJsonProblem, findJsonProblem, type JsonProblem } from '../core/json-safe.js';
import type { LLMBackend } from '../core/llm.js';
import type { ValidationOutcome } from '../core/schema.js';
import type { LoopState, Tool } from '../core/state.js';
import type { Clock, ToolCall, ToolError, ToolResult } from '../core/types.js';
import { errorMessage } from '../util/errors.js';
import { andThen, isPromiseLike, type MaybePromise } from '../util/maybe-async.js';
import { closestMatch, oneLine } from '../util/text.js';
import { CallScope, isInterruption } from './call-scope.js';
import type { HookDecision } from './decision.js';
import { type Hook, runDecisionHooks } from './hooks.js';

/** What dispatching one call produced, including hook effects the step collects. */
export interface DispatchOutcome {
  call: ToolCall;
  result: ToolResult;
  context: string[];
  metadata: Record<string, unknown> | undefined;
  stop: string | undefined;
}

/** Everything dispatch needs from the loop, gathered once per run. */
export interface DispatchContext {
  state: LoopState;
  tools: ReadonlyMap<string, Tool>;
  preDispatchHooks: readonly Hook[];
  permissionHooks: readonly Hook[];
  postDispatchHooks: readonly Hook[];
  clock: Clock;
  signal: AbortSignal;
  /** True when the run's signal can fire while a tool runs: tools that ignore it are then raced with it. */
  raceAbort: boolean;
}

/**
 * Dispatches a response's tool calls. Consecutive calls whose tools are `concurrent` run together;
 * every other call runs alone, in order. Each call's hooks start in call order, and results are
 * returned in call order. Synchronous hooks and tools complete without a single promise.
 */
export function dispatchCalls(
  ctx: DispatchContext,
  step: number,
  calls: readonly ToolCall[],
): MaybePromise<DispatchOutcome[]> {
  return dispatchFrom(ctx, step, calls, new Array(calls.length), 0);
}

function dispatchFrom(
  ctx: DispatchContext,
  step: number,
  calls: readonly ToolCall[],
  outcomes: DispatchOutcome[],
  start: number,
): MaybePromise<DispatchOutcome[]> {
  let index = start;
  while (index < calls.length) {
    if (ctx.signal.aborted) {
      for (; index < calls.length; index++) outcomes[index] = abortedOutcome(calls[index]!);
      break;
    }
    let end = index + 1;
    if (ctx.tools.get(calls[index]!.name)?.concurrent) {
      while (end < calls.length && ctx.tools.get(calls[end]!.name)?.concurrent) end++;
    }
    const first = index;
    if (end - first === 1) {
      const outcome = new CallDispatch(ctx, step, calls[first]!).run();
      if (isPromiseLike<DispatchOutcome>(outcome)) {
        return outcome.then((settled) => {
          outcomes[first] = settled;
          return dispatchFrom(ctx, step, calls, outcomes, end);
        });
      }
      outcomes[first] = outcome;
    } else {
      const batch = calls.slice(first, end).map((call) => new CallDispatch(ctx, step, call).run());
      return Promise.all(batch).then((settled) => {
        for (let offset = 0; offset < settled.length; offset++) outcomes[first + offset] = settled[offset]!;
        return dispatchFrom(ctx, step, calls, outcomes, end);
      });
    }
    index = end;
  }
  return outcomes;
}

function abortedOutcome(call: ToolCall): DispatchOutcome {
  return {
    call,
    result: errorResult(call, { kind: 'aborted', message: 'the run was aborted before this call ran' }, 0),
    context: [],
    metadata: undefined,
    stop: undefined,
  };
}

function errorResult(call: ToolCall, error: ToolError, durationMs: number): ToolResult {
  return { callId: call.id, name: call.name, args: call.args, error, durationMs };
}

/**
 * One call through its phases: `preDispatch` → `checkPermission` → validate and run the tool →
 * `postDispatch`. Each phase may finish synchronously or return a promise.
 */
class CallDispatch {
  readonly #ctx: DispatchContext;
  readonly #step: number;
  readonly #started: number;
  #call: ToolCall;
  #result: ToolResult | undefined;
  readonly #context: string[] = [];
  #metadata: Record<string, unknown> | undefined;
  #stop: string | undefined;

  constructor(ctx: DispatchContext, step: number, call: ToolCall) {
    this.#ctx = ctx;
    this.#step = step;
    this.#call = call;
    this.#started = ctx.clock.now();
  }

  /**
   * Runs the phases in order. Each phase returns a promise only when it has to wait; on the
   * synchronous path no closure or promise is made, which is most of a step's cost.
   */
  run(): MaybePromise<DispatchOutcome> {
    const pending = this.#preDispatch();
    return pending ? pending.then(() => this.#fromPermission()) : this.#fromPermission();
  }

  #fromPermission(): MaybePromise<DispatchOutcome> {
    const pending = this.#checkPermission();
    return pending ? pending.then(() => this.#fromExecute()) : this.#fromExecute();
  }

  #fromExecute(): MaybePromise<DispatchOutcome> {
    const pending = this.#execute();
    return pending ? pending.then(() => this.#fromPostDispatch()) : this.#fromPostDispatch();
  }

  #fromPostDispatch(): MaybePromise<DispatchOutcome> {
    const pending = this.#postDispatch();
    return pending ? pending.then(() => this.#outcome()) : this.#outcome();
  }

  #absorb(decision: HookDecision): void {
    if (decision.additionalContext !== undefined) this.#context.push(decision.additionalContext);
    if (decision.metadata !== undefined) this.#metadata = { ...this.#metadata, ...decision.metadata };
    if (this.#stop === undefined && decision.stop !== undefined) this.#stop = decision.stop;
  }

  #elapsed(): number {
    return this.#ctx.clock.now() - this.#started;
  }

  #preDispatch(): MaybePromise<void> {
    const hooks = this.#ctx.preDispatchHooks;
    if (hooks.length === 0) return;
    return andThen(
      runDecisionHooks(
        hooks,
        'preDispatch',
        { state: this.#ctx.state, step: this.#step, call: this.#call },
        this.#step,
      ),
      (pre) => {
        this.#absorb(pre);
        const call = this.#call;
        if (pre.updatedArgs !== undefined) this.#call = { ...call, args: pre.updatedArgs };
        if (pre.block !== undefined) {
          this.#result = blockedResult(this.#call, pre, this.#elapsed());
        } else if (pre.updatedResult !== undefined) {
          const problem = findJsonProblem(pre.updatedResult);
          this.#result =
            problem === undefined
              ? {
                  callId: call.id,
                  name: call.name,
                  args: this.#call.args,
                  data: pre.updatedResult,
                  durationMs: this.#elapsed(),
                }
              : errorResult(
                  this.#call,
                  invalidResult('the result a preDispatch hook supplied is', problem),
                  this.#elapsed(),
                );
        }
      },
    );
  }

  #checkPermission(): MaybePromise<void> {
    const hooks = this.#ctx.permissionHooks;
    if (this.#result !== undefined || hooks.length === 0) return;
    return andThen(
      runDecisionHooks(
        hooks,
        'checkPermission',
        { state: this.#ctx.state, step: this.#step, call: this.#call },
        this.#step,
      ),
      (permission) => {
        this.#absorb(permission);
        // Later permission hooks saw the rewritten arguments: the tool must run with them too.
        if (permission.updatedArgs !== undefined)
          this.#call = { ...this.#call, args: permission.updatedArgs };
        // A permission refusal is a denial unless the hook explicitly invites a retry.
        if (permission.block !== undefined)
          this.#result = blockedResult(
            this.#call,
            { ...permission, retry: permission.retry ?? false },
            this.#elapsed(),
          );
      },
    );
  }

  /** Validates and runs the tool; never throws (a throw becomes a `tool_threw` result). */
  #execute(): MaybePromise<void> {
    if (this.#result !== undefined) return;
    const call = this.#call;
    const tool = this.#ctx.tools.get(call.name);
    if (!tool) {
      this.#fail({ kind: 'unknown_tool', message: unknownToolMessage(call.name, this.#ctx.tools.keys()) });
      return;
    }
    if (call.argsError !== undefined) {
      this.#fail({
        kind: 'invalid_args',
        message: `arguments for ${call.name} could not be read: ${call.argsError}`,
      });
      return;
    }
    let validation: MaybePromise<ValidationOutcome>;
    try {
      validation = tool.schema.validate(call.args);
    } catch (error) {
      this.#fail({
        kind: 'invalid_args',
        message: `validating arguments for ${call.name} threw: ${errorMessage(error)}`,
      });
      return;
    }
    return andThen(validation, (outcome) => {
      if (!outcome.ok) {
        this.#fail({
          kind: 'invalid_args',
          message: `invalid arguments for ${call.name}: ${outcome.issues.join('; ')}`,
        });
        return;
      }
      // A new call object only when validation changed the arguments (defaults, Standard Schema transforms).
      return this.#runTool(
        tool,
        outcome.value === call.args ? call : { id: call.id, name: call.name, args: outcome.value },
      );
    });
  }

  #runTool(tool: Tool, call: ToolCall): MaybePromise<void> {
    this.#call = call;
    const ctx = this.#ctx;
    // Aborted while hooks or validation ran (e.g. waiting for an approval): the tool must not start.
    if (ctx.signal.aborted) {
      this.#fail({ kind: 'aborted', message: 'the run was aborted before this call ran' });
      return;
    }
    if (tool.replay === 'recorded' && ctx.state.llm.recordedToolResult !== undefined) {
      this.#answerFromRecording(ctx.state.llm, call);
      return;
    }
    const scope = new CallScope(ctx.signal);
    let output: unknown;
    try {
      output = tool.run(call.args, {
        get signal() {
          return scope.signal;
        },
        call,
        state: ctx.state,
        step: this.#step,
      });
    } catch (error) {
      scope.dispose();
      this.#threw(error);
      return;
    }
    if (!isPromiseLike(output)) {
      scope.dispose();
      this.#succeed(output);
      return;
    }
    const timeoutMs = tool.timeoutMs;
    const settled =
      ctx.raceAbort || timeoutMs !== undefined ? scope.race(output, timeoutMs) : Promise.resolve(output);
    return settled.then(
      (value) => {
        scope.dispose();
        if (!isInterruption(value)) this.#succeed(value);
        else if (value.interrupted === 'timeout')
          this.#fail({ kind: 'timeout', message: `${call.name} did not finish within ${timeoutMs} ms` });
        else this.#fail({ kind: 'aborted', message: 'the run was aborted while the tool ran' });
      },
      (error: unknown) => {
        scope.dispose();
        this.#threw(error);
      },
    );
  }

  /** A `replay: 'recorded'` tool in a replay: the recorded result stands in for running it. */
  #answerFromRecording(llm: LLMBackend, call: ToolCall): void {
    let recorded: { data?: unknown; error?: ToolError } | undefined;
    try {
      recorded = llm.recordedToolResult!({ step: this.#step, name: call.name, args: call.args });
    } catch (error) {
      this.#fail({
        kind: 'no_recording',
        message: `looking up the recorded result of ${call.name} threw: ${errorMessage(error)}`,
      });
      return;
    }
    if (recorded === undefined) {
      this.#fail({
        kind: 'no_recording',
        message: `${call.name} is answered from the recording in a replay, and the recording holds no result for this call (${oneLine(canonicalJsonLine(call.args), 200)})`,
      });
    } else if (recorded.error !== undefined) this.#fail(recorded.error);
    else this.#succeed(recorded.data);
  }

  #succeed(data: unknown): void {
    const call = this.#call;
    const problem = findJsonProblem(data);
    if (problem !== undefined) {
      this.#fail(invalidResult(`${call.name} returned`, problem));
      return;
    }
    this.#result = { callId: call.id, name: call.name, args: call.args, data, durationMs: this.#elapsed() };
  }

  #threw(error: unknown): void {
    this.#fail({ kind: this.#ctx.signal.aborted ? 'aborted' : 'tool_threw', message: errorMessage(error) });
  }

  #fail(error: ToolError): void {
    this.#result = errorResult(this.#call, error, this.#elapsed());
  }

  #postDispatch(): MaybePromise<void> {
    const hooks = this.#ctx.postDispatchHooks;
    const result = this.#result!;
    if (hooks.length === 0) return;
    return andThen(
      runDecisionHooks(
        hooks,
        'postDispatch',
        { state: this.#ctx.state, step: this.#step, call: this.#call, result },
        this.#step,
      ),
      (post) => {
        this.#absorb(post);
        if (post.updatedResult !== undefined) {
          const problem = findJsonProblem(post.updatedResult);
          this.#result =
            problem === undefined
              ? {
                  callId: result.callId,
                  name: result.name,
                  args: result.args,
                  data: post.updatedResult,
                  durationMs: result.durationMs,
                }
              : {
                  callId: result.callId,
                  name: result.name,
                  args: result.args,
                  error: invalidResult('the result a postDispatch hook supplied is', problem),
                  durationMs: result.durationMs,
                };
        }
      },
    );
  }

  #outcome(): DispatchOutcome {
    return {
      call: this.#call,
      result: this.#result!,
      context: this.#context,
      metadata: this.#metadata,
      stop: this.#stop,
    };
  }
}

/** A result JSON cannot hold: the model, the step and a trace would each see something different, or nothing. */
function invalidResult(what: string, problem: JsonProblem): ToolError {
  return {
    kind: 'invalid_result',
    message: `${what} ${describeJsonProblem(problem)}, which JSON cannot hold: results must be JSON data`,
  };
}

/** Python looplet's words, so a model (and a replayed Python trace) reads the same hint. */
function unknownToolMessage(name: string, known: Iterable<string>): string {
  const names = [...known];
  const hint = closestMatch(name, names);
  return `Unknown tool: '${name}'.${hint === undefined ? '' : ` Did you mean '${hint}'?`} Available: ${names.join(', ')}`;
}

function blockedResult(call: ToolCall, decision: HookDecision, durationMs: number): ToolResult {
  return errorResult(
    call,
    { kind: decision.retry === false ? 'denied' : 'blocked', message: decision.block ?? 'blocked' },
    durationMs,
  );
}
