import fc from 'fast-check';
import type { Usage } from '../core/types.js';
import type { ScriptedTurn } from '../llm/scripted.js';
import { DONE_TOOL_NAME, doneTool } from '../tools/done-tool.js';
import { type CallValidity, type ToolShape, toolCall } from './tool-arbitraries.js';

/** A scripted turn as data (the non-function form of `ScriptedTurn`). */
export type ScriptTurn = Exclude<ScriptedTurn, (...args: never[]) => unknown>;

/** Options of {@link script}. */
export interface ScriptOptions {
  /** The tools the model may call. A `done` tool among them gives the final call its schema. */
  tools: readonly ToolShape[];
  /** Turns before the final one: at least (default 0) … */
  minTurns?: number;
  /** … and at most (default 5). */
  maxTurns?: number;
  /** Most tool calls in one turn (default 3). */
  maxCallsPerTurn?: number;
  /** Which calls turns make (default `any`: mostly valid, some invalid, some of unknown tools). */
  validity?: CallValidity;
  /** Let some turns carry text beside their calls, and the run end with a plain text answer (default true). */
  text?: boolean;
  /** Let some turns report token usage (default true). */
  usage?: boolean;
  /** Let a turn be a model failure (`{ error }`) that ends the run with `llm_error` (default false). */
  failures?: boolean;
}

const words = fc
  .array(fc.constantFrom('checking', 'the', 'notes', 'next', 'step', 'looks', 'fine', 'now'), {
    minLength: 1,
    maxLength: 5,
  })
  .map((parts) => parts.join(' '));

const usage: fc.Arbitrary<Usage> = fc
  .tuple(fc.nat({ max: 500 }), fc.nat({ max: 200 }))
  .map(([promptTokens, completionTokens]) => ({
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
  }));

/**
 * Scripts for `ScriptedLLM` that terminate: some turns of tool calls, then a final turn that
 * calls the done tool with valid arguments (or, with `text`, answers in plain text). Calls carry
 * no id, so the loop's id generator names them. A run of such a script ends `done` unless hooks,
 * `maxSteps` or a failure turn end it first (or `checkDone` rejects, and the script runs out).
 */
export function script(options: ScriptOptions): fc.Arbitrary<ScriptTurn[]> {
  const {
    tools,
    minTurns = 0,
    maxTurns = 5,
    maxCallsPerTurn = 3,
    validity = 'any',
    text = true,
    usage: withUsage = true,
    failures = false,
  } = options;
  const callable = tools.filter((tool) => tool.name !== DONE_TOOL_NAME);
  const done = tools.find((tool) => tool.name === DONE_TOOL_NAME) ?? doneTool();
  const calls =
    callable.length > 0
      ? fc.array(toolCall({ tools: callable, validity }), { minLength: 1, maxLength: maxCallsPerTurn })
      : fc.array(toolCall({ tools: [], validity: 'unknown_tool' }), {
          minLength: 1,
          maxLength: maxCallsPerTurn,
        });
  const extras = fc.record(
    {
      text: text ? fc.option(words, { freq: 4, nil: undefined }) : fc.constant(undefined),
      usage: withUsage ? fc.option(usage, { freq: 3, nil: undefined }) : fc.constant(undefined),
    },
    { requiredKeys: [] },
  );
  const toolTurn = fc.tuple(calls, extras).map(([list, extra]) => turn({ ...extra, toolCalls: list }));
  const failure = fc.constantFrom('model overloaded', 'connection reset').map((message) => ({
    error: new Error(message),
  }));
  const middle = failures
    ? fc.oneof({ weight: 12, arbitrary: toolTurn }, { weight: 1, arbitrary: failure })
    : toolTurn;
  const doneCall = toolCall({ tools: [done], validity: 'valid' });
  const finalTurn = text
    ? fc.oneof(
        {
          weight: 4,
          arbitrary: fc.tuple(doneCall, extras).map(([call, extra]) => turn({ ...extra, toolCalls: [call] })),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(words, extras).map(([answer, extra]) => turn({ ...extra, text: answer })),
        },
      )
    : fc.tuple(doneCall, extras).map(([call, extra]) => turn({ usage: extra.usage, toolCalls: [call] }));
  return fc
    .tuple(fc.array(middle, { minLength: minTurns, maxLength: Math.max(minTurns, maxTurns) }), finalTurn)
    .map(([turns, last]) => [...turns, last]);
}

/** A turn without ids on its calls and without absent fields (so it prints and compares cleanly). */
function turn({
  text,
  usage: used,
  toolCalls,
}: {
  text?: string | undefined;
  usage?: Usage | undefined;
  toolCalls?: Array<{ name: string; args: Record<string, unknown>; argsError?: string }>;
}): ScriptTurn {
  const out: ScriptTurn = {};
  if (text !== undefined) out.text = text;
  if (toolCalls !== undefined) out.toolCalls = toolCalls.map(({ name, args }) => ({ name, args }));
  if (used !== undefined) out.usage = used;
  return out;
}
