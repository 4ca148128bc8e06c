import type { Step } from '../../core/step.js';
import type { EndReason } from '../../core/types.js';
import { type Colors, picocolors } from '../../util/colors.js';
import type { Hook } from '../hooks.js';
import { toolResultContent } from '../prompt.js';
import type { RunResult } from '../result.js';

const CONTINUATION = '      ';

/** The options of {@link consoleTracer}. */
export interface ConsoleTracerOptions {
  /** Receives one line at a time, without a trailing newline. Default: standard error. */
  write?: (line: string) => void;
  /** Also print the model's text, hook-added context and each tool result as the model reads it. */
  verbose?: boolean;
  /**
   * Colour the output. Default: on when writing to a standard error that is a terminal and
   * `NO_COLOR` is not set (picocolors' rules); off when `write` is given.
   */
  color?: boolean;
  /** Longest text printed for one verbose item before it is cut (default 500 characters). */
  maxChars?: number;
}

/**
 * A hook that prints each step's one-line summary (`step.pretty()`) as it finishes, and one line
 * when the run ends: end reason (and stop reason), steps, tokens and the time the steps spanned
 * (measured with the loop's clock). `verbose` adds the model's text and the tool results.
 *
 * @example
 * agentLoop({ llm, tools, task, hooks: [consoleTracer({ verbose: true })] });
 * // #1 ✓ search(query='cats') → 12 items [182ms]
 * // ■ done · 3 steps · 1234 tokens (1100 prompt + 134 completion) · 1.4s
 */
export function consoleTracer(options: ConsoleTracerOptions = {}): Hook {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const colors = picocolors().createColors(
    options.color ?? (options.write === undefined && stderrWantsColor()),
  );
  const maxChars = options.maxChars ?? 500;
  const verbose = options.verbose === true;

  // Multi-line text goes out one line per write; continuation lines are indented under the first.
  const writeBlock = (prefix: string, text: string) => {
    const [first, ...rest] = clip(text, maxChars).split('\n');
    write(`${prefix}${first}`);
    for (const line of rest) write(`${CONTINUATION}${line}`);
  };

  return {
    name: 'consoleTracer',
    onStep({ current }: { current: Step }) {
      const line = current.pretty();
      write(current.hasError ? colors.red(line) : line);
      // A refused done call shows on the step line; a refused plain-text answer needs its own line.
      if (current.doneRejected !== undefined && current.toolCalls.length === 0)
        write(colors.yellow(`   ✗ done rejected: ${current.doneRejected}`));
      if (!verbose) return;
      if (current.text) writeBlock(colors.dim('   💬 '), current.text);
      for (const result of current.results)
        writeBlock(colors.dim(`   ← ${result.name}: `), toolResultContent(result));
      for (const context of current.context) writeBlock(colors.dim('   + '), context);
    },
    onLoopEnd({ result }: { result: RunResult }) {
      write(endLine(result, colors));
    },
  };
}

function endLine(result: RunResult, colors: Colors): string {
  const reason =
    result.stopReason === undefined ? result.endReason : `${result.endReason} (${result.stopReason})`;
  const steps = `${result.steps.length} step${result.steps.length === 1 ? '' : 's'}`;
  const { promptTokens, completionTokens, totalTokens } = result.usage;
  const tokens =
    totalTokens === 0 && promptTokens === 0 && completionTokens === 0
      ? 'tokens not reported'
      : `${totalTokens} tokens (${promptTokens} prompt + ${completionTokens} completion)`;
  const parts = [`■ ${reason}`, steps, tokens, formatDuration(spannedMs(result))];
  return endColor(result.endReason, colors)(parts.join(' · '));
}

/** From the first step's start to the last step's end, on the loop's (injectable) clock. */
function spannedMs(result: RunResult): number {
  const first = result.steps[0];
  const last = result.steps.at(-1);
  if (first === undefined || last === undefined) return 0;
  return last.startedAt + last.durationMs - first.startedAt;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

function endColor(reason: EndReason, colors: Colors): (text: string) => string {
  switch (reason) {
    case 'done':
      return colors.green;
    case 'hook_stop':
    case 'max_steps':
    case 'aborted':
      return colors.yellow;
    default:
      return colors.red;
  }
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars
    ? text
    : `${text.slice(0, maxChars)}… (${text.length - maxChars} more chars)`;
}

/**
 * picocolors decides from standard output; the tracer writes to standard error, so when stdout is
 * a terminal but stderr is redirected (`2> log.txt`) colours are turned off too.
 */
function stderrWantsColor(): boolean {
  if (!picocolors().isColorSupported) return false;
  return !(process.stdout.isTTY === true && process.stderr.isTTY !== true);
}
