import { canonicalJsonLine } from '../core/canonical-json.js';
import type { StepData } from '../core/step.js';
import { formatTask } from '../loop/prompt.js';
import { oneLine } from '../util/text.js';
import type { EvalContext } from './types.js';

/** The options of {@link formatTranscript}. */
export interface FormatTranscriptOptions {
  /** The run to render (from a live run, a case or a trace). */
  context: EvalContext;
  /**
   * Longest transcript in characters (default 20 000). Past it, steps from the middle of the run
   * are left out (and the transcript says which): the task, the first and the last steps stay.
   */
  maxChars?: number;
  /** Longest rendering of one value — arguments, a result, the model's text (default 400). */
  valueChars?: number;
}

const DEFAULT_MAX_CHARS = 20_000;
const DEFAULT_VALUE_CHARS = 400;

/**
 * The run as plain text, for an LLM judge or a log: the task, every tool call with its arguments
 * and result (or error), what the model said, and how the run ended. The layout follows Python
 * looplet's session log (`═══ SESSION LOG ═══`, `S<step>: <tool>`, `→ <result>`), with each call's
 * arguments and results, which a judge needs to check claims against. Bounded: long values are cut,
 * and a long run keeps its first and last steps.
 *
 * @example
 * export async function eval_supported(ctx: EvalContext, { judge }: EvalTools) {
 *   return judge.score({ rubric: 'Is every number in the final output backed by a tool result?', input: formatTranscript({ context: ctx }) });
 * }
 */
export function formatTranscript({
  context,
  maxChars = DEFAULT_MAX_CHARS,
  valueChars = DEFAULT_VALUE_CHARS,
}: FormatTranscriptOptions): string {
  const value = (data: unknown) =>
    oneLine(typeof data === 'string' ? data : canonicalJsonLine(data), Math.max(valueChars, 10));
  const head = ['═══ SESSION LOG ═══', `Task: ${indentRest(formatTask(context.task))}`, '', 'Steps:'];
  const end = context.stopReason
    ? `${context.endReason} (${oneLine(context.stopReason)})`
    : context.endReason;
  const tail = ['', `End: ${end}`];
  if (context.finalOutput !== undefined) tail.push(`Final output: ${value(context.finalOutput)}`);
  const blocks = context.steps.map((step) => ({ step: step.index, text: stepLines(step, value).join('\n') }));
  if (blocks.length === 0) head.push('  (none)');
  return [...head, ...fitSteps(blocks, maxChars - [...head, ...tail].join('\n').length - 2), ...tail].join(
    '\n',
  );
}

function stepLines(step: StepData, value: (data: unknown) => string): string[] {
  const at = `  S${step.index}:`;
  const lines: string[] = [];
  if (step.text?.trim()) lines.push(`${at} (model) ${value(step.text)}`);
  step.toolCalls.forEach((call, index) => {
    const result = step.results[index];
    lines.push(`${at} ${call.name}(${value(result?.args ?? call.args)})`);
    if (result?.error) lines.push(`    ✗ ${result.error.kind}: ${value(result.error.message)}`);
    else if (result && result.data !== undefined) lines.push(`    → ${value(result.data)}`);
  });
  if (step.doneRejected !== undefined) lines.push(`    ✗ done refused: ${value(step.doneRejected)}`);
  for (const context of step.context) lines.push(`    context: ${value(context)}`);
  return lines;
}

/** The step blocks that fit in `budget` characters, from both ends, with a line naming the steps left out. */
function fitSteps(blocks: Array<{ step: number; text: string }>, budget: number): string[] {
  const all = blocks.map((block) => block.text);
  if (all.reduce((sum, text) => sum + text.length + 1, 0) <= budget) return all;
  const first: string[] = [];
  const last: string[] = [];
  let used = 80; // room for the line that says what was left out
  let low = 0;
  let high = blocks.length - 1;
  while (low <= high) {
    const fromStart = first.length <= last.length;
    const text = blocks[fromStart ? low : high]!.text;
    if (used + text.length + 1 > budget) break;
    used += text.length + 1;
    if (fromStart) first.push(blocks[low++]!.text);
    else last.unshift(blocks[high--]!.text);
  }
  const from = blocks[low]!.step;
  const to = blocks[high]!.step;
  const range = from === to ? `step ${from}` : `steps ${from}–${to}`;
  return [...first, `  … ${range} left out: the transcript is limited to its maxChars …`, ...last];
}

/** Indents every non-empty line after the first, so a multi-line task stays under its `Task:` label. */
function indentRest(text: string): string {
  return text.replace(/\n(?=.)/g, '\n  ');
}
