import type { LLMBackend, LLMRequest, LLMResponse } from '../core/llm.js';
import type { ToolCall, Usage } from '../core/types.js';
import { LoopletError } from '../util/errors.js';
import { withToolCallsFromText } from './text-tool-calls.js';

/**
 * One scripted model turn: text, tool calls, or both. A function computes the turn from the request.
 * A text turn written as a JSON tool call (`{"tool": "add", "args": {…}}`, Python looplet's form) is a
 * tool call (see `textToolCalls`).
 */
export type ScriptedTurn =
  | {
      text?: string;
      /** Calls without an `id` get one from the loop's id generator. */
      toolCalls?: Array<{ id?: string; name: string; args?: Record<string, unknown> }>;
      usage?: Usage;
      /** Throw this instead of answering (to script provider failures). */
      error?: Error;
    }
  | ((request: LLMRequest) => LLMResponse | Promise<LLMResponse>);

/**
 * The script ran out: the loop asked for more turns than it holds. The run ends with
 * `replay_exhausted` and this error in `RunResult.error`.
 */
export class ScriptExhaustedError extends LoopletError {
  readonly endReason = 'replay_exhausted' as const;
  /** 1-based number of the model call that had no scripted turn (as trace call files are numbered). */
  readonly callIndex: number;

  constructor({ callIndex, length }: { callIndex: number; length: number }) {
    super({
      message: `the script holds ${length} turn(s) but model call #${callIndex} asked for another; add a turn or end the run earlier (e.g. with a done call)`,
      code: 'SCRIPT_EXHAUSTED',
    });
    this.callIndex = callIndex;
  }
}

/** `assertComplete()` found turns the run never asked for. */
export class ScriptIncompleteError extends LoopletError {
  readonly used: number;
  readonly length: number;

  constructor({ used, length }: { used: number; length: number }) {
    super({
      message: `the script holds ${length} turn(s) but only ${used} were used`,
      code: 'SCRIPT_INCOMPLETE',
    });
    this.used = used;
    this.length = length;
  }
}

/**
 * A model that answers from a list of turns, in order: for tests, examples and evals with no
 * network. Turns may be functions of the request.
 *
 * @example
 * new ScriptedLLM([{ toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] }, { text: 'plain answer' }])
 */
export class ScriptedLLM implements LLMBackend {
  readonly model: string;
  readonly turns: readonly ScriptedTurn[];
  #next = 0;

  constructor(turns: readonly ScriptedTurn[], { model = 'scripted' }: { model?: string } = {}) {
    this.turns = turns;
    this.model = model;
  }

  /** How many turns have been served. */
  get calls(): number {
    return this.#next;
  }

  async generate(request: LLMRequest): Promise<LLMResponse> {
    const index = this.#next;
    const turn = this.turns[index];
    if (turn === undefined)
      throw new ScriptExhaustedError({ callIndex: index + 1, length: this.turns.length });
    this.#next++;
    if (typeof turn === 'function') return turn(request);
    if (turn.error) throw turn.error;
    const response: LLMResponse = {};
    if (turn.text !== undefined) response.text = turn.text;
    if (turn.toolCalls) {
      response.toolCalls = turn.toolCalls.map(
        (call): ToolCall => ({ id: call.id ?? '', name: call.name, args: call.args ?? {} }),
      );
    }
    if (turn.usage) response.usage = turn.usage;
    // A text turn written as a JSON tool call is one, as in Python looplet's scripted backends.
    return withToolCallsFromText(response, request.tools);
  }

  /** Throws {@link ScriptIncompleteError} unless every turn was used. */
  assertComplete(): void {
    if (this.#next !== this.turns.length)
      throw new ScriptIncompleteError({ used: this.#next, length: this.turns.length });
  }

  /** Starts the script over. */
  reset(): void {
    this.#next = 0;
  }
}
