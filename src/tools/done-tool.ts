import type { ParameterSchema } from '../core/schema.js';
import type { Tool } from '../core/state.js';
import { defineTool } from './define-tool.js';

/** The name of the built-in done tool. */
export const DONE_TOOL_NAME = 'done';

const DEFAULT_DONE_PARAMETERS: ParameterSchema = {
  type: 'object',
  properties: { summary: { type: 'string', description: 'One line: what was completed.' } },
  required: ['summary'],
};

/**
 * The tool the model calls to finish. Its arguments become `RunResult.finalOutput`, so give it
 * the schema of the output you want (e.g. `{ greeted: string[] }`). A default one (a `summary`
 * string) is added to every loop that has no tool named `done` and no other terminal tool
 * (`defineTool({ terminal: true })`).
 */
export function doneTool({
  parameters = DEFAULT_DONE_PARAMETERS,
  description = 'Call when the task is complete. The arguments are the final output.',
}: {
  parameters?: ParameterSchema;
  description?: string;
} = {}): Tool {
  return defineTool({
    name: DONE_TOOL_NAME,
    description,
    parameters,
    run: (args) => ({ status: 'completed', ...args }),
    terminal: true,
  });
}
