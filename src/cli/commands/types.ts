import type { CAC } from 'cac';
import type { ExitCode } from '../exit-codes.js';

/**
 * A CLI command module. `register` must stay cheap (no heavy imports): the implementation is
 * imported lazily inside the action so `--help` starts fast.
 */
export interface CommandModule {
  register(args: { cli: CAC; run: (action: () => Promise<ExitCode>) => Promise<void> }): void;
}
