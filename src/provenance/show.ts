import { canonicalJsonLine } from '../core/canonical-json.js';
import type { StepData } from '../core/step.js';
import type { ToolResult } from '../core/types.js';
import { formatTask } from '../loop/prompt.js';
import { oneLine } from '../util/text.js';
import { TraceReadError } from './errors.js';
import type { CallRecord } from './records.js';
import { renderMessage, renderTools } from './request-view.js';
import { type Colors, compactJson, type Write } from './text-output.js';
import type { RecordedTrace } from './types.js';

/** The options of {@link showTrace} and {@link showTraceJson}. */
export interface ShowOptions {
  trace: RecordedTrace;
  write: Write;
  /** Only this step (1-based); its prompt is then shown in full. */
  step?: number;
  /** Also show what the model was sent and what it answered, for every model call. */
  prompts?: boolean;
}

const RESULT_LIMIT = 160;
const ARG_LIMIT = 60;

/**
 * Prints a trace as one readable page: task, each step with its tool calls and results, the end
 * reason and usage; with `prompts`, the model calls too. Steps are read one at a time.
 */
export async function showTrace({
  trace,
  write,
  step,
  prompts = false,
  colors,
}: ShowOptions & { colors: Colors }): Promise<void> {
  const { meta } = trace;
  checkStep(trace, step);
  await write(
    `${colors.bold('Trace')}  ${trace.dir}  ${colors.dim(`(${meta.source === 'looplet' ? `looplet, format v${meta.schemaVersion}` : 'Python looplet'})`)}\n`,
  );
  await write(`${colors.bold('Task')}   ${indentRest(formatTask(meta.task), '       ')}\n`);
  await write(
    `${colors.bold('Model')}  ${meta.model ?? colors.dim('unknown')} · tools: ${meta.tools.map((tool) => tool.name).join(', ') || colors.dim('none')}\n`,
  );
  if (prompts && step === undefined && meta.tools.length > 0)
    await write(
      `${colors.dim(
        renderTools(meta.tools)
          .map((line) => `       ${line}`)
          .join('\n'),
      )}\n`,
    );
  await write('\n');

  const calls = prompts ? new CallCursor(trace) : undefined;
  if (step !== undefined) {
    const data = await trace.readStep(step);
    if (calls) await calls.printUpTo({ step, write, colors, only: true });
    await write(renderStep(data, colors));
  } else {
    for await (const data of trace.steps()) {
      if (calls) await calls.printUpTo({ step: data.index, write, colors });
      await write(renderStep(data, colors));
    }
    if (calls) await calls.printUpTo({ step: Number.POSITIVE_INFINITY, write, colors });
  }

  await write('\n');
  const reason = meta.endReason === 'done' ? colors.green(meta.endReason) : colors.yellow(meta.endReason);
  await write(`${colors.bold('End')}     ${reason}${meta.stopReason ? ` — ${meta.stopReason}` : ''}\n`);
  if ('finalOutput' in meta && meta.finalOutput !== undefined)
    await write(`${colors.bold('Output')}  ${compactJson(meta.finalOutput, 400)}\n`);
  const { promptTokens, completionTokens, totalTokens } = meta.usage;
  await write(
    `${colors.bold('Usage')}   ${promptTokens} prompt + ${completionTokens} completion = ${totalTokens} tokens · ${meta.stepCount} steps · ${meta.callCount} model calls\n`,
  );
  if (Object.keys(trace.artifacts).length > 0)
    await write(`${colors.bold('Artifacts')} ${compactJson(trace.artifacts, 400)}\n`);
  if (Object.keys(trace.expected).length > 0)
    await write(`${colors.bold('Expected')}  ${compactJson(trace.expected, 400)}\n`);
}

/**
 * Prints a trace as JSON: `{ dir, meta, artifacts, expected, steps: [...] }`, one step per line so
 * it streams. With `prompts`, each step carries the model calls it made as stored (`calls`), or,
 * with `step`, with their full requests.
 */
export async function showTraceJson({ trace, write, step, prompts = false }: ShowOptions): Promise<void> {
  checkStep(trace, step);
  const head = { dir: trace.dir, meta: trace.meta, artifacts: trace.artifacts, expected: trace.expected };
  await write(`${JSON.stringify(head).slice(0, -1)},"steps":[`);
  const cursor = prompts ? new CallCursor(trace) : undefined;
  let first = true;
  const emit = async (data: StepData) => {
    const entry: Record<string, unknown> = { ...data };
    if (cursor) {
      entry.calls =
        step === undefined
          ? cursor.takeRecords(data.index)
          : cursor
              .takeRecords(data.index)
              .filter((record) => record.request.step === step)
              .map(({ index }) => trace.readCall(index));
    }
    await write(`${first ? '\n' : ',\n'}${JSON.stringify(entry)}`);
    first = false;
  };
  if (step !== undefined) await emit(await trace.readStep(step));
  else for await (const data of trace.steps()) await emit(data);
  await write('\n]}\n');
}

function checkStep(trace: RecordedTrace, step: number | undefined): void {
  if (step !== undefined && (!Number.isInteger(step) || step < 1 || step > trace.meta.stepCount))
    throw new TraceReadError({
      file: trace.dir,
      problem: `there is no step ${step}: the trace has ${trace.meta.stepCount} step(s), numbered from 1`,
    });
}

/** Walks the model calls alongside the steps: each step shows the calls made up to it. */
class CallCursor {
  readonly #trace: RecordedTrace;
  #next = 1;

  constructor(trace: RecordedTrace) {
    this.#trace = trace;
  }

  /** The stored records of the calls made up to (and in) `step`, each with its number. */
  takeRecords(step: number): Array<CallRecord & { index: number }> {
    const taken: Array<CallRecord & { index: number }> = [];
    while (this.#next <= this.#trace.meta.callCount) {
      const record = this.#trace.readCallRecord(this.#next);
      if (record.request.step > step) break;
      taken.push({ ...record, index: this.#next });
      this.#next++;
    }
    return taken;
  }

  /** Prints the calls made up to `step` (with `only`, just the calls of that step, in full). */
  async printUpTo({
    step,
    write,
    colors,
    only = false,
  }: {
    step: number;
    write: Write;
    colors: Colors;
    only?: boolean;
  }): Promise<void> {
    const records = this.takeRecords(step).filter((record) => !only || record.request.step === step);
    for (const record of records) await this.#print({ record, write, colors, full: only });
  }

  async #print({
    record,
    write,
    colors,
    full,
  }: {
    record: CallRecord & { index: number };
    write: Write;
    colors: Colors;
    full: boolean;
  }): Promise<void> {
    const { index, request } = record;
    const bar = colors.dim('  │ ');
    let heading: string;
    let lines: string[];
    if (full || request.messages) {
      const call = this.#trace.readCall(index);
      heading = `model call ${index} · ${call.request.messages.length} messages`;
      lines = call.request.messages.flatMap((message) => renderMessage(message));
    } else {
      heading = `model call ${index} · continues call ${request.base} with ${request.append?.length ?? 0} new message(s)`;
      lines = (request.append ?? []).flatMap((message) => renderMessage(message));
    }
    if (request.tools) lines.push('[tools]', ...renderTools(request.tools));
    if (request.options) lines.push('[options]', canonicalJsonLine(request.options));
    const body = (parts: string[]) => parts.map((line) => bar + indentRest(line, '  │ ')).join('\n');
    await write(`${colors.cyan(`  ┌ ${heading}`)}\n${body(lines)}\n`);
    if (record.error) {
      await write(`${colors.red(`  └ failed: ${record.error.name}: ${record.error.message}`)}\n`);
      return;
    }
    const response = record.response ?? {};
    const parts: string[] = [];
    if (response.text) parts.push(response.text);
    for (const call of response.toolCalls ?? []) parts.push(`→ ${call.name} ${canonicalJsonLine(call.args)}`);
    await write(`${colors.cyan('  └ response')}\n${body(parts)}\n`);
  }
}

function renderStep(step: StepData, colors: Colors): string {
  const duration = step.durationMs > 0 ? colors.dim(` [${Math.round(step.durationMs)}ms]`) : '';
  const text = step.text ? `  ${oneLine(step.text, 100)}` : '';
  const lines = [`${colors.bold(`#${step.index}`)}${text}${duration}`];
  step.results.forEach((result, index) => {
    const mark = result.error ? colors.red('✗') : colors.green('✓');
    lines.push(`    ${mark} ${renderResult(result, step.toolCalls[index]?.args)}`);
  });
  if (step.results.length === 0 && !step.text) lines.push(colors.dim('    (no tool calls, no text)'));
  for (const context of step.context)
    lines.push(colors.dim(`    + context: ${oneLine(context, RESULT_LIMIT)}`));
  if (Object.keys(step.metadata).length > 0)
    lines.push(colors.dim(`    metadata ${compactJson(step.metadata, RESULT_LIMIT)}`));
  if (step.doneRejected) lines.push(colors.yellow(`    done rejected: ${step.doneRejected}`));
  if (step.usage.totalTokens > 0)
    lines.push(
      colors.dim(
        `    tokens ${step.usage.promptTokens} + ${step.usage.completionTokens} = ${step.usage.totalTokens}`,
      ),
    );
  return `${lines.join('\n')}\n`;
}

function renderResult(result: ToolResult, requested: Record<string, unknown> | undefined): string {
  const args = Object.entries(result.args)
    .map(([key, value]) => `${key}=${compactJson(value, ARG_LIMIT)}`)
    .join(', ');
  const rewritten =
    requested !== undefined && canonicalJsonLine(requested) !== canonicalJsonLine(result.args)
      ? ` (asked: ${compactJson(requested, ARG_LIMIT)})`
      : '';
  const call = `${result.name}(${args})${rewritten}`;
  if (result.error) return `${call} → ${result.error.kind}: ${oneLine(result.error.message, RESULT_LIMIT)}`;
  return `${call} → ${result.data === undefined ? 'ok' : compactJson(result.data, RESULT_LIMIT)}`;
}

function indentRest(text: string, indent: string): string {
  return text.replaceAll('\n', `\n${indent}`);
}
