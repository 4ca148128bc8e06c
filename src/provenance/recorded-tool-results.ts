import { canonicalJsonLine } from '../core/canonical-json.js';
import type { ToolError } from '../core/types.js';
import type { ReplayDivergence } from './errors.js';
import type { RecordedSteps } from './recorded-steps.js';
import type { Redactor } from './redaction.js';
import { unifiedDiff } from './request-view.js';

/** A tool call asking for its recorded result (`LLMBackend.recordedToolResult`). */
export interface ToolResultQuery {
  step: number;
  name: string;
  args: Record<string, unknown>;
}

/** A recorded tool result: its data, or the error it failed with. */
export type RecordedToolResult = { data?: unknown; error?: ToolError };

/** Where a recorded result is: step and position in the step's results. */
interface Position {
  step: number;
  result: number;
}

/**
 * The recorded results of a trace's tool calls, for tools replayed from the trace instead of run
 * (`defineTool({ replay: 'recorded' })`). Calls are matched by tool name and canonical arguments:
 * the k-th call with the same name and arguments gets the k-th recorded result. Steps are read in
 * order, only as far as a call needs, and only positions are kept, not the results themselves.
 * The arguments asked with are redacted as the trace's were, so a call with a secret in its
 * arguments finds its result, and the secret never reaches a divergence.
 */
export class RecordedToolResults {
  readonly #steps: RecordedSteps;
  readonly #redactor: Redactor;
  /** Steps scanned so far (1-based, in order). */
  #scanned = 0;
  readonly #recorded = new Map<string, Position[]>();
  readonly #taken = new Map<string, number>();
  /** The arguments of every call asked for, per tool, for the diff of a call with no recording. */
  readonly #asked = new Map<string, Array<Record<string, unknown>>>();

  constructor({ steps, redactor }: { steps: RecordedSteps; redactor: Redactor }) {
    this.#steps = steps;
    this.#redactor = redactor;
  }

  /** The recorded result for this call, or undefined when the trace holds none (left). */
  take({ name, args: raw }: ToolResultQuery): RecordedToolResult | undefined {
    const args = this.#redactor.value(raw);
    const asked = this.#asked.get(name) ?? [];
    asked.push(args);
    this.#asked.set(name, asked);
    const key = keyOf(name, args);
    const taken = this.#taken.get(key) ?? 0;
    while ((this.#recorded.get(key)?.length ?? 0) <= taken && this.#scanned < this.#steps.count) this.#scan();
    const position = this.#recorded.get(key)?.[taken];
    if (position === undefined) return undefined;
    this.#taken.set(key, taken + 1);
    const result = this.#steps.get(position.step).results[position.result]!;
    return result.error ? { error: { ...result.error } } : { data: result.data };
  }

  /** The divergence of a call the trace has no recorded result for: the tool, its arguments, a diff of the calls. */
  missing({ step, name, args: raw }: ToolResultQuery): ReplayDivergence {
    const args = this.#redactor.value(raw);
    while (this.#scanned < this.#steps.count) this.#scan();
    const prefix = `${name}\u0000`;
    const recorded = [...this.#recorded]
      .filter(([key]) => key.startsWith(prefix))
      .flatMap(([key, positions]) =>
        positions.map((position) => ({ ...position, args: key.slice(prefix.length) })),
      )
      .sort((a, b) => a.step - b.step || a.result - b.result);
    const asked = this.#asked.get(name) ?? [];
    const render = (calls: string[]) => calls.map((line) => `→ ${name} ${line}\n`).join('');
    return {
      callIndex: step,
      summary: [
        `tool \`${name}\` was called with ${canonicalJsonLine(args)}, which the trace has no recorded result for`,
      ],
      diff: unifiedDiff({
        before: render(recorded.map((call) => call.args)),
        after: render(asked.map((call) => canonicalJsonLine(call))),
        beforeName: `recorded calls of ${name}`,
        afterName: `calls of ${name} in the new run`,
      }),
    };
  }

  #scan(): void {
    const index = ++this.#scanned;
    const step = this.#steps.get(index);
    for (const [position, result] of step.results.entries()) {
      const key = keyOf(result.name, result.args);
      const positions = this.#recorded.get(key) ?? [];
      positions.push({ step: index, result: position });
      this.#recorded.set(key, positions);
    }
  }
}

/** Tool name and canonical arguments (one line), the key calls are matched by. */
function keyOf(name: string, args: Record<string, unknown>): string {
  return `${name}\u0000${canonicalJsonLine(args ?? {})}`;
}
