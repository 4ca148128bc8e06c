import { existsSync } from 'node:fs';
import path from 'node:path';
import { plural } from '../util/text.js';
import { LoopletReporter, type LoopletReporterOptions } from '../vitest/reporter.js';
import { type LoopletEvalOptions, reporterReference, runLoopletEval } from '../vitest/run-evals.js';
import { checkEvalFiles, hintUnreadCases } from './discovery-hints.js';
import { DEFAULT_BASELINE, type EvalFlags } from './eval-flags.js';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';
import { checkLiveModel } from './live-model-check.js';

/** A run as the command line asks for it: the options of the run and of its reporter. */
export interface EvalRun {
  run: Omit<LoopletEvalOptions, 'loopletReporters'>;
  reporter: LoopletReporterOptions;
}

/**
 * Turns the checked flags into the options of the run and of its reporter. Checks what needs
 * several flags at once; `compare: false` (baseline update) leaves the baseline alone.
 */
export function evalRunOptions({
  paths,
  flags,
  cwd,
  compare = true,
}: {
  paths: string[];
  flags: EvalFlags;
  cwd: string;
  compare?: boolean;
}): EvalRun {
  if (flags.update && flags.replay === 'off')
    throw new UsageError('--update re-records the traces that replay; it cannot be used with --replay off');
  if (compare && flags.baseline !== undefined && !existsSync(path.resolve(cwd, flags.baseline))) {
    throw new UsageError(
      `--baseline ${flags.baseline}: no such file (to create one: looplet-eval baseline update --baseline ${flags.baseline})`,
    );
  }
  if (paths.length === 0 && flags.mergeReports === undefined && !existsSync(path.join(cwd, 'evals'))) {
    throw new UsageError(
      'no evals/ directory here. Write eval files in evals/ — named eval_*.ts or *.eval.ts (also .mts, .js, .mjs), exporting functions named eval_*, e.g. `export const eval_finished = (ctx) => ctx.endReason === "done"` — or pass the eval files or directories to run',
    );
  }
  const judge = judgeFlag({ model: flags.judge, baseURL: flags.judgeBaseUrl });
  const run: Omit<LoopletEvalOptions, 'loopletReporters'> = {
    cwd,
    ...(paths.length > 0 ? { evals: paths } : {}),
    ...(flags.traces.length > 0 ? { traces: flags.traces } : {}),
    ...(flags.cases.length > 0 ? { cases: flags.cases } : {}),
    scoring: {
      include: flags.include,
      exclude: flags.exclude,
      ...(flags.threshold !== undefined ? { threshold: flags.threshold } : {}),
      ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}),
      ...(flags.allowNetwork ? { allowNetwork: true } : {}),
      ...(judge ? { judge: judge.config, allowHosts: [judge.host] } : {}),
      ...(flags.replay ? { replay: flags.replay } : {}),
      ...(flags.update ? { update: flags.update } : {}),
    },
    reporters: flags.reporter,
    ...(flags.testNamePattern ? { testNamePattern: flags.testNamePattern } : {}),
    ...(flags.shard ? { shard: flags.shard } : {}),
    ...(flags.mergeReports !== undefined ? { mergeReports: flags.mergeReports } : {}),
    ...(flags.ui
      ? {
          ui: true,
          ...(flags.port !== undefined ? { uiPort: flags.port } : {}),
          ...(flags.open ? {} : { open: false }),
        }
      : {}),
    // With --json, stdout is the report alone: vitest's own output (other reporters) goes to stderr.
    ...(flags.json ? { stdout: process.stderr } : {}),
    ...(flags.watch ? { watch: true } : {}),
    ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
  };
  const partial = describeSelection({ paths, flags });
  const reporter: LoopletReporterOptions = {
    cwd,
    baseline: compare ? (flags.baseline ?? DEFAULT_BASELINE) : undefined,
    ...(flags.tolerance !== undefined ? { tolerance: flags.tolerance } : {}),
    ...(flags.failOn ? { failOn: flags.failOn } : {}),
    ...(flags.out ? { outDir: flags.out } : {}),
    ...(flags.json ? { json: true } : {}),
    ...(partial ? { partial } : {}),
  };
  return { run, reporter };
}

/**
 * What a run selected when it scores part of the suite (`shard 1/2, -t greet`), or `undefined`
 * for the whole suite: the baseline's other evals and runs are then "not run", not "removed".
 */
function describeSelection({ paths, flags }: { paths: string[]; flags: EvalFlags }): string | undefined {
  if (flags.mergeReports !== undefined) return undefined;
  const parts = [
    ...(flags.shard ? [`shard ${flags.shard}`] : []),
    ...(flags.testNamePattern ? [`-t ${flags.testNamePattern}`] : []),
    ...flags.include.map((tag) => `--include ${tag}`),
    ...flags.exclude.map((tag) => `--exclude ${tag}`),
    ...(paths.length > 0 && !(paths.length === 1 && path.normalize(paths[0]!) === 'evals')
      ? [`only ${paths.join(' ')}`]
      : []),
  ];
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/**
 * Checks what can be checked before vitest starts, so a mistake is a usage error that says what to
 * do rather than an empty run: eval files that discovery would miss, blobs of several runs, `-u`
 * without a model. Also points at case files in a directory that is not read.
 */
export async function checkBeforeRun({ run, cwd }: { run: EvalRun['run']; cwd: string }): Promise<void> {
  if (run.mergeReports !== undefined) {
    const { checkBlobReports } = await import('./blob-reports.js');
    await checkBlobReports({ dir: run.mergeReports, cwd });
    return;
  }
  const evalPaths = run.evals ?? ['evals'];
  // Watch and UI sessions may start before the first eval file is written.
  if (!run.watch && !run.ui) await checkEvalFiles({ paths: evalPaths, cwd });
  if (run.cases === undefined) hintUnreadCases({ cwd });
  if (run.scoring?.update) await checkLiveModel({ cwd, evalPaths });
}

/** `looplet-eval [paths…]`: runs the evals and returns the verdict's exit code. */
export async function runEvalsCommand({
  paths,
  flags,
}: {
  paths: string[];
  flags: EvalFlags;
}): Promise<ExitCode> {
  const cwd = process.cwd();
  const { run, reporter: reporterOptions } = evalRunOptions({ paths, flags, cwd });
  await checkBeforeRun({ run, cwd });
  const reporter = new LoopletReporter(reporterOptions);
  const session = await runLoopletEval({ ...run, loopletReporters: [reporter] }).catch(
    async (error: unknown) => {
      throw (await unknownReporterError({ error, names: run.reporters ?? [], cwd })) ?? error;
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
  if (reporter.finished?.verdict.status === 'empty' && session.evalFiles > 0 && session.traces > 0)
    console.error(
      `${plural(session.evalFiles, 'eval file')} and ${plural(session.traces, 'trace')} were found, but no eval ran: an eval is an exported function whose name starts with eval_ (export function eval_done(ctx) { … }); --include, --exclude and -t select among them`,
    );
  // No verdict means vitest never reached the end of the run (it failed to start or crashed).
  return reporter.finished?.verdict.exitCode ?? EXIT.infrastructure;
}

/**
 * vitest's "Failed to load custom Reporter from <name>" for a `--reporter` value: a usage error,
 * not a crash — no such reporter, no such file, or the module's own error.
 */
async function unknownReporterError({
  error,
  names,
  cwd,
}: {
  error: unknown;
  names: ReadonlyArray<string | object>;
  cwd: string;
}): Promise<UsageError | undefined> {
  const message = error instanceof Error ? error.message : '';
  // A path reaches vitest made absolute (see run-evals.ts), a name as it was given.
  const says = (reference: string) =>
    message === `Failed to load custom Reporter from ${reference}`
      ? 'failed'
      : message === `Custom reporter loaded from ${reference} was not the default export`
        ? 'no-default'
        : undefined;
  let name: string | undefined;
  let problem: 'failed' | 'no-default' | undefined;
  for (const candidate of names) {
    if (typeof candidate !== 'string') continue;
    problem = says(candidate) ?? says(reporterReference({ reporter: candidate, cwd }));
    if (problem) {
      name = candidate;
      break;
    }
  }
  if (name === undefined) return undefined;
  if (reporterReference({ reporter: name, cwd }) !== name || path.isAbsolute(name)) {
    const file = path.resolve(cwd, name);
    if (!existsSync(file)) return new UsageError(`--reporter ${name}: no such file (${file})`);
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? error.cause.message.split('\n')[0]
        : 'no cause given';
    return new UsageError(
      `--reporter ${name}: ${problem === 'no-default' ? 'the module has no default export' : `the module could not be loaded (${cause})`}; a reporter module's default export is a vitest reporter class`,
    );
  }
  const { ReportersMap } = await import('vitest/node');
  return new UsageError(
    `--reporter ${name}: no such reporter; use one of vitest's (${Object.keys(ReportersMap).join(', ')}) or the path of a reporter module (./my-reporter.mjs)`,
  );
}

/** `--judge` and `--judge-base-url`: the judge's config for the workers, and the host the sandbox must let through. */
function judgeFlag({
  model,
  baseURL,
}: {
  model: string | undefined;
  baseURL: string | undefined;
}): { config: { model: string; baseURL?: string }; host: string } | undefined {
  if (model === undefined) {
    if (baseURL !== undefined) throw new UsageError('--judge-base-url needs --judge <model>');
    return undefined;
  }
  const server = baseURL ?? process.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1';
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    throw new UsageError(`--judge-base-url ${server} is not a URL (e.g. http://localhost:11434/v1)`);
  }
  return { config: { model, ...(baseURL !== undefined ? { baseURL } : {}) }, host };
}
