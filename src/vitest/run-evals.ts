import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Reporter } from 'vitest/node';
import { choosePool, inlinePool, type PoolChoice } from './inline-pool.js';
import { checkVitest } from './peer.js';
import { type ChunkPlan, parseChunkFile, type ScoringOptions } from './plan.js';
import {
  defaultWorkers,
  escapeRegExp,
  LOOPLET_DIST,
  type PlannedRun,
  planRun,
  RUNNER_PATH,
} from './plan-run.js';
import { loopletPool } from './pool.js';
import { defaultHeapLimitMb } from './scoring-thread.js';
import { expectedThreadSpec, ThreadReserve, type ThreadSpec } from './thread-reserve.js';
import { watchFailureWarning, watchTraceRoots } from './trace-watcher.js';
import { provideUiPlan } from './ui-plan.js';
import { noteChangedFile } from './watch-changes.js';
import { chunkHoldingTrace, isReportFile, WATCH_TRACES_PER_CHUNK, watchScope } from './watch-reruns.js';

/** The options of {@link runLoopletEval}: what `looplet-eval` passes after parsing its command line. */
export interface LoopletEvalOptions {
  /** Project root: relative paths resolve against it, reports and the cache go under it. Default: `process.cwd()`. */
  cwd?: string;
  /** Eval files or directories (default `evals`). */
  evals?: readonly string[];
  /** Trace directories (default `traces`, when it exists). */
  traces?: readonly string[];
  /** Case files or directories (default `cases`, when it exists). */
  cases?: readonly string[];
  scoring?: Partial<ScoringOptions>;
  /** vitest's `-t`: run only tests whose name (`eval_name › trace_id`) matches. */
  testNamePattern?: string;
  /** vitest's `--shard i/n`. */
  shard?: string;
  /**
   * Extra vitest reporters: names such as `blob`, `junit`, `verbose`, a module's path (`./r.mjs`,
   * relative to `cwd`, as vitest's `--reporter` takes it) or instances.
   */
  reporters?: Array<string | Reporter>;
  /** Reporter instances looplet adds itself (its report reporter). */
  loopletReporters: Reporter[];
  /** Open @vitest/ui. */
  ui?: boolean;
  /** Port of the UI server, on 127.0.0.1 (default vitest's, 51204; the next free one when taken). */
  uiPort?: number;
  /** Open the UI in a browser (default true with `ui`). */
  open?: boolean;
  /** Where vitest's own output goes (default stdout); `--json` sends it to stderr so stdout is only the report. */
  stdout?: Writable;
  watch?: boolean;
  /** Directory of blob reports to merge instead of running (`--merge-reports`). */
  mergeReports?: string;
  /** Scoring threads (default: one per core; see {@link LoopletEvalOptions.pool}). */
  workers?: number;
  /**
   * Where chunks are scored: `threads` (default), supervised worker threads, where an eval that
   * runs out of memory or blocks costs that eval only; or `inline`, in the main process (no
   * thread to start, ~20 % less CPU, no isolation: such an eval stops the whole run; in watch
   * mode it keeps the traces read between runs). Default: the `LOOPLET_POOL` environment
   * variable, else `threads`; `--ui` always uses threads.
   */
  pool?: PoolChoice;
  /** Where the generated chunk files go (default `<cwd>/.looplet/cache/run`). */
  cacheDir?: string;
  /** Heap limit of each scoring thread in MB (default: a share of the machine's memory, 512–4096). */
  workerHeapMb?: number;
}

/** What a run reports back to the CLI. */
export interface LoopletEvalRun {
  /** Number of eval files and traces planned (0 when merging reports). */
  evalFiles: number;
  traces: number;
  /** For `--watch` and `--ui`: resolves when the session ends. */
  closed: Promise<void>;
  /** For `--ui`: the address the UI is served at. */
  uiUrl?: string;
}

/**
 * Runs evals through vitest, programmatically (no vitest config file needed): plans chunk files
 * for the traces, starts vitest with looplet's runner, and lets the given reporters write the
 * results. Vitest is imported here, lazily, so the CLI's other commands start fast.
 */
export async function runLoopletEval(options: LoopletEvalOptions): Promise<LoopletEvalRun> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const vitestPackage = checkVitest({ ui: options.ui === true, cwd });
  const choice = pick(options, ['pool', 'ui']);
  const pool = choosePool(choice);
  const workers = options.workers ?? defaultWorkers();
  const threads =
    pool === 'threads' && options.mergeReports === undefined
      ? startThreads({ options, workers, vitestRoot: path.dirname(vitestPackage.packageJson) })
      : undefined;
  try {
    return await startVitest({ options, cwd, pool, workers, threads });
  } catch (error) {
    await threads?.spares?.reserve.close();
    throw error;
  }
}

/** The scoring threads of a run: their heap limit, and (outside `--ui`) spares started now. */
interface RunThreads {
  heapLimitMb: number;
  /** The spares, and the options they are started with (what vitest is expected to ask for). */
  spares?: { reserve: ThreadReserve; spec: ThreadSpec };
}

function startThreads({
  options,
  workers,
  vitestRoot,
}: {
  options: LoopletEvalOptions;
  workers: number;
  vitestRoot: string;
}): RunThreads {
  const heapLimitMb = options.workerHeapMb ?? defaultHeapLimitMb(workers);
  if (options.ui) return { heapLimitMb };
  // Scoring threads start loading now, on a core vitest's own start leaves idle (thread-reserve.ts).
  const spec = expectedThreadSpec({ vitestRoot, watch: options.watch === true, heapLimitMb });
  // A watch session keeps each run's threads for the next one.
  const reserve = new ThreadReserve({ keepUsed: options.watch === true });
  reserve.fill({ spec, count: 1 });
  return { heapLimitMb, spares: { reserve, spec } };
}

/** {@link runLoopletEval} once the pool is chosen. */
async function startVitest({
  options,
  cwd,
  pool,
  workers,
  threads,
}: {
  options: LoopletEvalOptions;
  cwd: string;
  pool: PoolChoice;
  workers: number;
  threads: RunThreads | undefined;
}): Promise<LoopletEvalRun> {
  const { createVitest } = await import('vitest/node');
  const reserve = threads?.spares?.reserve;
  // A watch session readies the next run's threads once a run is reported (not while it is).
  const refill = reserve && options.watch ? () => reserve.refill() : undefined;
  const reporters = [
    ...options.loopletReporters.map((reporter) => (refill ? afterRunEnd(reporter, refill) : reporter)),
    ...(options.reporters ?? []).map((reporter) => reporterReference({ reporter, cwd })),
  ];

  if (options.mergeReports !== undefined) {
    const vitest = await createVitest(
      'test',
      {
        root: cwd,
        config: false,
        runner: RUNNER_PATH,
        mergeReports: options.mergeReports,
        reporters,
        watch: false,
      },
      { logLevel: 'error' },
      options.stdout ? { stdout: options.stdout } : {},
    );
    await vitest.mergeReports();
    await vitest.close();
    return { evalFiles: 0, traces: 0, closed: Promise.resolve() };
  }

  const shards = options.shard ? Number(options.shard.split('/')[1]) : 1;
  // A watch session keeps the traces it read for its next runs (in the main process, or in the
  // threads it keeps between runs).
  const reuseTraces = options.watch === true;
  const plan = await planRun({
    cwd,
    ...pick(options, ['evals', 'traces', 'cases', 'workers', 'cacheDir']),
    // The UI runs the eval files themselves (see ui-plan.ts): one chunk carries the shared plan.
    ...(options.ui ? { workers: 1 } : {}),
    // Annotations (and each run's page, attached to its tests) are for the UI to show: a terminal
    // watch session shows neither, and writing a page per run would cost more than the scoring.
    scoring: { ...options.scoring, annotate: options.ui === true, ...(reuseTraces ? { reuseTraces } : {}) },
    shardCount: shards,
    // A re-run re-scores the chunk that holds a changed trace: small chunks keep it quick.
    ...(options.watch ? { tracesPerChunk: WATCH_TRACES_PER_CHUNK } : {}),
  });
  const { evalFiles, traces, traceRoots } = plan;
  threads?.spares?.reserve.fill({
    spec: threads.spares.spec,
    count: Math.min(workers, Math.ceil(plan.entries.length / shards)),
  });
  // `--ui` lists and runs the eval files, each scored against every trace and case.
  const uiPlan = options.ui ? await wholePlan(plan) : undefined;
  const entries = uiPlan ? evalFiles : plan.entries;
  const watchedRoots = [...plan.evalRoots, ...traceRoots, ...plan.caseRoots].map((root) =>
    path.resolve(cwd, root).split(path.sep).join('/'),
  );
  const chunkOfTrace = uiPlan ? () => undefined : chunkHoldingTrace({ plan, cwd });
  const watchFailed = watchFailureWarning({ cwd, warn: (message) => process.stderr.write(`${message}\n`) });
  const absoluteTraceRoots = traceRoots.map((root) => path.resolve(cwd, root));
  const scope = watchScope({
    traceRoots: absoluteTraceRoots,
    sourceRoots: [...plan.evalRoots, ...plan.caseRoots].map((root) => path.resolve(cwd, root)),
  });
  const vitest = await createVitest(
    'test',
    {
      root: cwd,
      config: false,
      include: entries.map((entry) => path.relative(cwd, entry).split(path.sep).join('/')),
      exclude: [],
      runner: RUNNER_PATH,
      server: { deps: { external: [LOOPLET_DIST] } },
      // Threads by default: a supervised thread that runs out of memory or hangs costs one eval.
      pool: threads
        ? loopletPool({
            maxWorkers: workers,
            heapLimitMb: threads.heapLimitMb,
            ...(reserve ? { reserve } : {}),
          })
        : inlinePool(),
      // Eval files are imported once per worker and shared by its chunks: isolation would re-import them per chunk.
      isolate: false,
      // The in-process pool has one runtime: its chunks run one after the other.
      maxWorkers: pool === 'inline' ? 1 : workers,
      reporters,
      // Annotations' attachments (each run's page) are copied here, not into the project root.
      attachmentsDir: path.join(cwd, '.looplet', 'cache', 'attachments'),
      watch: options.watch === true || options.ui === true,
      ui: options.ui === true,
      // The UI can run tests and write files: serve it on loopback only.
      ...(options.ui
        ? { api: { host: '127.0.0.1', ...(options.uiPort ? { port: options.uiPort } : {}) } }
        : {}),
      open: options.ui === true && options.open !== false,
      passWithNoTests: true,
      ...(uiPlan ? { provide: provideUiPlan(uiPlan) } : {}),
      ...(options.testNamePattern ? { testNamePattern: options.testNamePattern } : {}),
      ...(options.shard ? { shard: options.shard } : {}),
      // Edits to evals, traces or cases change what the chunks score: re-run every chunk on any
      // of them. vitest matches these globs against absolute paths, so the roots are made absolute.
      forceRerunTriggers: watchedRoots.map((root) => `${root}/**`),
      // A re-recorded trace replaces its directory whole: its files are unlinked, then added
      // again under the same paths, and vitest ignores the adds of files it just saw deleted when
      // it only has the globs above. Trigger patterns are consulted first, for every event.
      watchTriggerPatterns: [
        {
          pattern: new RegExp(`^(?:${watchedRoots.map(escapeRegExp).join('|')})/`),
          // Writes in progress happen in hidden temporary directories: wait for the final rename.
          testsToRun: (file) => {
            // Hidden below its root (not above it: a project may live under a hidden directory).
            const root = watchedRoots.find((watched) => file.startsWith(`${watched}/`));
            if (root !== undefined && file.slice(root.length).includes('/.')) return undefined;
            noteChangedFile(file);
            return chunkOfTrace(file) ?? entries;
          },
        },
      ],
    },
    {
      logLevel: 'error',
      cacheDir: path.join(cwd, '.looplet', 'cache', 'vite'),
      // vite's watcher throws its errors (an unhandled rejection that ended the session) unless
      // someone listens: registered as soon as the watcher exists, before it walks the project.
      plugins: [
        {
          name: 'looplet:watch-errors',
          configureServer: (server) =>
            void server.watcher.on('error', (error) => watchFailed(error as NodeJS.ErrnoException)),
        },
      ],
      server: {
        watch: {
          // The watcher skips .looplet/ (the reports and chunk files each run writes there are no
          // change to react to) and the traces roots, which looplet watches itself (see below).
          ignored: ['**/.looplet/**', scope.ignoredByVite],
        },
      },
    },
    options.stdout ? { stdout: options.stdout } : {},
  );
  if (options.watch || options.ui) {
    // Reported to vitest's watcher as vite's would have: the trigger patterns above decide what re-runs.
    const traceWatcher = watchTraceRoots({
      roots: absoluteTraceRoots,
      leftOut: scope.ignoredByLooplet,
      // A removal is reported as a change: vitest consults the trigger patterns for changes and
      // additions only, and a trace that lost a file (or went) must be scored again.
      onEvent: (event, file) => {
        if (!isReportFile(file)) vitest.vite.watcher.emit(event === 'unlink' ? 'change' : event, file);
      },
      onWatchRefused: watchFailed,
    });
    await vitest.start();
    const closed = new Promise<void>((resolve) => vitest.onClose(() => resolve())).then(() => {
      traceWatcher.close();
      return reserve?.close();
    });
    // The port actually bound: vite moves to the next free one when the configured port is taken.
    const address = vitest.vite.httpServer?.address();
    const uiUrl =
      options.ui && address && typeof address === 'object'
        ? `http://127.0.0.1:${address.port}${vitest.config.uiBase}`
        : undefined;
    return { evalFiles: evalFiles.length, traces: traces.length, closed, ...(uiUrl ? { uiUrl } : {}) };
  }
  try {
    await vitest.start();
  } finally {
    await vitest.close();
    await reserve?.close();
  }
  return { evalFiles: evalFiles.length, traces: traces.length, closed: Promise.resolve() };
}

/**
 * `reporter`, calling `after` once its `onTestRunEnd` has finished: vitest calls every reporter's
 * hook at once, so another reporter cannot wait for it.
 */
function afterRunEnd(reporter: Reporter, after: () => void): Reporter {
  return new Proxy(reporter, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (key !== 'onTestRunEnd') return value.bind(target);
      return async (...args: unknown[]) => {
        try {
          await value.apply(target, args);
        } finally {
          after();
        }
      };
    },
  });
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/** One plan covering every trace and case of a run, with the scoring options its chunks carry. */
async function wholePlan(plan: PlannedRun): Promise<ChunkPlan> {
  const first = parseChunkFile(await readFile(plan.entries[0]!, 'utf8'));
  return { ...first, index: 1, count: 1, traces: plan.traces, cases: plan.cases };
}

/**
 * A reporter as vitest should load it: a path starting with `./` or `../` made absolute against
 * `cwd`, as vitest's own `--reporter` does. Given as it is, vitest's module loader would take it
 * relative to the directory *above* the root, loading a file of that name there when one exists.
 */
export function reporterReference<T extends string | Reporter>({
  reporter,
  cwd,
}: {
  reporter: T;
  cwd: string;
}): T | string {
  return typeof reporter === 'string' && /^\.\.?[\\/]/.test(reporter)
    ? path.resolve(cwd, reporter)
    : reporter;
}
