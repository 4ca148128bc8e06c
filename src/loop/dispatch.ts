import type { Tool } from '../tools/define-tool.js';
import { errorMessage } from '../util/errors.js';
import type { HookDecision } from './decision.js';
import { type Hook, runDecisionHooks } from './hooks.js';
import type { LoopState } from './state.js';
import type { Clock, ToolCall, ToolError, ToolResult } from './types.js';

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
  /** Resolves (never rejects) when the run is aborted; raced with tools that ignore the signal. */
  aborted: Promise<void> | undefined;
}

/**
 * Dispatches a response's tool calls. Consecutive calls whose tools are `concurrent` run together;
 * every other call runs alone, in order. Hooks run in call order either way, and results are
 * returned in call order.
 */
export async function dispatchCalls(
  ctx: DispatchContext,
  step: number,
  calls: readonly ToolCall[],
): Promise<DispatchOutcome[]> {
  const outcomes: DispatchOutcome[] = new Array(calls.length);
  let index = 0;
  while (index < calls.length) {
    if (ctx.signal.aborted) {
      for (; index < calls.length; index++) outcomes[index] = abortedOutcome(calls[index]!);
      break;
    }
    let end = index + 1;
    if (ctx.tools.get(calls[index]!.name)?.concurrent) {
      while (end < calls.length && ctx.tools.get(calls[end]!.name)?.concurrent) end++;
    }
    if (end - index === 1) {
      outcomes[index] = await dispatchOne(ctx, step, calls[index]!);
    } else {
      const batch = calls.slice(index, end).map((call) => dispatchOne(ctx, step, call));
      const done = await Promise.all(batch);
      for (let offset = 0; offset < done.length; offset++) outcomes[index + offset] = done[offset]!;
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

async function dispatchOne(ctx: DispatchContext, step: number, original: ToolCall): Promise<DispatchOutcome> {
  const started = ctx.clock.now();
  const context: string[] = [];
  let metadata: Record<string, unknown> | undefined;
  let stop: string | undefined;
  const absorb = (decision: HookDecision) => {
    if (decision.additionalContext !== undefined) context.push(decision.additionalContext);
    if (decision.metadata !== undefined) metadata = { ...metadata, ...decision.metadata };
    if (stop === undefined && decision.stop !== undefined) stop = decision.stop;
  };

  let call = original;
  let result: ToolResult | undefined;
  if (ctx.preDispatchHooks.length > 0) {
    let pre = runDecisionHooks(ctx.preDispatchHooks, 'preDispatch', { state: ctx.state, step, call }, step);
    if (pre instanceof Promise) pre = await pre;
    absorb(pre);
    if (pre.updatedArgs !== undefined) call = { ...call, args: pre.updatedArgs };
    if (pre.block !== undefined) result = blockedResult(call, pre, ctx.clock.now() - started);
    else if (pre.updatedResult !== undefined)
      result = {
        callId: call.id,
        name: call.name,
        args: call.args,
        data: pre.updatedResult,
        durationMs: ctx.clock.now() - started,
      };
  }
  if (result === undefined && ctx.permissionHooks.length > 0) {
    let permission = runDecisionHooks(
      ctx.permissionHooks,
      'checkPermission',
      { state: ctx.state, step, call },
      step,
    );
    if (permission instanceof Promise) permission = await permission;
    absorb(permission);
    if (permission.block !== undefined)
      result = blockedResult(
        call,
        { ...permission, retry: permission.retry ?? false },
        ctx.clock.now() - started,
      );
  }
  if (result === undefined) {
    const ran = await runTool(ctx, step, call);
    call = ran.call;
    result = { ...ran.result, durationMs: ctx.clock.now() - started };
  }
  if (ctx.postDispatchHooks.length > 0) {
    let post = runDecisionHooks(
      ctx.postDispatchHooks,
      'postDispatch',
      { state: ctx.state, step, call, result },
      step,
    );
    if (post instanceof Promise) post = await post;
    absorb(post);
    if (post.updatedResult !== undefined) {
      result = {
        callId: result.callId,
        name: result.name,
        args: result.args,
        data: post.updatedResult,
        durationMs: result.durationMs,
      };
    }
  }
  return { call, result, context, metadata, stop };
}

function blockedResult(call: ToolCall, decision: HookDecision, durationMs: number): ToolResult {
  return errorResult(
    call,
    { kind: decision.retry === false ? 'denied' : 'blocked', message: decision.block ?? 'blocked' },
    durationMs,
  );
}

/** Validates and runs one call; never throws (a throw becomes a `tool_threw` result). */
async function runTool(
  ctx: DispatchContext,
  step: number,
  call: ToolCall,
): Promise<{ call: ToolCall; result: ToolResult }> {
  const tool = ctx.tools.get(call.name);
  if (!tool) {
    const known = [...ctx.tools.keys()].join(', ');
    return {
      call,
      result: errorResult(
        call,
        { kind: 'unknown_tool', message: `no tool named "${call.name}"; available: ${known}` },
        0,
      ),
    };
  }
  if (call.argsError !== undefined) {
    return {
      call,
      result: errorResult(
        call,
        { kind: 'invalid_args', message: `arguments for ${call.name} could not be read: ${call.argsError}` },
        0,
      ),
    };
  }
  const validation = await tool.schema.validate(call.args);
  if (!validation.ok) {
    return {
      call,
      result: errorResult(
        call,
        {
          kind: 'invalid_args',
          message: `invalid arguments for ${call.name}: ${validation.issues.join('; ')}`,
        },
        0,
      ),
    };
  }
  const validCall: ToolCall = { id: call.id, name: call.name, args: validation.value };
  try {
    let output: unknown = tool.run(validation.value, {
      signal: ctx.signal,
      call: validCall,
      state: ctx.state,
      step,
    });
    if (output instanceof Promise) {
      if (ctx.aborted) {
        // The tool may reject after the run gave up on it: mark that rejection handled.
        output.catch(() => {});
        output = await Promise.race([output, ctx.aborted.then((): typeof ABORTED => ABORTED)]);
      } else {
        output = await output;
      }
    }
    if (output === ABORTED) {
      return {
        call: validCall,
        result: errorResult(
          validCall,
          { kind: 'aborted', message: 'the run was aborted while the tool ran' },
          0,
        ),
      };
    }
    return {
      call: validCall,
      result: { callId: call.id, name: call.name, args: validCall.args, data: output, durationMs: 0 },
    };
  } catch (error) {
    const kind = ctx.signal.aborted ? 'aborted' : 'tool_threw';
    return { call: validCall, result: errorResult(validCall, { kind, message: errorMessage(error) }, 0) };
  }
}

const ABORTED: unique symbol = Symbol('aborted');
