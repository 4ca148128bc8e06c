import type { CommandModule } from './types.js';

/** Every command, in the order `--help` lists them. */
export const commands: CommandModule[] = [];
