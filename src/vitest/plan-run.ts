import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findEvalFiles } from '../evals/discover.js';
import { LoopletError } from '../util/errors.js';
import { CODE_DIR } from '../util/package-files.js';
import {
  type CaseRef,
  type ChunkPlan,
  findTraceRefs,
  planChunks,
  type ScoringOptions,
  type TraceRef,
  writeChunkFiles,
} from './plan.js';

/** Where `runner.js` lives once built: the runner vitest loads into each worker. */
export const RUNNER_PATH = path.join(CODE_DIR, 'vitest', 'runner.js');

/**
 * looplet's own compiled files, for vitest's `server.deps.external`. Installed from npm they sit
 * in node_modules and vitest loads them with Node's own loader; from a checkout or a link they
 * would go through vite's transform instead. Nothing depends on there being one copy (marks live
 * on the eval function), so this is for speed only: at 1,000 traces from a linked checkout the
 * transform cost 0.4 s of CPU and 30 MB more (measured beside the bench, 2026-11-30).
 */
export const LOOPLET_DIST = new RegExp(`^${escapeRegExp(CODE_DIR + path.sep)}`);

/** A text as a regular expression that matches it literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Worker threads for a run: one per core. The main process only waits while workers score (it
 * reports at the end), so unlike vitest's default (cores − 1) no core is left for it.
 */
export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism());
}

/** The run cannot be planned as asked (clashing ids…): a configuration error. */
export class PlanError extends LoopletError {
  constructor({ message }: { message: string }) {
    super({ message, code: 'PLAN' });
  }
}

/** The options of {@link planRun}. */
export interface PlanRunOptions {
  /** Project root; relative paths resolve against it. */
  cwd: string;
  /** Eval files or directories (default `evals`). */
  evals?: readonly string[];
  /** Trace roots (default `traces`, when it exists). */
  traces?: readonly string[];
  /** Case files or directories (default `cases`, when it exists). */
  cases?: readonly string[];
  scoring?: Partial<ScoringOptions>;
  /** Worker threads the run will use: chunks are planned so each has work. */
  workers?: number;
  /** CI shards (`--shard i/n` → n): chunks are planned so each shard has work. */
  shardCount?: number;
  /** Where chunk files go (default `<cwd>/.looplet/cache/run`). */
  cacheDir?: string;
  /** Traces per chunk, about (default 400; a watch session takes fewer, so a re-run re-scores few). */
  tracesPerChunk?: number;
}

/** A planned run: the generated chunk files vitest will run, and what they cover. */
export interface PlannedRun {
  entries: string[];
  /** What each entry scores. */
  plans: ChunkPlan[];
  evalFiles: string[];
  traces: TraceRef[];
  cases: CaseRef[];
  evalRoots: string[];
  traceRoots: string[];
  caseRoots: string[];
}

/**
 * Finds eval files and traces and writes the chunk files vitest runs. Shared by `looplet-eval`
 * and the vitest config helper, so both paths score exactly the same tests.
 */
export async function planRun(options: PlanRunOptions): Promise<PlannedRun> {
  const cwd = options.cwd;
  const evalRoots = [...(options.evals ?? ['evals'])];
  const evalFiles = await findEvalFiles({ paths: evalRoots, cwd });
  const traceRoots = [...(options.traces ?? (existsSync(path.join(cwd, 'traces')) ? ['traces'] : []))];
  const traces = findTraceRefs({ paths: traceRoots, cwd });
  const workers = options.workers ?? defaultWorkers();
  const cases: CaseRef[] = [];
  const caseRoots = [...(options.cases ?? (existsSync(path.join(cwd, 'cases')) ? ['cases'] : []))];
  for (const dir of caseRoots) {
    // Loaded only when there are cases: the YAML parser and schema compiler cost ~50 ms to import.
    const { loadCases } = await import('../evals/cases.js');
    for (const item of await loadCases({ dir, cwd })) cases.push({ id: item.id, file: item.file });
  }
  const traceIds = new Set(traces.map((trace) => trace.id));
  const clash = cases.find((item) => traceIds.has(item.id));
  if (clash)
    throw new PlanError({
      message: `case id "${clash.id}" (${clash.file}) is also a trace id; rename one — ids are keys in reports and baselines`,
    });
  const chunks = planChunks({
    traces,
    cases,
    minChunks: workers * Math.max(options.shardCount ?? 1, 1),
    ...(options.tracesPerChunk ? { tracesPerChunk: options.tracesPerChunk } : {}),
  });
  const scoring: ScoringOptions = { include: [], exclude: [], timeoutMs: 60_000, ...options.scoring };
  const written = await writeChunkFiles({
    dir: options.cacheDir ?? (await runDir({ cwd, evalFiles, chunks, scoring })),
    root: cwd,
    evalFiles,
    traceRoots: traceRoots.map((root) => path.resolve(cwd, root)),
    chunks,
    options: scoring,
  });
  return {
    entries: written.map(({ file }) => file),
    plans: written.map(({ plan }) => plan),
    evalFiles,
    traces,
    cases,
    evalRoots,
    traceRoots,
    caseRoots,
  };
}

/** Chunk directories unused for this long are removed when a run is planned. */
const STALE_RUN_DIR_MS = 24 * 60 * 60 * 1000;

/**
 * The directory for a plan's chunk files, named after what it scores. Runs with the same inputs —
 * the shards of a CI matrix, on any machine — get the same file names, which vitest's `--shard`
 * needs to split the files the same way everywhere; runs with other inputs (a watch session beside
 * a CI run) get their own directory and never rewrite each other's files.
 */
async function runDir({
  cwd,
  evalFiles,
  chunks,
  scoring,
}: {
  cwd: string;
  evalFiles: string[];
  chunks: unknown;
  scoring: ScoringOptions;
}): Promise<string> {
  const cacheRoot = path.join(cwd, '.looplet', 'cache');
  // Relative paths: CI machines check the project out in different places, and must agree. Most
  // strings are trace directories under the root: a prefix cut, not a path.relative each.
  const prefix = cwd.endsWith(path.sep) ? cwd : `${cwd}${path.sep}`;
  const relativeTo = (value: string) =>
    value.startsWith(prefix) && !value.includes(`${path.sep}..`)
      ? value.slice(prefix.length).split(path.sep).join('/')
      : path.relative(cwd, value).split(path.sep).join('/');
  const relative = JSON.stringify({ evalFiles, chunks, scoring }, (_key, value: unknown) =>
    typeof value === 'string' && path.isAbsolute(value) ? relativeTo(value) : value,
  );
  const key = createHash('sha256').update(relative).digest('hex').slice(0, 12);
  const dir = path.join(cacheRoot, `run-${key}`);
  await removeStaleRunDirs({ cacheRoot, keep: dir });
  return dir;
}

async function removeStaleRunDirs({ cacheRoot, keep }: { cacheRoot: string; keep: string }): Promise<void> {
  const entries = await readdir(cacheRoot).catch(() => [] as string[]);
  for (const name of entries) {
    const dir = path.join(cacheRoot, name);
    if (!name.startsWith('run-') || dir === keep) continue;
    const modified = (await stat(dir).catch(() => undefined))?.mtimeMs ?? 0;
    if (Date.now() - modified > STALE_RUN_DIR_MS) await rm(dir, { recursive: true, force: true });
  }
}
