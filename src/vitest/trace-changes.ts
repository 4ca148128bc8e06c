import { lstatSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { EvalOutcome } from '../evals/types.js';
import type { RunRecord } from '../report/run-record.js';
import type { InfrastructureError } from '../report/summary.js';
import { CHUNK_SUFFIX, parseChunkFile, type TraceRef } from './plan.js';
import { statTrace, type TraceCheck, uncheckedTrace, watchTrace } from './trace-checks.js';

/**
 * Detects evals (or agents, or anything they start) that change recorded traces while a run
 * scores them. After the run, each trace whose files changed — written, added, removed, replaced —
 * is an error of kind `trace` naming the file and the eval files that ran on the trace. `-u`
 * re-records traces on purpose: the traces the run updated are left out.
 *
 * On Linux the kernel tells: one inotify watch per trace directory (a Python trace has 2 and 34
 * files) reports any change to the files in it, so the run pays a watch per directory (and a
 * `lstat` or two to find its subdirectories) instead of a stat per file before and after it.
 * Elsewhere — or when the system runs out of watches — each file's size, mtime and inode are noted
 * before the run and compared after it.
 */

/** How a run notices changed traces: kernel watches (Linux) or a stat of every file before and after. */
export type TraceCheckMethod = 'watch' | 'stat';

/** The traces of a run, checked from before it scores them until {@link traceChanges}. */
export interface TraceSnapshot {
  root: string;
  checks: TraceCheck[];
  /** Where checks that saw no change go when the run ends, for the next run (watch mode). */
  kept?: KeptTraceChecks;
}

/**
 * Kernel watches kept between the runs of a watch session, by trace directory. A re-run reuses the
 * watch of a trace that nothing touched since it was set (no event at all): the watch has been
 * reporting since before the re-run, so it tells what changed during the re-run as a new one
 * would — without listing the trace's directories and setting new watches on every re-run. A
 * watch that saw anything (the edit that started the re-run) is set again. vitest's file watcher
 * and these watches are `fs.watch` handles of one event loop, which reads the kernel's events for
 * all of them at once: the edit that starts a re-run reached its trace's watch before vitest
 * (which waits a little for more edits) started the re-run.
 */
export class KeptTraceChecks {
  readonly #checks = new Map<string, TraceCheck>();

  /** The kept check of `ref`'s directory if it saw nothing since it was set; closes it otherwise. */
  take(ref: TraceRef): TraceCheck | undefined {
    const check = this.#checks.get(ref.dir);
    if (!check) return undefined;
    this.#checks.delete(ref.dir);
    if (check.untouched()) {
      check.ref = ref;
      return check;
    }
    check.close();
    return undefined;
  }

  keep(check: TraceCheck): void {
    this.#checks.get(check.ref.dir)?.close();
    this.#checks.set(check.ref.dir, check);
  }

  /** Closes every kept watch (the session is over). */
  close(): void {
    for (const check of this.#checks.values()) check.close();
    this.#checks.clear();
  }
}

/** The traces the chunk files of a run score (files that are not looplet chunks are ignored). */
export function tracesOfChunks(files: readonly string[]): TraceRef[] {
  const traces = new Map<string, TraceRef>();
  for (const file of files) {
    if (!file.endsWith(CHUNK_SUFFIX)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const ref of parseChunkFile(text).traces) traces.set(ref.dir, ref);
  }
  return [...traces.values()];
}

/** Starts checking each trace (`method` defaults to `watch` on Linux, `stat` elsewhere). */
export function snapshotTraces({
  root,
  traces,
  method = process.platform === 'linux' ? 'watch' : 'stat',
  kept,
}: {
  root: string;
  traces: readonly TraceRef[];
  method?: TraceCheckMethod;
  /** Watches kept from the session's previous runs: reused where untouched, and given the unchanged ones at the end. */
  kept?: KeptTraceChecks;
}): TraceSnapshot {
  const checks: TraceCheck[] = [];
  let watching = method === 'watch';
  for (const ref of traces) {
    const reused = kept?.take(ref);
    if (reused) {
      checks.push(reused);
      continue;
    }
    // A trace directory may be a link the user gave (followed); in a watch session one swapped
    // for a link since the plan is not walked (it may lead to `/`): the reader refuses it. Gone
    // since the plan: the reader says so.
    const stats = (kept ? lstatSync : statSync)(ref.dir, { throwIfNoEntry: false });
    if (!stats?.isDirectory()) {
      checks.push(uncheckedTrace(ref));
      continue;
    }
    if (watching) {
      const check = watchTrace(ref, stats);
      if (check) {
        checks.push(check);
        continue;
      }
      watching = false; // Out of watches: the rest are noted file by file.
    }
    checks.push(statTrace(ref));
  }
  return { root, checks, ...(kept ? { kept } : {}) };
}

/**
 * The traces whose files changed since `snapshot`, as errors of kind `trace`: each names the
 * first changed file (relative to the project root) and the eval files that ran on the trace.
 * Ends the checks (a snapshot with `kept` keeps the untouched watches there).
 */
export async function traceChanges({
  snapshot,
  outcomes,
  runs,
}: {
  snapshot: TraceSnapshot;
  outcomes: readonly EvalOutcome[];
  runs: readonly RunRecord[];
}): Promise<InfrastructureError[]> {
  await kernelEventsDelivered();
  const { root } = snapshot;
  const updated = new Set(
    runs.flatMap((run) => (run.updated && run.trace !== undefined ? [path.resolve(root, run.trace)] : [])),
  );
  const errors: InfrastructureError[] = [];
  for (const check of snapshot.checks) {
    const change = updated.has(path.resolve(check.ref.dir)) ? undefined : check.change();
    if (snapshot.kept && check.untouched()) snapshot.kept.keep(check);
    else check.close();
    if (!change) continue;
    const { ref } = check;
    const evalFiles = [
      ...new Set(
        outcomes.flatMap((outcome) =>
          outcome.context === ref.id && outcome.file !== undefined ? [relative(root, outcome.file)] : [],
        ),
      ),
    ].sort();
    const ran = evalFiles.length > 0 ? `eval files run on it: ${evalFiles.join(', ')}` : 'no eval ran on it';
    errors.push({
      source: ref.id,
      kind: 'trace',
      message: `${relative(root, change.file)} was ${change.how} while evals ran (${ran}). Traces are read-only to evals and agents: write elsewhere (a temporary directory); \`looplet-eval -u\` re-records traces. ${
        // In a watch session the change may be the user's own edit, which the session scores next.
        snapshot.kept
          ? 'If you changed it yourself, ignore this: the session scores it again now'
          : 'Restore the trace (git checkout) and run again'
      }`,
    });
  }
  return errors;
}

/** Ends the checks without reporting (a run that stopped early). */
export function closeSnapshot(snapshot: TraceSnapshot): void {
  for (const check of snapshot.checks) check.close();
}

/**
 * Lets the event loop read what the kernel queued: a write made before the run ended is queued
 * by then, and one full turn of the loop (a timer, then the poll phase) hands it to the watchers.
 */
async function kernelEventsDelivered(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  await new Promise((resolve) => setImmediate(resolve));
}

function relative(root: string, file: string): string {
  const relativePath = path.relative(root, file);
  return relativePath.startsWith('..') || path.isAbsolute(relativePath) ? file : relativePath;
}
