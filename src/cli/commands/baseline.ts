import { addEvalFlags, type EvalFlagName, parseEvalFlags } from '../eval-flags.js';
import { UsageError } from '../exit-codes.js';
import type { CommandModule } from './types.js';

/**
 * The flags of `baseline update`: those that decide what a run scores and how, as `looplet-eval`
 * takes them. Not the ones that only change how a run is shown or judged (`--json`, `--ui`,
 * `--fail-on`, `--tolerance`), nor the partial selections (`-t`, `--shard`): a baseline describes
 * the whole suite.
 */
const BASELINE_FLAGS: readonly EvalFlagName[] = [
  'traces',
  'cases',
  'baseline',
  'threshold',
  'include',
  'exclude',
  'mergeReports',
  'reporter',
  'out',
  'judge',
  'judgeBaseUrl',
  'replay',
  'update',
  'allowNetwork',
  'workers',
  'timeout',
];

/** `looplet-eval baseline update`: accept the current results as the new baseline. */
export const baselineCommand: CommandModule = {
  register({ cli, run }) {
    const command = cli
      .command(
        'baseline <action> [...paths]',
        'update: run the evals and save the results as the baseline (.looplet/baseline.json)',
      )
      .option('--from <report>', 'Take the results from a looplet-report.json instead of running the evals');
    addEvalFlags({
      command,
      flags: BASELINE_FLAGS,
      help: {
        baseline: 'Baseline file to write (default: .looplet/baseline.json)',
        mergeReports:
          'Take the results from the merged blob reports of one sharded run (default dir: .vitest-reports)',
      },
    })
      .example('looplet-eval baseline update')
      .example('looplet-eval baseline update --from .looplet/report/looplet-report.json')
      .example('looplet-eval baseline update --merge-reports')
      .action((action: string, paths: string[], values: Record<string, unknown>) =>
        run(async () => {
          const from = values.from;
          if (from !== undefined && (typeof from !== 'string' || from === ''))
            throw new UsageError('--from needs the path of a looplet-report.json');
          const flags = parseEvalFlags({ values, cwd: process.cwd() });
          const { baselineUpdateCommand } = await import('../baseline-command.js');
          return baselineUpdateCommand({
            action,
            paths,
            flags,
            ...(typeof from === 'string' ? { from } : {}),
          });
        }),
      );
  },
};
