import { EXIT_CODES } from '../report/verdict.js';
import { LoopletError } from '../util/errors.js';

/** `looplet-eval` exit codes (DESIGN.md): 0 ok, 1 failures, 2 usage/configuration, 3 infrastructure. */
export const EXIT = EXIT_CODES;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A bad command line or configuration: printed without a stack trace, exit code 2. */
export class UsageError extends LoopletError {
  constructor(message: string) {
    super({ message, code: 'USAGE' });
  }
}
