import type { CommandModule } from './types.js';

/** The options of `looplet record`. */
export interface RecordFlags {
  cases?: string;
  agent?: string;
  out?: string;
  scripted?: boolean;
  force?: boolean;
}

/** `looplet record <case-id>`: run a case's agent against a model and save the run as a trace. */
export const recordCommand: CommandModule = {
  register({ cli, run }) {
    cli
      .command(
        'record <caseId>',
        "Run a case's agent (the `agent` export of an eval file) against the model and save the trace",
      )
      .option('--cases <dir>', 'Where the case is (default: cases/)')
      .option(
        '--agent <file>',
        'Module exporting `agent` (default: the eval file under evals/ that exports one)',
      )
      .option('--out <dir>', 'Trace directory to write (default: traces/<caseId>)')
      .option(
        '--scripted',
        "Answer from the case's `script` instead of a live model (the agent's defineAgent({ llm }), else OpenAIBackend.fromEnv())",
      )
      .option('--force', 'Replace an existing trace directory')
      .example('OPENAI_MODEL=gpt-4o-mini looplet record profit_math --out traces/report/profit_math')
      .action((caseId: string, flags: RecordFlags) =>
        run(async () => {
          const { recordCommandAction } = await import('../record-command.js');
          return recordCommandAction({ caseId, flags });
        }),
      );
  },
};
