import type { CommandModule } from './types.js';

/** The options `looplet-eval [paths…]` accepts, as cac parses them. */
export interface RunFlags {
  traces?: string | string[];
  cases?: string | string[];
  baseline?: string;
  threshold?: number;
  tolerance?: number;
  include?: string | string[];
  exclude?: string | string[];
  t?: string;
  testNamePattern?: string;
  shard?: string;
  mergeReports?: string | boolean;
  reporter?: string | string[];
  ui?: boolean;
  /** False with `--no-open`. */
  open?: boolean;
  port?: number;
  watch?: boolean;
  json?: boolean;
  out?: string;
  failOn?: string;
  allowNetwork?: boolean;
  judge?: string;
  judgeBaseUrl?: string;
  workers?: number;
  timeout?: number;
  replay?: string;
  /** `-u`: true, or `all` with `--update all`. */
  update?: boolean | string;
  u?: boolean | string;
}

/** `looplet-eval [paths…]`: the default command — discover, replay, score, report. */
export const runCommand: CommandModule = {
  register({ cli, run }) {
    cli
      .command(
        '[...paths]',
        'Run eval_* functions in the given files/directories (default: evals/) against traces',
      )
      .option('--traces <dir>', 'Trace directories to score (repeatable; default: traces/ when it exists)')
      .option(
        '--baseline <file>',
        'Baseline to compare with (default: .looplet/baseline.json when it exists)',
      )
      .option(
        '--threshold <score>',
        'Pass threshold for numeric scores, 0..1 (default: 0.5; an eval’s own mark wins)',
      )
      .option('--tolerance <delta>', 'Score drop vs the baseline that counts as a regression (default: 0.05)')
      .option('--include <tag>', 'Only evals with this tag (repeatable)')
      .option('--exclude <tag>', 'No evals with this tag (repeatable)')
      .option(
        '-t, --test-name-pattern <pattern>',
        'Only tests whose name "eval_name › trace_id" matches (vitest -t)',
      )
      .option(
        '--shard <i/n>',
        'Run shard i of n (vitest --shard), e.g. on a CI matrix; use with --reporter blob',
      )
      .option(
        '--merge-reports [dir]',
        'Merge blob reports of shards (default dir: .vitest-reports) into one report and verdict',
      )
      .option(
        '--reporter <name>',
        'Also use this vitest reporter: default, verbose, dot, junit, json, blob… (repeatable)',
      )
      .option('--ui', 'Open @vitest/ui in the browser: each test shows its score')
      .option('--port <port>', 'Port of the --ui server on 127.0.0.1 (default: 51204, or the next free one)')
      .option('--no-open', 'With --ui: print the address instead of opening a browser')
      .option('--watch', 'Re-run when an eval or a trace changes')
      .option('--json', 'Print the JSON report to stdout (for scripts)')
      .option('--out <dir>', 'Where report files go (default: .looplet/report)')
      .option('--fail-on <when>', 'failure (default) | regression | never: what makes the exit code 1')
      .option(
        '--judge <model>',
        'Judge model for evals that take { judge } (OpenAI-compatible; OPENAI_BASE_URL/OPENAI_API_KEY); without it they are skipped',
      )
      .option('--judge-base-url <url>', 'Server of the judge model (default: OPENAI_BASE_URL, else OpenAI)')
      .option(
        '--replay <mode>',
        'strict (default): traces in an agent’s scope replay through it and a changed request ends the run as diverged · lenient: recorded answers served in order, changes kept as warnings · off: score traces as recorded',
      )
      .option(
        '-u, --update [all]',
        'Re-record diverged traces against the live model (OPENAI_* or the agent’s llm) and replace them atomically; --update all re-records every replayed trace',
      )
      .option('--allow-network', 'Let evaluated code reach the network (blocked by default while replaying)')
      .option(
        '--workers <n>',
        'Worker threads; 1 scores in this process (the default up to 2,000 traces or on 2 cores)',
      )
      .option('--timeout <ms>', 'Timeout per eval in ms (default: 60000)')
      .example('looplet-eval')
      .example('looplet-eval evals/ --traces traces/golden --baseline .looplet/baseline.json')
      .example('looplet-eval -t greeter --include smoke --shard 1/4 --reporter blob')
      .example('looplet-eval --merge-reports')
      .example('looplet-eval -u')
      .action((paths: string[], flags: RunFlags) =>
        run(async () => {
          const { runEvalsCommand } = await import('../run-evals-command.js');
          return runEvalsCommand({ paths, flags });
        }),
      );
  },
};
