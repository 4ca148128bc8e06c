import { canonicalJsonLine } from '../core/canonical-json.js';
import type { ToolSpec } from '../core/llm.js';
import type { StepData } from '../core/step.js';
import type { Message } from '../core/types.js';
import { toolResultContent } from '../loop/prompt.js';
import type { ReplayDivergence } from './errors.js';
import type { RecordedSteps } from './recorded-steps.js';
import type { Redactor } from './redaction.js';
import { describeCallsChange } from './request-change.js';
import { type CallView, renderCalls, unifiedDiff } from './request-view.js';

/**
 * The `tool-calls` replay check, for traces whose requests cannot match the new run's (Python
 * looplet traces: their prompts were built by the Python harness). Before the model call of step
 * k, the tool calls the run made at step k − 1 — names, arguments, results or errors, in order,
 * as the conversation holds them — are compared with the recorded step k − 1. Results are
 * compared as the model reads them (`toolResultContent`), JSON in canonical form, so key order
 * does not count. Both sides are redacted as the trace was (a secret in a result is not a change,
 * and never reaches a diff). Each recorded step is read once, when its turn comes.
 *
 * The new run's arguments are the model's (the conversation keeps them as sent); the recorded
 * step's are the ones the tools ran with, so a hook that rewrites arguments shows as a change.
 */
export class ToolCallsCheck {
  readonly #steps: RecordedSteps;
  readonly #redactor: Redactor;
  /** The last step compared. */
  #checked = 0;

  constructor({ steps, redactor }: { steps: RecordedSteps; redactor: Redactor }) {
    this.#steps = steps;
    this.#redactor = redactor;
  }

  /** Before the model call of loop step `step`: compares step `step − 1`, the last turn in `messages`. */
  beforeCall(args: {
    step: number;
    messages: readonly Message[];
    tools: readonly ToolSpec[];
  }): ReplayDivergence | undefined {
    return this.#check({ ...args, index: args.step - 1 });
  }

  /** After the run: compares its last step `step` (no model call followed it), if not compared yet. */
  atEnd(args: {
    step: number;
    messages: readonly Message[];
    tools: readonly ToolSpec[];
  }): ReplayDivergence | undefined {
    return this.#check({ ...args, index: args.step });
  }

  #check({
    index,
    messages,
    tools,
  }: {
    index: number;
    messages: readonly Message[];
    tools: readonly ToolSpec[];
  }): ReplayDivergence | undefined {
    if (index < 1 || index <= this.#checked || index > this.#steps.count) return undefined;
    this.#checked = index;
    const fresh = lastTurnCalls(messages, this.#redactor);
    if (fresh === undefined) return undefined; // compaction left no model turn to compare
    const recorded = recordedCalls(this.#steps.get(index), this.#redactor);
    const summary = describeCallsChange({ step: index, recorded, fresh });
    if (summary.length === 0) return undefined;
    const known = new Set(tools.map((tool) => tool.name));
    const gone = [...new Set(recorded.map((call) => call.name))].filter((name) => !known.has(name));
    summary.unshift(...gone.map((name) => `tool \`${name}\` is not among the agent's tools`));
    const diff = unifiedDiff({
      before: renderCalls(recorded),
      after: renderCalls(fresh),
      beforeName: `recorded step ${index}`,
      afterName: `new run, step ${index}`,
    });
    return { callIndex: index, summary, diff };
  }
}

/** The calls of the last model turn in `messages`, with their results; undefined when there is no turn. */
function lastTurnCalls(messages: readonly Message[], redactor: Redactor): CallView[] | undefined {
  let at = messages.length - 1;
  while (at >= 0 && messages[at]!.role !== 'assistant') at--;
  const assistant = messages[at];
  if (assistant?.role !== 'assistant') return undefined;
  const results = new Map<string, string>();
  for (let index = at + 1; index < messages.length; index++) {
    const message = messages[index]!;
    if (message.role === 'tool' && !results.has(message.toolCallId))
      results.set(message.toolCallId, message.content);
  }
  return (assistant.toolCalls ?? []).map((call) => ({
    name: call.name,
    args: redactor.value(call.args),
    result: comparable(results.get(call.id), redactor),
  }));
}

/** A recorded step's calls, each with its result as the model would read it. */
function recordedCalls(step: StepData, redactor: Redactor): CallView[] {
  return step.toolCalls.map((call, index) => {
    const result =
      step.results[index]?.callId === call.id
        ? step.results[index]
        : step.results.find((candidate) => candidate.callId === call.id);
    return {
      name: call.name,
      args: redactor.value(call.args),
      result: result && comparable(toolResultContent(result), redactor),
    };
  });
}

/**
 * Tool output in a form where only content counts: JSON in canonical form, other text as it is;
 * redacted (JSON by key and pattern, as trace files are; text by pattern).
 */
function comparable(content: string | undefined, redactor: Redactor): string | undefined {
  if (content === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return redactor.text(content);
  }
  return canonicalJsonLine(redactor.value(parsed));
}
