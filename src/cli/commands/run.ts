import { addEvalFlags, type EvalFlagName, parseEvalFlags } from '../eval-flags.js';
import type { CommandModule } from './types.js';

/** The flags of `looplet-eval [paths…]`, in the order `--help` lists them. */
const RUN_FLAGS: readonly EvalFlagName[] = [
  'traces',
  'cases',
  'baseline',
  'threshold',
  'tolerance',
  'include',
  'exclude',
  'testNamePattern',
  'shard',
  'mergeReports',
  'reporter',
  'ui',
  'port',
  'open',
  'watch',
  'json',
  'out',
  'failOn',
  'judge',
  'judgeBaseUrl',
  'replay',
  'update',
  'allowNetwork',
  'workers',
  'timeout',
];

/** `looplet-eval [paths…]`: the default command — discover, replay, score, report. */
export const runCommand: CommandModule = {
  register({ cli, run }) {
    const command = cli.command(
      '[...paths]',
      'Run eval_* functions in the given files/directories (default: evals/) against traces (default: traces/) and cases (default: cases/)',
    );
    addEvalFlags({ command, flags: RUN_FLAGS })
      .example('looplet-eval')
      .example(
        'looplet-eval evals/ --traces traces/golden --cases cases/smoke --baseline .looplet/baseline.json',
      )
      .example('looplet-eval -t greeter --include smoke')
      .example('looplet-eval --shard 1/4 --reporter blob --fail-on never')
      .example('looplet-eval --merge-reports')
      .example('looplet-eval -u')
      .action((paths: string[], values: Record<string, unknown>) =>
        run(async () => {
          const flags = parseEvalFlags({ values, cwd: process.cwd() });
          const { runEvalsCommand } = await import('../run-evals-command.js');
          return runEvalsCommand({ paths, flags });
        }),
      );
  },
};
