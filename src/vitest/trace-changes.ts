import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { EvalOutcome } from '../evals/types.js';
import type { RunRecord } from '../report/run-record.js';
import type { InfrastructureError } from '../report/summary.js';
import { CHUNK_SUFFIX, parseChunkFile, type TraceRef } from './plan.js';

/**
 * Detects evals (or agents, or anything they start) that change recorded traces while a run
 * scores them. Before the run, every file of every trace the run reads is noted (size, mtime,
 * inode); after it, each trace whose files differ — changed, added, removed — is an error of kind
 * `trace` naming the file and the eval files that ran on the trace. `-u` re-records traces on
 * purpose: the traces the run updated are left out. Stat-only, so a run over many traces pays a
 * stat per file, not a read.
 */

/** A file's identity and state, as `stat` gives it. */
interface FileState {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** The files of the traces a run reads, noted before it scores them. */
export interface TraceSnapshot {
  root: string;
  traces: Array<{ ref: TraceRef; files: Map<string, FileState> }>;
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

/** Notes the files of each trace. */
export function snapshotTraces({
  root,
  traces,
}: {
  root: string;
  traces: readonly TraceRef[];
}): TraceSnapshot {
  return { root, traces: traces.map((ref) => ({ ref, files: filesOf(ref.dir) })) };
}

/**
 * The traces whose files changed since `snapshot`, as errors of kind `trace`: each names the
 * first changed file (relative to the project root) and the eval files that ran on the trace.
 */
export function traceChanges({
  snapshot,
  outcomes,
  runs,
}: {
  snapshot: TraceSnapshot;
  outcomes: readonly EvalOutcome[];
  runs: readonly RunRecord[];
}): InfrastructureError[] {
  const { root } = snapshot;
  const updated = new Set(
    runs.flatMap((run) => (run.updated && run.trace !== undefined ? [path.resolve(root, run.trace)] : [])),
  );
  const errors: InfrastructureError[] = [];
  for (const { ref, files } of snapshot.traces) {
    if (updated.has(path.resolve(ref.dir))) continue;
    const change = firstChange({ before: files, after: filesOf(ref.dir) });
    if (!change) continue;
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
      message: `${relative(root, change.file)} was ${change.how} while evals ran (${ran}). Traces are read-only to evals and agents: write elsewhere (a temporary directory); \`looplet-eval -u\` re-records traces. Restore the trace (git checkout) and run again`,
    });
  }
  return errors;
}

function relative(root: string, file: string): string {
  const relativePath = path.relative(root, file);
  return relativePath.startsWith('..') || path.isAbsolute(relativePath) ? file : relativePath;
}

function firstChange({
  before,
  after,
}: {
  before: Map<string, FileState>;
  after: Map<string, FileState>;
}): { file: string; how: string } | undefined {
  for (const [file, state] of before) {
    const now = after.get(file);
    if (!now) return { file, how: 'deleted' };
    if (now.ino !== state.ino) return { file, how: 'replaced' };
    if (now.size !== state.size || now.mtimeMs !== state.mtimeMs) return { file, how: 'changed' };
  }
  for (const file of after.keys()) if (!before.has(file)) return { file, how: 'added' };
  return undefined;
}

/** Every file under a trace directory (hidden entries included: a trace has none of its own). */
function filesOf(dir: string): Map<string, FileState> {
  const files = new Map<string, FileState>();
  const walk = (at: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = path.join(at, entry.name);
      if (entry.isDirectory()) walk(file);
      else {
        try {
          const { size, mtimeMs, ino } = statSync(file);
          files.set(file, { size, mtimeMs, ino });
        } catch {
          // Gone between listing and stat: the comparison sees it missing.
        }
      }
    }
  };
  walk(dir);
  return files;
}
