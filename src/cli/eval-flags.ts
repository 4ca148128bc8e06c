import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'cac';
import { FAIL_ON_VALUES } from '../report/verdict.js';
import { REPLAY_OPTIONS } from '../vitest/plan.js';
import { UsageError } from './exit-codes.js';
import { choiceFlag, listFlag, numberFlag, shardFlag } from './flags.js';

/** The baseline file used when `--baseline` is not given. */
export const DEFAULT_BASELINE = path.join('.looplet', 'baseline.json');

/** The directory blob reports are merged from when `--merge-reports` has no value (vitest's default). */
export const DEFAULT_BLOB_DIR = '.vitest-reports';

/** One flag of the eval commands: how it is written, what `--help` says, and how its value is read. */
interface FlagDefinition<T> {
  /** As cac reads it, e.g. `--threshold <score>` or `-t, --test-name-pattern <pattern>`. */
  readonly option: string;
  readonly help: string;
  /** The value cac parsed (`undefined` when the flag is absent) as the checked value; a {@link UsageError} when it is wrong. */
  readonly parse: (value: unknown, context: { cwd: string }) => T;
}

function defineFlag<T>(definition: FlagDefinition<T>): FlagDefinition<T> {
  return definition;
}

const isSet = (value: unknown): boolean => value !== undefined && value !== false;

/** Repeatable paths that must exist. */
function existingPaths({
  name,
  value,
  cwd,
  what,
}: {
  name: string;
  value: unknown;
  cwd: string;
  what: string;
}): string[] {
  const paths = listFlag(value as string | string[] | undefined);
  for (const item of paths)
    if (!existsSync(path.resolve(cwd, item))) throw new UsageError(`--${name} ${item}: no such ${what}`);
  return paths;
}

function textFlag(name: string, value: unknown, example: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError(`--${name} needs a value, e.g. --${name} ${example}`);
  return value;
}

/**
 * Every flag `looplet-eval` and `looplet-eval baseline update` take, defined once; each command
 * registers the ones it needs ({@link addEvalFlags}) and reads them with {@link parseEvalFlags}.
 * Keys are cac's names for the values (camel case; `--no-open` is `open`).
 */
export const EVAL_FLAGS = {
  traces: defineFlag({
    option: '--traces <dir>',
    help: 'Trace directories to score (repeatable; default: traces/ when it exists)',
    parse: (value, { cwd }) => existingPaths({ name: 'traces', value, cwd, what: 'directory' }),
  }),
  cases: defineFlag({
    option: '--cases <dir>',
    help: 'Case files or directories to run (repeatable; default: cases/ when it exists — not evals/cases/)',
    parse: (value, { cwd }) => existingPaths({ name: 'cases', value, cwd, what: 'file or directory' }),
  }),
  baseline: defineFlag({
    option: '--baseline <file>',
    help: 'Baseline to compare with (default: .looplet/baseline.json when it exists)',
    parse: (value) => textFlag('baseline', value, DEFAULT_BASELINE),
  }),
  threshold: defineFlag({
    option: '--threshold <score>',
    help: 'Pass threshold for numeric scores, 0..1 (default: 0.5; an eval’s own mark wins)',
    parse: (value) => numberFlag({ name: 'threshold', value, min: 0, max: 1 }),
  }),
  tolerance: defineFlag({
    option: '--tolerance <delta>',
    help: 'Score drop vs the baseline that counts as a regression (default: 0.05)',
    parse: (value) => numberFlag({ name: 'tolerance', value, min: 0, max: 1 }),
  }),
  include: defineFlag({
    option: '--include <tag>',
    help: 'Only evals with this tag (repeatable)',
    parse: (value) => listFlag(value as string | string[] | undefined),
  }),
  exclude: defineFlag({
    option: '--exclude <tag>',
    help: 'No evals with this tag (repeatable)',
    parse: (value) => listFlag(value as string | string[] | undefined),
  }),
  testNamePattern: defineFlag({
    option: '-t, --test-name-pattern <pattern>',
    help: 'Only tests whose name "eval_name › trace_id" matches (vitest -t)',
    parse: (value) => (value === undefined ? undefined : String(value)),
  }),
  shard: defineFlag({
    option: '--shard <i/n>',
    help: 'Run shard i of n (vitest --shard), e.g. on a CI matrix; use with --reporter blob --fail-on never',
    parse: (value) => shardFlag(value),
  }),
  mergeReports: defineFlag({
    option: '--merge-reports [dir]',
    help: 'Merge the blob reports of one sharded run (default dir: .vitest-reports) into one report and verdict; blobs of another run are refused',
    parse: (value, { cwd }) => {
      if (!isSet(value)) return undefined;
      const dir = value === true ? DEFAULT_BLOB_DIR : String(value);
      if (!existsSync(path.resolve(cwd, dir)))
        throw new UsageError(
          `--merge-reports ${dir}: no such directory (shards write it with --reporter blob)`,
        );
      return dir;
    },
  }),
  reporter: defineFlag({
    option: '--reporter <name>',
    help: "Also use this vitest reporter: default, verbose, dot, junit, json, blob…, or a reporter module's path, e.g. ./my-reporter.mjs (repeatable)",
    parse: (value) => listFlag(value as string | string[] | undefined),
  }),
  ui: defineFlag({
    option: '--ui',
    help: 'Open @vitest/ui in the browser: each test shows its score',
    parse: isSet,
  }),
  port: defineFlag({
    option: '--port <port>',
    help: 'Port of the --ui server on 127.0.0.1 (default: 51204, or the next free one)',
    parse: (value) => numberFlag({ name: 'port', value, min: 1, max: 65_535, integer: true }),
  }),
  open: defineFlag({
    option: '--no-open',
    help: 'With --ui: print the address instead of opening a browser',
    parse: (value) => value !== false,
  }),
  watch: defineFlag({
    option: '--watch',
    help: 'Re-run when an eval or a trace changes',
    parse: isSet,
  }),
  json: defineFlag({
    option: '--json',
    help: 'Print the JSON report to stdout (for scripts)',
    parse: isSet,
  }),
  out: defineFlag({
    option: '--out <dir>',
    help: 'Where report files go (default: .looplet/report)',
    parse: (value) => textFlag('out', value, 'ci-report'),
  }),
  failOn: defineFlag({
    option: '--fail-on <when>',
    help: 'failure (default) | regression | never: what makes the exit code 1',
    parse: (value) => choiceFlag({ name: 'fail-on', value, choices: FAIL_ON_VALUES }),
  }),
  judge: defineFlag({
    option: '--judge <model>',
    help: 'Judge model for evals that take { judge } (OpenAI-compatible; OPENAI_BASE_URL/OPENAI_API_KEY); without it they are skipped',
    parse: (value) => textFlag('judge', value, 'gpt-4o-mini'),
  }),
  judgeBaseUrl: defineFlag({
    option: '--judge-base-url <url>',
    help: 'Server of the judge model (default: OPENAI_BASE_URL, else OpenAI)',
    parse: (value) => textFlag('judge-base-url', value, 'http://localhost:11434/v1'),
  }),
  replay: defineFlag({
    option: '--replay <mode>',
    help: 'strict (default): traces in an agent’s scope replay through it and a changed request ends the run as diverged · lenient: recorded answers served in order, changes kept as warnings · off: score traces as recorded',
    parse: (value) => choiceFlag({ name: 'replay', value, choices: REPLAY_OPTIONS }),
  }),
  update: defineFlag({
    option: '-u, --update [all]',
    help: 'Re-record diverged traces against the live model (OPENAI_* or the agent’s llm) and replace them atomically; --update all re-records every replayed trace',
    parse: (value): 'diverged' | 'all' | undefined => {
      if (!isSet(value)) return undefined;
      if (value === true) return 'diverged';
      if (value === 'all') return 'all';
      throw new UsageError(
        `--update takes no value (re-record diverged traces) or "all" (re-record every replayed trace), got ${JSON.stringify(value)} (paths go before it: looplet-eval evals/ -u)`,
      );
    },
  }),
  allowNetwork: defineFlag({
    option: '--allow-network',
    help: 'Let evaluated code reach the network (blocked by default while replaying)',
    parse: isSet,
  }),
  workers: defineFlag({
    option: '--workers <n>',
    help: 'Scoring threads, each supervised (default: one per core; LOOPLET_POOL=inline scores in this process instead)',
    parse: (value) => numberFlag({ name: 'workers', value, min: 1, integer: true }),
  }),
  timeout: defineFlag({
    option: '--timeout <ms>',
    help: 'Timeout per eval in ms (default: 60000)',
    parse: (value) => numberFlag({ name: 'timeout', value, min: 1, integer: true }),
  }),
} as const;

/** The name of an eval flag: a key of {@link EVAL_FLAGS}. */
export type EvalFlagName = keyof typeof EVAL_FLAGS;

/** The eval flags' checked values. */
export type EvalFlags = { [K in EvalFlagName]: ReturnType<(typeof EVAL_FLAGS)[K]['parse']> };

/**
 * Registers the named flags on a command, in the order given. `help` replaces a flag's help text
 * where the command gives it another meaning (the baseline `update` writes rather than reads).
 */
export function addEvalFlags({
  command,
  flags,
  help = {},
}: {
  command: Command;
  flags: readonly EvalFlagName[];
  help?: Partial<Record<EvalFlagName, string>>;
}): Command {
  for (const name of flags) {
    const definition = EVAL_FLAGS[name];
    command.option(definition.option, help[name] ?? definition.help);
    // cac gives a `--no-x` flag the default `true` and prints "(default: true)" in --help, which
    // reads as if the flag were on. Absent, it is simply not given.
    if (definition.option.startsWith('--no-')) {
      const option = command.options.at(-1);
      if (option) option.config.default = undefined;
    }
  }
  return command;
}

/** Reads every eval flag from what cac parsed (flags a command did not register are absent). */
export function parseEvalFlags({ values, cwd }: { values: Record<string, unknown>; cwd: string }): EvalFlags {
  const parsed: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(EVAL_FLAGS))
    parsed[name] = definition.parse(values[name], { cwd });
  return parsed as EvalFlags;
}
