import { EXIT } from '../exit-codes.js';
import { numberFlag, requirePaths } from '../flags.js';
import { type HtmlFlags, writeTraceHtml } from '../html-command.js';
import type { CommandModule } from './types.js';

/** `looplet show <dir>`: a trace as one readable page. */
export const showCommand: CommandModule = {
  register({ cli, run }) {
    cli
      .command(
        'show <dir>',
        'Show a trace: task, each step with its tool calls and results, end reason, usage',
      )
      .option('--step <n>', 'Only this step (1-based), with its full prompt when --prompts is given')
      .option('--prompts', 'Also show what the model was sent and what it answered')
      .option('--json', 'Print JSON instead of text')
      .option('--html', 'Write the trace as one self-contained HTML page instead (see --out)')
      .option('--out <file>', 'With --html: the page to write (default: looplet-trace.html)')
      .example('looplet show traces/greeter/alice')
      .example('looplet show traces/greeter/alice --step 2 --prompts')
      .example('looplet show --html traces/greeter/alice --out alice.html')
      .action((dir: string, flags: { step?: unknown; prompts?: boolean; json?: boolean } & HtmlFlags) =>
        run(async () => {
          requirePaths({ paths: [dir], what: 'trace directory' });
          if (flags.html) return writeTraceHtml({ dir, out: flags.out });
          const step = numberFlag({ name: 'step', value: flags.step, min: 1, integer: true });
          const [{ readTrace }, show, output] = await Promise.all([
            import('../../provenance/read-trace.js'),
            import('../../provenance/show.js'),
            import('../../provenance/text-output.js'),
          ]);
          const trace = readTrace(dir);
          const out = output.streamWriter(process.stdout);
          const options = {
            trace,
            write: out.write,
            prompts: Boolean(flags.prompts),
            ...(step ? { step } : {}),
          };
          try {
            if (flags.json) await show.showTraceJson(options);
            else await show.showTrace({ ...options, colors: output.colorsFor(process.stdout) });
            await out.end();
          } catch (error) {
            // `looplet show … | head`: the reader has what it wanted.
            if (!(error instanceof output.OutputClosedError)) throw error;
          }
          return EXIT.ok;
        }),
      );
  },
};
