import { existsSync, readFileSync } from 'node:fs';
import { type CAC, cac } from 'cac';
import pc from 'picocolors';
import { exitCodeForError } from '../report/verdict.js';
import { errorMessage, LoopletError } from '../util/errors.js';
import { packageFile } from '../util/package-files.js';
import { closestMatch } from '../util/text.js';
import { commands } from './commands/index.js';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';

const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as {
  version: string;
};

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<ExitCode> {
  const bin = process.argv[1]?.endsWith('looplet') ? 'looplet' : 'looplet-eval';
  const cli = cac(bin);
  let exitCode: ExitCode = EXIT.ok;
  const run = async (action: () => Promise<ExitCode>) => {
    exitCode = await action();
  };
  for (const command of commands) command.register({ cli, run });
  cli.help();
  cli.version(pkg.version);
  try {
    cli.parse(['node', bin, ...argv], { run: false });
    if (cli.options.help || cli.options.version) return EXIT.ok;
    if (!cli.matchedCommand) {
      const unknown = cli.args[0];
      throw new UsageError(
        unknown
          ? `unknown command "${unknown}"; see \`${bin} --help\``
          : `no command given; see \`${bin} --help\``,
      );
    }
    checkMistypedCommand({ cli, bin });
    await cli.runMatchedCommand();
    return exitCode;
  } catch (error) {
    return reportError(unknownOptionAsTyped(error, argv, bin));
  }
}

/**
 * cac reports an unknown option by its camel-cased name, and reads `--no-x` as the negation of
 * `--x`, so `--no-such-flag` comes out as "Unknown option `--suchFlag`". Name the option as the
 * user typed it instead.
 */
function unknownOptionAsTyped(error: unknown, argv: readonly string[], bin: string): unknown {
  const camel = error instanceof Error ? /^Unknown option `--?([^`]+)`/.exec(error.message)?.[1] : undefined;
  if (camel === undefined) return error;
  const kebab = camel.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  const typed = argv.find((arg) => {
    const name = arg.replace(/^-+/, '').split('=')[0];
    return arg.startsWith('-') && (name === camel || name === kebab || name === `no-${kebab}`);
  });
  return new UsageError(`unknown option ${typed ?? `--${kebab}`}; see \`${bin} --help\` for the options`);
}

/**
 * `looplet shwo x` reaches the default command, which would read `shwo` as an eval path: when the
 * first path does not exist and is a word, it is a mistyped command, not a missing path.
 */
function checkMistypedCommand({ cli, bin }: { cli: CAC; bin: string }): void {
  const first = cli.args[0];
  if (!cli.matchedCommand?.isDefaultCommand || first === undefined || existsSync(first)) return;
  if (!/^[a-z][a-z-]*$/i.test(first)) return;
  const names = cli.commands.filter((command) => !command.isDefaultCommand).map((command) => command.name);
  const guess = closestMatch(first.toLowerCase(), names);
  throw new UsageError(
    guess
      ? `unknown command "${first}" — did you mean ${guess}? (\`${bin} --help\` lists the commands)`
      : `eval path not found: ${first} — and "${first}" is not a command either (${names.join(', ')}); see \`${bin} --help\``,
  );
}

function reportError(error: unknown): ExitCode {
  if (error instanceof UsageError || (error instanceof Error && error.name === 'CACError')) {
    console.error(`${pc.red('error:')} ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof LoopletError) {
    console.error(`${pc.red('error:')} ${error.message}`);
    // A missing eval path, duplicate eval names, an unusable baseline… are configuration errors (2).
    return exitCodeForError(error);
  }
  console.error(`${pc.red('internal error:')} ${errorMessage(error)}`);
  if (error instanceof Error && error.stack) console.error(pc.dim(error.stack));
  return EXIT.infrastructure;
}
