import type { RunFlags } from './run.js';
import type { CommandModule } from './types.js';

/** `looplet-eval baseline update`: accept the current results as the new baseline. */
export const baselineCommand: CommandModule = {
  register({ cli, run }) {
    cli
      .command(
        'baseline <action> [...paths]',
        'update: run the evals and save the results as the baseline (.looplet/baseline.json)',
      )
      .option('--traces <dir>', 'Trace directories to score (repeatable; default: traces/)')
      .option('--baseline <file>', 'Baseline file to write (default: .looplet/baseline.json)')
      .option('--from <report>', 'Take the results from a looplet-report.json instead of running the evals')
      .option('--include <tag>', 'Only evals with this tag (repeatable)')
      .option('--exclude <tag>', 'No evals with this tag (repeatable)')
      .option('--threshold <score>', 'Pass threshold for numeric scores, 0..1')
      .option('--merge-reports [dir]', 'Take the results from merged blob reports of shards')
      .example('looplet-eval baseline update')
      .example('looplet-eval baseline update --from .looplet/report/looplet-report.json')
      .action((action: string, paths: string[], flags: RunFlags & { from?: string }) =>
        run(async () => {
          const { baselineUpdateCommand } = await import('../baseline-command.js');
          return baselineUpdateCommand({ action, paths, flags });
        }),
      );
  },
};
