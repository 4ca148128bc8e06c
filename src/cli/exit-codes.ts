import { LoopletError } from '../util/errors.js';

/** `looplet-eval` exit codes (DESIGN.md): the contract CI scripts rely on. */
export const EXIT = {
  /** All evals passed and nothing regressed. */
  ok: 0,
  /** Eval failures or regressions (or, for `diff`/`validate`, differences or invalid traces). */
  failed: 1,
  /** Bad command line or configuration. */
  usage: 2,
  /** Infrastructure error: unreadable trace, replay divergence, crashed eval. */
  infrastructure: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A bad command line or configuration: printed without a stack trace, exit code 2. */
export class UsageError extends LoopletError {
  constructor(message: string) {
    super({ message, code: 'USAGE' });
  }
}
