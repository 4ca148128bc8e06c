import { baselineCommand } from './baseline.js';
import { casesCommand } from './cases.js';
import { diffCommand } from './diff.js';
import { recordCommand } from './record.js';
import { runCommand } from './run.js';
import { showCommand } from './show.js';
import type { CommandModule } from './types.js';
import { validateCommand } from './validate.js';

/** Every command, in the order `--help` lists them. */
export const commands: CommandModule[] = [
  runCommand,
  baselineCommand,
  showCommand,
  diffCommand,
  validateCommand,
  casesCommand,
  recordCommand,
];
