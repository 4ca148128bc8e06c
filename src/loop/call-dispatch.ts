import { findJsonProblem } from '../core/json-safe.js';
import { type LLMBackend, PARSE_ERROR_CALL } from '../core/llm.js';
import type { ValidationOutcome } from '../core/schema.js';
import type { LoopState, Tool, ToolContext } from '../core/state.js';
import type { ToolCall, ToolError, ToolResult } from '../core/types.js';
import { errorMessage } from '../util/errors.js';
import { isPromiseLike, type MaybePromise } from '../util/maybe-async.js';
import { CallScope, isInterruption } from './call-scope.js';
import type { HookDecision } from './decision.js';
import type { DispatchContext, DispatchOutcome } from './dispatch.js';
import { runDecisionHooks } from './hooks.js';
import {
  blockedResult,
  dataResult,
  errorResult,
  invalidResult,
  noRecording,
  unknownTool,
} from './tool-results.js';

/**
 * One call through its phases: `preDispatch` → `checkPermission` → validate and run the tool →
 * `postDispatch`. Each phase finishes synchronously when its hooks and the tool do, and returns a
 * promise only when it has to wait: on the synchronous path no closure or promise is made, which
 * is most of a step's cost. The dispatch is its own outcome.
 */
export class CallDispatch implements DispatchOutcome {
  // The loop's most frequently made object: plain fields, each set once in the constructor (no
  // initialisers, no private-field definitions), so making one is a single allocation.
  declare call: ToolCall;
  declare result: ToolResult;
  declare context: string[] | undefined;
  declare metadata: Record<string, unknown> | undefined;
  declare stop: string | undefined;
  declare private readonly ctx: DispatchContext;
  declare private readonly step: number;
  declare private readonly started: number;
  declare private done: boolean;
  /** The argument object of preDispatch and checkPermission (a new one only when a hook rewrote the call). */
  declare private args: { state: LoopState; step: number; call: ToolCall } | undefined;

  constructor(ctx: DispatchContext, step: number, call: ToolCall) {
    this.call = call;
    this.result = PENDING;
    this.context = undefined;
    this.metadata = undefined;
    this.stop = undefined;
    this.ctx = ctx;
    this.step = step;
    this.started = ctx.clock.now();
    this.done = false;
    this.args = undefined;
  }

  run(): MaybePromise<DispatchOutcome> {
    const hooks = this.ctx.preDispatchHooks;
    if (hooks.length > 0) {
      const pre = runDecisionHooks(hooks, 'preDispatch', this.#callArgs(), this.step);
      if (pre instanceof Promise)
        return pre.then((decision) => {
          this.#afterPreDispatch(decision);
          return this.#fromPermission();
        });
      this.#afterPreDispatch(pre);
    }
    return this.#fromPermission();
  }

  #fromPermission(): MaybePromise<DispatchOutcome> {
    const hooks = this.ctx.permissionHooks;
    if (!this.done && hooks.length > 0) {
      const permission = runDecisionHooks(hooks, 'checkPermission', this.#callArgs(), this.step);
      if (permission instanceof Promise)
        return permission.then((decision) => {
          this.#afterPermission(decision);
          return this.#fromExecute();
        });
      this.#afterPermission(permission);
    }
    return this.#fromExecute();
  }

  #fromExecute(): MaybePromise<DispatchOutcome> {
    const pending = this.done ? undefined : this.#execute();
    return pending ? pending.then(() => this.#fromPostDispatch()) : this.#fromPostDispatch();
  }

  #fromPostDispatch(): MaybePromise<DispatchOutcome> {
    const hooks = this.ctx.postDispatchHooks;
    if (hooks.length === 0) return this;
    const result = this.result;
    const post = runDecisionHooks(
      hooks,
      'postDispatch',
      { state: this.ctx.state, step: this.step, call: this.call, result },
      this.step,
    );
    if (post instanceof Promise)
      return post.then((decision) => {
        this.#afterPostDispatch(decision, result);
        return this;
      });
    this.#afterPostDispatch(post, result);
    return this;
  }

  #callArgs(): { state: LoopState; step: number; call: ToolCall } {
    if (this.args === undefined || this.args.call !== this.call)
      this.args = { state: this.ctx.state, step: this.step, call: this.call };
    return this.args;
  }

  #absorb(decision: HookDecision): void {
    if (decision.additionalContext !== undefined) {
      if (this.context === undefined) this.context = [decision.additionalContext];
      else this.context.push(decision.additionalContext);
    }
    if (decision.metadata !== undefined) this.metadata = { ...this.metadata, ...decision.metadata };
    if (this.stop === undefined && decision.stop !== undefined) this.stop = decision.stop;
  }

  #afterPreDispatch(pre: HookDecision): void {
    this.#absorb(pre);
    const call = this.call;
    if (pre.updatedArgs !== undefined) this.call = { ...call, args: pre.updatedArgs };
    if (pre.block !== undefined) this.#finish(blockedResult(this.call, pre, this.#elapsed()));
    else if (pre.updatedResult !== undefined) {
      const problem = findJsonProblem(pre.updatedResult);
      this.#finish(
        problem === undefined
          ? dataResult(this.call, pre.updatedResult, this.#elapsed())
          : errorResult(
              this.call,
              invalidResult('the result a preDispatch hook supplied is', problem),
              this.#elapsed(),
            ),
      );
    }
  }

  #afterPermission(permission: HookDecision): void {
    this.#absorb(permission);
    // Later permission hooks saw the rewritten arguments: the tool must run with them too.
    if (permission.updatedArgs !== undefined) this.call = { ...this.call, args: permission.updatedArgs };
    // A permission refusal is a denial unless the hook explicitly invites a retry.
    if (permission.block !== undefined)
      this.#finish(
        blockedResult(this.call, { ...permission, retry: permission.retry ?? false }, this.#elapsed()),
      );
  }

  #afterPostDispatch(post: HookDecision, result: ToolResult): void {
    this.#absorb(post);
    if (post.updatedResult === undefined) return;
    const problem = findJsonProblem(post.updatedResult);
    this.result =
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

  #finish(result: ToolResult): void {
    this.result = result;
    this.done = true;
  }

  #elapsed(): number {
    return this.ctx.clock.now() - this.started;
  }

  /** Validates and runs the tool; never throws (a throw becomes a `tool_threw` result). */
  #execute(): Promise<void> | undefined {
    const call = this.call;
    const tool = this.ctx.tools.get(call.name);
    if (!tool) {
      // A text answer the backend could read no call from: the model is told why (Python's parse-error step).
      if (call.name === PARSE_ERROR_CALL && call.argsError !== undefined)
        return this.#fail({ kind: 'invalid_args', message: call.argsError });
      return this.#fail(unknownTool(call.name, this.ctx.tools.keys()));
    }
    if (call.argsError !== undefined)
      return this.#fail({
        kind: 'invalid_args',
        message: `arguments for ${call.name} could not be read: ${call.argsError}`,
      });
    let validation: MaybePromise<ValidationOutcome>;
    try {
      validation = tool.schema.validate(call.args);
    } catch (error) {
      return this.#fail({
        kind: 'invalid_args',
        message: `validating arguments for ${call.name} threw: ${errorMessage(error)}`,
      });
    }
    if (isPromiseLike<ValidationOutcome>(validation))
      return Promise.resolve(validation).then((outcome) => this.#validated(tool, outcome));
    return this.#validated(tool, validation);
  }

  #validated(tool: Tool, outcome: ValidationOutcome): Promise<void> | undefined {
    const call = this.call;
    if (!outcome.ok)
      return this.#fail({
        kind: 'invalid_args',
        message: `invalid arguments for ${call.name}: ${outcome.issues.join('; ')}`,
      });
    // A new call object only when validation changed the arguments (defaults, Standard Schema transforms).
    if (outcome.value !== call.args) this.call = { id: call.id, name: call.name, args: outcome.value };
    return this.#runTool(tool);
  }

  #runTool(tool: Tool): Promise<void> | undefined {
    const call = this.call;
    const ctx = this.ctx;
    // Aborted while hooks or validation ran (e.g. waiting for an approval): the tool must not start.
    if (ctx.abort.aborted)
      return this.#fail({ kind: 'aborted', message: 'the run was aborted before this call ran' });
    if (tool.replay === 'recorded' && ctx.state.llm.recordedToolResult !== undefined)
      return this.#answerFromRecording(ctx.state.llm);
    const context = new ToolCallContext(ctx.signal, call, ctx.state, this.step);
    let output: unknown;
    try {
      output = tool.run(call.args, context);
    } catch (error) {
      ToolCallContext.release(context);
      return this.#threw(error);
    }
    if (!isPromiseLike(output)) {
      ToolCallContext.release(context);
      return this.#succeed(output);
    }
    const timeoutMs = tool.timeoutMs;
    const settled =
      ctx.raceAbort || timeoutMs !== undefined
        ? ToolCallContext.scope(context).race(output, timeoutMs)
        : Promise.resolve(output);
    return settled.then(
      (value) => {
        ToolCallContext.release(context);
        if (!isInterruption(value)) this.#succeed(value);
        else if (value.interrupted === 'timeout')
          this.#fail({ kind: 'timeout', message: `${call.name} did not finish within ${timeoutMs} ms` });
        else this.#fail({ kind: 'aborted', message: 'the run was aborted while the tool ran' });
      },
      (error: unknown) => {
        ToolCallContext.release(context);
        this.#threw(error);
      },
    );
  }

  /** A `replay: 'recorded'` tool in a replay: the recorded result stands in for running it. */
  #answerFromRecording(llm: LLMBackend): undefined {
    const call = this.call;
    let recorded: { data?: unknown; error?: ToolError } | undefined;
    try {
      recorded = llm.recordedToolResult!({ step: this.step, name: call.name, args: call.args });
    } catch (error) {
      return this.#fail({
        kind: 'no_recording',
        message: `looking up the recorded result of ${call.name} threw: ${errorMessage(error)}`,
      });
    }
    if (recorded === undefined) return this.#fail(noRecording(call));
    if (recorded.error !== undefined) return this.#fail(recorded.error);
    return this.#succeed(recorded.data);
  }

  #succeed(data: unknown): undefined {
    const problem = findJsonProblem(data);
    if (problem !== undefined) return this.#fail(invalidResult(`${this.call.name} returned`, problem));
    this.#finish(dataResult(this.call, data, this.#elapsed()));
    return undefined;
  }

  #threw(error: unknown): undefined {
    return this.#fail({
      kind: this.ctx.abort.aborted ? 'aborted' : 'tool_threw',
      message: errorMessage(error),
    });
  }

  #fail(error: ToolError): undefined {
    this.#finish(errorResult(this.call, error, this.#elapsed()));
    return undefined;
  }
}

/** Placeholder until the call has a result (every path sets one before the outcome is read). */
const PENDING: ToolResult = Object.freeze({ callId: '', name: '', args: {}, durationMs: 0 });

/**
 * What a tool's `run` receives. Its `signal` is the call's own (see `CallScope`), made only when
 * the tool reads it: most tools never do, and then the call costs no AbortController.
 */
class ToolCallContext implements ToolContext {
  readonly call: ToolCall;
  readonly state: LoopState;
  readonly step: number;
  readonly #parent: AbortSignal;
  #scope: CallScope | undefined;

  constructor(parent: AbortSignal, call: ToolCall, state: LoopState, step: number) {
    this.#parent = parent;
    this.call = call;
    this.state = state;
    this.step = step;
  }

  get signal(): AbortSignal {
    return ToolCallContext.scope(this).signal;
  }

  /** The call's scope (made on first use). Static, so tools cannot reach it through their context. */
  static scope(context: ToolCallContext): CallScope {
    context.#scope ??= new CallScope(context.#parent);
    return context.#scope;
  }

  /** Unlinks the call's signal from the run's once the call has settled. */
  static release(context: ToolCallContext): void {
    context.#scope?.dispose();
  }
}
