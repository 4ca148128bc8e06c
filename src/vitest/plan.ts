import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { walkTraceDirs } from '../provenance/find-traces.js';

/** A trace directory to score, with the id reports and test names use (its path under the traces root). */
export interface TraceRef {
  id: string;
  dir: string;
}

/** A case to run (a YAML/JSON case file may hold several), with its id. */
export interface CaseRef {
  id: string;
  file: string;
}

/** Options every worker needs to score a chunk; plain JSON (it crosses into vitest's workers). */
export interface ScoringOptions {
  /** Default pass threshold for numeric scores. */
  threshold?: number;
  /** Only evals with one of these tags. */
  include: string[];
  /** No evals with any of these tags. */
  exclude: string[];
  /** Per-eval timeout in ms when the eval sets none. */
  timeoutMs: number;
  /** Let evaluated code reach the network (the sandbox blocks it by default). */
  allowNetwork?: boolean;
  /** The judge model for evals that take one (an OpenAI-compatible server; key from OPENAI_API_KEY). */
  judge?: { model: string; baseURL?: string };
  /** Hosts reachable even in the sandbox (an LLM judge's). */
  allowHosts?: string[];
  /**
   * Send each outcome as a vitest annotation (what @vitest/ui and IDEs display). One message per
   * test, so it is on for interactive runs (`--ui`, `--watch`) and off for CI, where the report
   * reads outcomes from test meta.
   */
  annotate?: boolean;
  /**
   * Keep traces read by one run for the next (a `--watch` session: its runtime — the main
   * process, or a scoring thread kept between runs — outlives a run): a re-run reads again only
   * the traces that changed.
   */
  reuseTraces?: boolean;
  /**
   * How traces (and cases with a `trace`) in an agent's scope are run (default `strict`):
   * `strict` replays the recorded model answers through the agent and ends the run as diverged at
   * the first request that differs; `lenient` serves the answers in order whatever the requests
   * and keeps the differences as warnings; `off` scores every trace as recorded.
   */
  replay?: ReplayOption;
  /**
   * `-u`: re-record against the live model the replays that diverged (`diverged`) or every
   * replayed trace (`all`), replacing each trace directory atomically.
   */
  update?: 'diverged' | 'all';
}

/** The values of `--replay`. */
export const REPLAY_OPTIONS = ['strict', 'lenient', 'off'] as const;
export type ReplayOption = (typeof REPLAY_OPTIONS)[number];

/** What one vitest test file ("chunk") scores: every eval of every eval file against a slice of traces. */
export interface ChunkPlan {
  planVersion: 1;
  /** 1-based chunk number and the number of chunks, for display. */
  index: number;
  count: number;
  /** The project root: reports name files relative to it, replayed runs go under its `.looplet/replays`. */
  root: string;
  evalFiles: string[];
  traces: TraceRef[];
  cases: CaseRef[];
  /** The trace directories scored (absolute): read-only while evals run. */
  traceRoots?: string[];
  options: ScoringOptions;
}

/** The suffix that marks looplet's generated test files; the custom runner recognises them by it. */
export const CHUNK_SUFFIX = '.looplet.mjs';

/**
 * Finds the traces to score under the given roots (see `walkTraceDirs`: complete traces only, v1
 * or Python looplet). Ids are paths relative to the root they were found under, with `/`
 * separators, sorted, so every shard of a CI matrix plans the same chunks.
 */
export function findTraceRefs({ paths, cwd }: { paths: readonly string[]; cwd: string }): TraceRef[] {
  const found = new Map<string, TraceRef>();
  for (const root of paths) {
    const absolute = path.resolve(cwd, root);
    for (const dir of walkTraceDirs({ root: absolute })) {
      const relative = path.relative(absolute, dir).split(path.sep).join('/');
      if (!found.has(dir)) found.set(dir, { id: relative === '' ? path.basename(absolute) : relative, dir });
    }
  }
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Traces per chunk. Chunks are vitest's unit of parallelism and of `--shard`, so they must be several. */
const TARGET_TRACES_PER_CHUNK = 400;

/** Cases per chunk: a case runs an agent, so far fewer fit in a chunk than traces. */
const TARGET_CASES_PER_CHUNK = 25;

/**
 * Splits traces and cases into chunks: traces into at least `minChunks` (so workers and shards
 * have work) of about {@link TARGET_TRACES_PER_CHUNK}, cases into chunks of their own.
 * Deterministic for given lists, so every shard of a CI matrix plans the same chunks.
 */
export function planChunks({
  traces,
  cases,
  minChunks,
  tracesPerChunk = TARGET_TRACES_PER_CHUNK,
}: {
  traces: readonly TraceRef[];
  cases: readonly CaseRef[];
  minChunks: number;
  tracesPerChunk?: number;
}): Array<{ traces: TraceRef[]; cases: CaseRef[] }> {
  const chunks: Array<{ traces: TraceRef[]; cases: CaseRef[] }> = [];
  // A multiple of `minChunks` (the workers × shards), so each gets the same number of chunks.
  const per = Math.max(1, minChunks);
  const rounds = Math.max(1, Math.ceil(traces.length / (per * tracesPerChunk)));
  for (const slice of split(traces, per * rounds)) chunks.push({ traces: slice, cases: [] });
  for (const slice of split(cases, Math.ceil(cases.length / TARGET_CASES_PER_CHUNK)))
    chunks.push({ traces: [], cases: slice });
  // vitest still needs a file to report "nothing to score" from.
  if (chunks.length === 0) chunks.push({ traces: [], cases: [] });
  return chunks;
}

/** Splits a list into at most `count` contiguous slices of near-equal size. */
function split<T>(items: readonly T[], count: number): T[][] {
  if (items.length === 0) return [];
  const parts = Math.min(items.length, Math.max(1, count));
  const size = Math.ceil(items.length / parts);
  const slices: T[][] = [];
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size));
  return slices;
}

/**
 * Writes one generated test file per chunk into `dir` and returns their paths and plans. `dir` is named
 * after the plan's content, so files already there from an identical plan are identical.
 * Each file is an ES module whose default export is the {@link ChunkPlan}; the runner reads it.
 */
export async function writeChunkFiles({
  dir,
  root,
  evalFiles,
  traceRoots,
  chunks,
  options,
}: {
  dir: string;
  root: string;
  evalFiles: string[];
  traceRoots: string[];
  chunks: Array<{ traces: TraceRef[]; cases: CaseRef[] }>;
  options: ScoringOptions;
}): Promise<Array<{ file: string; plan: ChunkPlan }>> {
  await mkdir(dir, { recursive: true });
  // The cache directory ignores itself, as pytest's does, so nobody commits generated files.
  await writeFile(path.join(path.dirname(dir), '.gitignore'), '# generated by looplet-eval\n*\n');
  const width = String(chunks.length).length;
  const files: Array<{ file: string; plan: ChunkPlan }> = [];
  for (const [offset, { traces, cases }] of chunks.entries()) {
    const plan: ChunkPlan = {
      planVersion: 1,
      index: offset + 1,
      count: chunks.length,
      root,
      evalFiles,
      traces,
      cases,
      traceRoots,
      options,
    };
    const file = path.join(
      dir,
      `evals-${String(offset + 1).padStart(width, '0')}-of-${chunks.length}${CHUNK_SUFFIX}`,
    );
    // Another run with the same plan may be reading this very file: replace it whole, never in place.
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${CHUNK_PREFIX}${JSON.stringify(plan)};\n`);
    await rename(temporary, file);
    files.push({ file, plan });
  }
  return files;
}

const CHUNK_PREFIX = '// Generated by looplet-eval for vitest; do not edit.\nexport default ';

/** Reads a chunk file written by {@link writeChunkFiles}. */
export function parseChunkFile(text: string): ChunkPlan {
  const start = text.indexOf('export default ');
  if (start < 0) throw new Error('not a looplet chunk file');
  return JSON.parse(
    text
      .slice(start + 'export default '.length)
      .trim()
      .replace(/;$/, ''),
  ) as ChunkPlan;
}
