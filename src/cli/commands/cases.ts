import type { CommandModule } from './types.js';

/** `looplet cases [paths…]`: list and validate case files. */
export const casesCommand: CommandModule = {
  register({ cli, run }) {
    cli
      .command(
        'cases [...paths]',
        'List and validate case files (YAML/JSON; default: cases/); exit 2 when one is invalid',
      )
      .option('--json', 'Print the cases as JSON')
      .example('looplet cases')
      .example('looplet cases cases/smoke.yaml --json')
      .action((paths: string[], flags: { json?: boolean }) =>
        run(async () => {
          const { casesCommandAction } = await import('../cases-command.js');
          return casesCommandAction({ paths, json: flags.json === true });
        }),
      );
  },
};
