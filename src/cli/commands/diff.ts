import { plural } from '../../util/text.js';
import { EXIT } from '../exit-codes.js';
import { requirePaths } from '../flags.js';
import { type HtmlFlags, writeDiffHtml } from '../html-command.js';
import type { CommandModule } from './types.js';

/** `looplet diff <a> <b>`: the step-aligned differences of two traces; exit 1 when they differ. */
export const diffCommand: CommandModule = {
  register({ cli, run }) {
    cli
      .command(
        'diff <a> <b>',
        'Compare two traces step by step: prompts, tool calls, results, end reason (exit 1 when they differ)',
      )
      .option('--include-volatile', 'Also compare volatile.json (times, durations, run id, host)')
      .option('--json', 'Print JSON instead of text')
      .option('--html', 'Write both traces side by side, step-aligned, as one HTML page instead (see --out)')
      .option('--out <file>', 'With --html: the page to write (default: looplet-diff.html)')
      .example('looplet diff traces/greeter/alice /tmp/alice-after-change')
      .example('looplet diff --html traces/greeter/alice /tmp/alice-after-change --out diff.html')
      .action((a: string, b: string, flags: { includeVolatile?: boolean; json?: boolean } & HtmlFlags) =>
        run(async () => {
          requirePaths({ paths: [a, b], what: 'trace directory' });
          if (flags.html)
            return writeDiffHtml({ a, b, out: flags.out, includeVolatile: flags.includeVolatile });
          const [{ readTrace }, { diffTraces }, output] = await Promise.all([
            import('../../provenance/read-trace.js'),
            import('../../provenance/diff.js'),
            import('../../provenance/text-output.js'),
          ]);
          const left = readTrace(a);
          const right = readTrace(b);
          const out = output.streamWriter(process.stdout);
          const colors = output.colorsFor(process.stdout);
          const differences = diffTraces({
            a: left,
            b: right,
            includeVolatile: Boolean(flags.includeVolatile),
          });
          let count = 0;
          try {
            if (flags.json)
              await out.write(
                `{"a":${JSON.stringify(left.dir)},"b":${JSON.stringify(right.dir)},"differences":[`,
              );
            else
              await out.write(
                `${colors.red(`--- a: ${left.dir}`)}\n${colors.green(`+++ b: ${right.dir}`)}\n`,
              );
            for await (const difference of differences) {
              count++;
              if (flags.json) {
                await out.write(`${count === 1 ? '\n' : ',\n'}${JSON.stringify(difference)}`);
                continue;
              }
              const body = difference.diff
                .split('\n')
                .filter((line, index, lines) => line !== '' || index < lines.length - 1)
                .map((line) =>
                  line.startsWith('+')
                    ? colors.green(line)
                    : line.startsWith('-')
                      ? colors.red(line)
                      : line.startsWith('@@')
                        ? colors.cyan(line)
                        : line,
                )
                .map((line) => `    ${line}`)
                .join('\n');
              await out.write(`\n${colors.bold(difference.summary)}\n${body}\n`);
            }
            if (flags.json) await out.write(`\n],"same":${count === 0}}\n`);
            else await out.write(count === 0 ? 'no differences\n' : `\n${plural(count, 'difference')}\n`);
            await out.end();
          } catch (error) {
            // `looplet diff … | head`: stop reading; the exit code still says whether they differ.
            if (!(error instanceof output.OutputClosedError)) throw error;
          }
          return count === 0 ? EXIT.ok : EXIT.failed;
        }),
      );
  },
};
