import { plural } from '../../util/text.js';
import { EXIT } from '../exit-codes.js';
import { requirePaths } from '../flags.js';
import type { CommandModule } from './types.js';

/** `looplet validate <path…>`: checks every trace under the paths; exit 1 with reasons when one is invalid. */
export const validateCommand: CommandModule = {
  register({ cli, run }) {
    cli
      .command(
        'validate <...paths>',
        'Check every trace directory under the paths against the trace schema and the reader',
      )
      .option('--json', 'Print JSON instead of text')
      .example('looplet validate traces/')
      .action((paths: string[], flags: { json?: boolean }) =>
        run(async () => {
          requirePaths({ paths, what: 'file or directory' });
          const [{ findTraceDirs, validateTraceDir }, output] = await Promise.all([
            import('../../provenance/validate.js'),
            import('../../provenance/text-output.js'),
          ]);
          const dirs = findTraceDirs({ paths });
          const stream = output.streamWriter(process.stdout);
          // Once the reader has gone (`| head`), keep validating for the exit code, print nothing.
          let closed = false;
          const out = {
            write: async (text: string) => {
              if (closed) return;
              try {
                await stream.write(text);
              } catch (error) {
                if (!(error instanceof output.OutputClosedError)) throw error;
                closed = true;
              }
            },
            end: () => (closed ? Promise.resolve() : stream.end().catch(() => {})),
          };
          const colors = output.colorsFor(process.stdout);
          let invalid = 0;
          if (flags.json) await out.write('{"traces":[');
          for (const [index, dir] of dirs.entries()) {
            const validation = validateTraceDir({ dir });
            if (!validation.valid) invalid++;
            if (flags.json) {
              await out.write(`${index === 0 ? '\n' : ',\n'}${JSON.stringify(validation)}`);
              continue;
            }
            const mark = validation.valid ? colors.green('✓') : colors.red('✗');
            const format = validation.format === 'python-looplet' ? colors.dim(' (Python looplet)') : '';
            await out.write(`${mark} ${dir}${format}\n`);
            for (const problem of validation.problems) await out.write(`    ${problem}\n`);
          }
          if (flags.json) await out.write(`\n],"valid":${invalid === 0}}\n`);
          else if (dirs.length === 0) await out.write(colors.yellow('no trace directories found\n'));
          else
            await out.write(
              invalid === 0
                ? `\n${plural(dirs.length, 'trace')}, all valid\n`
                : `\n${invalid} of ${plural(dirs.length, 'trace')} invalid\n`,
            );
          await out.end();
          return invalid === 0 && dirs.length > 0 ? EXIT.ok : EXIT.failed;
        }),
      );
  },
};
