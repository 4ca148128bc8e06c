import { readTrace } from '../../provenance/read-trace.js';
import { errorMessage } from '../../util/errors.js';
import { type EmbeddedRun, type EmbedLimits, embedRun } from './run-data.js';

/** Runs embedded ahead of the page (by the threads that scored them), by absolute trace directory. */
export type PreparedRuns = ReadonlyMap<string, EmbeddedRun>;

/**
 * Collects the runs a page embeds, within a byte budget shared fairly: each run may take its
 * share of what is left (at least `minShare`), so a few huge traces cannot crowd out the others
 * and the page stays bounded however many runs it holds.
 */
export class RunEmbedder {
  /** The runs embedded, in blob order. */
  readonly runs: EmbeddedRun[] = [];
  #remaining: number;
  readonly #maxString: number;
  readonly #minShare: number;
  readonly #prepared: PreparedRuns | undefined;

  constructor({
    budget,
    maxString,
    minShare,
    prepared,
  }: {
    budget: number;
    maxString: number;
    minShare: number;
    /** Runs already embedded with `maxString` and `maxBytes: minShare`: used where the page would embed the same. */
    prepared?: PreparedRuns;
  }) {
    this.#remaining = budget;
    this.#maxString = maxString;
    this.#minShare = minShare;
    this.#prepared = prepared;
  }

  /**
   * Reads the trace in `dir` and embeds it; `runsLeft` counts this run and the ones still to come.
   * Returns the blob number and the run's end reason and length, or why nothing was embedded.
   */
  embed({
    dir,
    runsLeft,
  }: {
    dir: string;
    runsLeft: number;
  }): { blob: number; endReason: string; stepCount: number } | { missing: string } {
    if (this.#remaining <= 0)
      return {
        missing: 'left out: the page reached its size budget (open the trace with looplet show --html)',
      };
    let run: EmbeddedRun;
    try {
      const limits: EmbedLimits = {
        maxString: this.#maxString,
        maxBytes: Math.min(
          this.#remaining,
          Math.max(this.#remaining / Math.max(runsLeft, 1), this.#minShare),
        ),
      };
      // A run embedded whole ahead of time, within this run's share, is what reading it now gives.
      const prepared = this.#prepared?.get(dir);
      run =
        prepared?.complete && prepared.bytes <= limits.maxBytes
          ? prepared
          : embedRun({ trace: readTrace(dir), limits });
    } catch (error) {
      return { missing: `the trace could not be read: ${errorMessage(error)}` };
    }
    this.#remaining -= run.bytes;
    this.runs.push(run);
    return { blob: this.runs.length - 1, endReason: run.endReason, stepCount: run.stepCount };
  }
}
