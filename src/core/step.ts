import type { ToolCall, ToolResult, Usage } from './types.js';

/** The plain-data form of a {@link Step}, as stored in traces and shown to evals. */
export interface StepData {
  /** 1-based step number. */
  index: number;
  /** Text the model wrote alongside (or instead of) tool calls. */
  text?: string;
  toolCalls: ToolCall[];
  /** One result per tool call, in call order. */
  results: ToolResult[];
  usage: Usage;
  /** Context hooks added to the conversation during this step, in hook order. */
  context: string[];
  /** Metadata returned by hooks during this step. */
  metadata: Record<string, unknown>;
  /** Set when a `checkDone` hook refused the done call made in this step. */
  doneRejected?: string;
  startedAt: number;
  durationMs: number;
}

const PRETTY_ARG_LIMIT = 40;

/**
 * One model call and the tool calls it asked for. Yielded by `agentLoop()` once the step's tools
 * have run; `pretty()` gives the one-line debug view.
 */
export class Step implements StepData {
  // Declared, not initialised: every field is set once, in order, by the constructor (the loop
  // makes one Step per model call; field initialisers would set each twice).
  declare index: number;
  declare text?: string;
  declare toolCalls: ToolCall[];
  declare results: ToolResult[];
  declare usage: Usage;
  declare context: string[];
  declare metadata: Record<string, unknown>;
  declare doneRejected?: string;
  declare startedAt: number;
  declare durationMs: number;

  constructor(data: StepData) {
    this.index = data.index;
    this.text = data.text;
    this.toolCalls = data.toolCalls;
    this.results = data.results;
    this.usage = data.usage;
    this.context = data.context;
    this.metadata = data.metadata;
    this.doneRejected = data.doneRejected;
    this.startedAt = data.startedAt;
    this.durationMs = data.durationMs;
  }

  /** True when at least one tool call failed. */
  get hasError(): boolean {
    return this.results.some((result) => result.error !== undefined);
  }

  /** One line, e.g. `#1 ✓ search(query='cats') → 12 items [182ms]`. */
  pretty(): string {
    const parts = this.results.map(prettyResult);
    if (parts.length === 0) parts.push(`💬 ${truncate(this.text ?? '', 60)}`);
    return `#${this.index} ${parts.join(' · ')} [${Math.round(this.durationMs)}ms]`;
  }

  /** Plain data (no methods): what traces store. */
  toJSON(): StepData {
    const data: StepData = {
      index: this.index,
      toolCalls: this.toolCalls,
      results: this.results,
      usage: this.usage,
      context: this.context,
      metadata: this.metadata,
      startedAt: this.startedAt,
      durationMs: this.durationMs,
    };
    if (this.text !== undefined) data.text = this.text;
    if (this.doneRejected !== undefined) data.doneRejected = this.doneRejected;
    return data;
  }
}

function prettyResult(result: ToolResult): string {
  const call = `${result.name}(${prettyArgs(result.args)})`;
  if (result.error) return `✗ ${call} → ${result.error.kind}: ${truncate(result.error.message, 60)}`;
  return `✓ ${call} → ${summarize(result.data)}`;
}

function prettyArgs(args: Record<string, unknown>): string {
  return Object.entries(args)
    .map(
      ([key, value]) =>
        `${key}=${truncate(typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? 'undefined'), PRETTY_ARG_LIMIT)}`,
    )
    .join(', ');
}

/** A short description of a tool's output: sizes for collections, the value for scalars. */
function summarize(data: unknown): string {
  if (data === undefined || data === null) return 'ok';
  if (Array.isArray(data)) return `${data.length} items`;
  if (typeof data === 'object') {
    const keys = Object.keys(data);
    return keys.length <= 3 ? `{${keys.join(', ')}}` : `${keys.length} keys`;
  }
  return truncate(String(data), 40);
}

function truncate(text: string, limit: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= limit ? oneLine : `${oneLine.slice(0, limit - 1)}…`;
}
