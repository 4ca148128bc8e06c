import { baselineCommand } from './baseline.js';
import { runCommand } from './run.js';
import type { CommandModule } from './types.js';

/** Every command, in the order `--help` lists them. */
export const commands: CommandModule[] = [runCommand, baselineCommand];
