import { existsSync } from 'node:fs';
import path from 'node:path';
import { FAIL_ON_VALUES } from '../report/verdict.js';
import { REPLAY_OPTIONS } from '../vitest/plan.js';
import { LoopletReporter, type LoopletReporterOptions } from '../vitest/reporter.js';
import { type LoopletEvalOptions, runLoopletEval } from '../vitest/run-evals.js';
import type { RunFlags } from './commands/run.js';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';
import { choiceFlag, listFlag, numberFlag, shardFlag } from './flags.js';
import { checkLiveModel } from './live-model-check.js';

/** The baseline file used when `--baseline` is not given. */
export const DEFAULT_BASELINE = path.join('.looplet', 'baseline.json');

/** The directory blob reports are merged from when `--merge-reports` has no value (vitest's default). */
export const DEFAULT_BLOB_DIR = '.vitest-reports';

/** Turns the command line into the options of the run and of its reporter; bad flags are usage errors. */
export function evalRunOptions({ paths, flags, cwd }: { paths: string[]; flags: RunFlags; cwd: string }): {
  run: Omit<LoopletEvalOptions, 'loopletReporters'>;
  reporter: LoopletReporterOptions;
} {
  const threshold = numberFlag({ name: 'threshold', value: flags.threshold, min: 0, max: 1 });
  const tolerance = numberFlag({ name: 'tolerance', value: flags.tolerance, min: 0, max: 1 });
  const workers = numberFlag({ name: 'workers', value: flags.workers, min: 1, integer: true });
  const timeoutMs = numberFlag({ name: 'timeout', value: flags.timeout, min: 1, integer: true });
  const failOn = choiceFlag({ name: 'fail-on', value: flags.failOn, choices: FAIL_ON_VALUES });
  const replay = choiceFlag({ name: 'replay', value: flags.replay, choices: REPLAY_OPTIONS });
  const update = updateFlag(flags.update ?? flags.u);
  if (update && replay === 'off')
    throw new UsageError('--update re-records the traces that replay; it cannot be used with --replay off');
  const shard = shardFlag(flags.shard);
  const uiPort = numberFlag({ name: 'port', value: flags.port, min: 1, max: 65_535, integer: true });
  if (flags.baseline !== undefined && !existsSync(path.resolve(cwd, flags.baseline))) {
    throw new UsageError(
      `--baseline ${flags.baseline}: no such file (to create one: looplet-eval baseline update --baseline ${flags.baseline})`,
    );
  }
  const traces = listFlag(flags.traces);
  for (const dir of traces)
    if (!existsSync(path.resolve(cwd, dir))) throw new UsageError(`--traces ${dir}: no such directory`);
  const cases = listFlag(flags.cases);
  for (const dir of cases)
    if (!existsSync(path.resolve(cwd, dir)))
      throw new UsageError(`--cases ${dir}: no such file or directory`);
  const mergeReports =
    flags.mergeReports === undefined || flags.mergeReports === false
      ? undefined
      : flags.mergeReports === true
        ? DEFAULT_BLOB_DIR
        : flags.mergeReports;
  if (mergeReports !== undefined && !existsSync(path.resolve(cwd, mergeReports))) {
    throw new UsageError(
      `--merge-reports ${mergeReports}: no such directory (shards write it with --reporter blob)`,
    );
  }
  if (paths.length === 0 && !existsSync(path.join(cwd, 'evals'))) {
    throw new UsageError(
      'no evals/ directory here: write eval_*.ts files in evals/ (see docs/evals.md), or pass the eval files or directories to run',
    );
  }
  const testNamePattern = flags.testNamePattern ?? flags.t;
  const judge = judgeFlag({ model: flags.judge, baseURL: flags.judgeBaseUrl });
  const run: Omit<LoopletEvalOptions, 'loopletReporters'> = {
    cwd,
    ...(paths.length > 0 ? { evals: paths } : {}),
    ...(traces.length > 0 ? { traces } : {}),
    ...(cases.length > 0 ? { cases } : {}),
    scoring: {
      include: listFlag(flags.include),
      exclude: listFlag(flags.exclude),
      ...(threshold !== undefined ? { threshold } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(flags.allowNetwork ? { allowNetwork: true } : {}),
      ...(judge ? { judge: judge.config, allowHosts: [judge.host] } : {}),
      ...(replay ? { replay } : {}),
      ...(update ? { update } : {}),
    },
    reporters: listFlag(flags.reporter),
    ...(testNamePattern ? { testNamePattern: String(testNamePattern) } : {}),
    ...(shard ? { shard } : {}),
    ...(mergeReports !== undefined ? { mergeReports } : {}),
    ...(flags.ui
      ? { ui: true, ...(uiPort ? { uiPort } : {}), ...(flags.open === false ? { open: false } : {}) }
      : {}),
    // With --json, stdout is the report alone: vitest's own output (other reporters) goes to stderr.
    ...(flags.json ? { stdout: process.stderr } : {}),
    ...(flags.watch ? { watch: true } : {}),
    ...(workers !== undefined ? { workers } : {}),
  };
  const reporter: LoopletReporterOptions = {
    cwd,
    baseline: flags.baseline ?? DEFAULT_BASELINE,
    ...(tolerance !== undefined ? { tolerance } : {}),
    ...(failOn ? { failOn } : {}),
    ...(flags.out ? { outDir: flags.out } : {}),
    ...(flags.json ? { json: true } : {}),
  };
  return { run, reporter };
}

/** `looplet-eval [paths…]`: runs the evals and returns the verdict's exit code. */
export async function runEvalsCommand({
  paths,
  flags,
}: {
  paths: string[];
  flags: RunFlags;
}): Promise<ExitCode> {
  const cwd = process.cwd();
  const { run, reporter: reporterOptions } = evalRunOptions({ paths, flags, cwd });
  if (run.scoring?.update) await checkLiveModel({ cwd, evalPaths: run.evals ?? ['evals'] });
  const reporter = new LoopletReporter(reporterOptions);
  const session = await runLoopletEval({ ...run, loopletReporters: [reporter] }).catch(
    async (error: unknown) => {
      throw (await unknownReporterError({ error, names: run.reporters ?? [] })) ?? error;
    },
  );
  if (run.watch || run.ui) {
    if (session.uiUrl) console.log(`looplet-eval UI: ${session.uiUrl}`);
    await session.closed;
    return EXIT.ok;
  }
  // A CI shard gets no traces when there are fewer traces than shards: not a mistake, the merge judges the whole.
  if (run.shard && reporter.finished?.verdict.status === 'empty') {
    console.error(`shard ${run.shard} had nothing to score (fewer traces than shards)`);
    return EXIT.ok;
  }
  // No verdict means vitest never reached the end of the run (it failed to start or crashed).
  return reporter.finished?.verdict.exitCode ?? EXIT.infrastructure;
}

/** vitest's "Failed to load custom Reporter from <name>" for a `--reporter` value: a usage error, not a crash. */
async function unknownReporterError({
  error,
  names,
}: {
  error: unknown;
  names: ReadonlyArray<string | object>;
}): Promise<UsageError | undefined> {
  const message = error instanceof Error ? error.message : '';
  const name = names.find(
    (candidate) => message === `Failed to load custom Reporter from ${String(candidate)}`,
  );
  if (name === undefined) return undefined;
  const { ReportersMap } = await import('vitest/node');
  return new UsageError(
    `--reporter ${String(name)}: no such reporter; use one of vitest's (${Object.keys(ReportersMap).join(', ')}) or the path of a reporter module`,
  );
}

/** `-u` / `--update [all]`: `diverged` for `-u`, `all` for `--update all`. */
function updateFlag(value: unknown): 'diverged' | 'all' | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 'diverged';
  if (value === 'all') return 'all';
  throw new UsageError(
    `--update takes no value (re-record diverged traces) or "all" (re-record every replayed trace), got ${JSON.stringify(value)} (paths go before it: looplet-eval evals/ -u)`,
  );
}

/** `--judge` and `--judge-base-url`: the judge's config for the workers, and the host the sandbox must let through. */
function judgeFlag({
  model,
  baseURL,
}: {
  model: unknown;
  baseURL: unknown;
}): { config: { model: string; baseURL?: string }; host: string } | undefined {
  if (model === undefined) {
    if (baseURL !== undefined) throw new UsageError('--judge-base-url needs --judge <model>');
    return undefined;
  }
  if (typeof model !== 'string' || model.trim() === '')
    throw new UsageError('--judge needs a model name, e.g. --judge gpt-4o-mini');
  const server =
    typeof baseURL === 'string' ? baseURL : (process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1');
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    throw new UsageError(`--judge-base-url ${String(server)} is not a URL (e.g. http://localhost:11434/v1)`);
  }
  return { config: { model, ...(typeof baseURL === 'string' ? { baseURL } : {}) }, host };
}
