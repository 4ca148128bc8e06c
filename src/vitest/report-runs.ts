import path from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { RecordedTrace } from '../provenance/types.js';
import { prepareReportRun, REPORT_STEP_BUDGET } from '../report/html/report-page.js';
import type { EmbeddedRun } from '../report/html/run-data.js';
import { pathsAffectedBy } from './watch-changes.js';

// The HTML report shows every run step by step. The thread that scored a trace has it open and
// parsed: it embeds the run there and sends it to the reporter, so the main thread does not read
// thousands of traces a second time at the end of the run. Anything missing (a run that was not
// sent, a merged report, a message not yet delivered) the report reads from the trace itself, and
// gets the same bytes.

/** One channel per process: worker threads and the main thread reach each other through it. */
const CHANNEL = 'looplet:report-runs';

interface SharedRun {
  dir: string;
  run: EmbeddedRun;
}

let sender: BroadcastChannel | undefined;
/** Runs embedded since the last send: one message per delivery of results, as a message costs ~0.1 ms. */
let pending: SharedRun[] = [];

/**
 * Traces whose run this thread sent. A watch session's thread scores the very trace objects again
 * while their files do not change (trace-cache.ts), and the reporter keeps their runs until then:
 * each is embedded and sent once.
 */
const sent = new WeakSet<RecordedTrace>();

/** Embeds a scored trace's run for the report, unless sent before; {@link sendReportRuns} sends it. */
export function shareReportRun(trace: RecordedTrace): void {
  if (sent.has(trace)) return;
  try {
    pending.push({ dir: path.resolve(trace.dir), run: prepareReportRun(trace) });
    sent.add(trace);
  } catch {
    // The report reads the trace itself and says what is wrong with it.
  }
}

/** Sends the runs embedded so far to the reporter of this process. */
export function sendReportRuns(): void {
  if (pending.length === 0) return;
  if (!sender) {
    sender = new BroadcastChannel(CHANNEL);
    sender.unref(); // Never what keeps a thread alive.
  }
  sender.postMessage(pending);
  pending = [];
}

/**
 * Collects the runs scoring threads send. It lives as long as the reporter: in watch mode a re-run
 * re-scores the traces that changed, their runs replace the old ones, and the report of every
 * other run is not read again. Keeps at most twice the report's step budget: the report cannot
 * embed more, and reads the rest if it needs them.
 *
 * A run is kept until a file under its trace directory changes (see {@link forgetChanged}): a
 * thread sends the run of a trace it scores again unchanged only once, and a thread that never
 * sends a changed trace's run (it crashed) leaves the report to read that trace itself.
 */
export class ReportRunCollector {
  readonly runs = new Map<string, EmbeddedRun>();
  #bytes = 0;
  readonly #channel = new BroadcastChannel(CHANNEL);

  constructor() {
    this.#channel.unref();
    this.#channel.onmessage = (event) => {
      const batch = (event as { data?: unknown }).data;
      if (!Array.isArray(batch)) return;
      for (const item of batch as Partial<SharedRun>[]) {
        if (typeof item?.dir !== 'string' || !item.run) continue;
        const replaced = this.runs.get(item.dir);
        if (!replaced && this.#bytes > 2 * REPORT_STEP_BUDGET) continue;
        this.runs.set(item.dir, item.run);
        this.#bytes += item.run.bytes - (replaced?.bytes ?? 0);
      }
    };
  }

  /** Drops the runs of the trace directories these files are in (files the watcher reported). */
  forgetChanged(files: readonly string[]): void {
    for (const file of files)
      for (const at of pathsAffectedBy(file)) {
        this.#bytes -= this.runs.get(at)?.bytes ?? 0;
        this.runs.delete(at);
      }
  }
}
