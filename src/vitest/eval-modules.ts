import path from 'node:path';
import { agentDefinitionOf, type ScopedAgent } from '../evals/agent.js';
import type { Collector } from '../evals/collectors.js';
import { toEvalDefinitions, uniqueEvals } from '../evals/definitions.js';
import { EvalImportError, type ImportFailure } from '../evals/errors.js';
import type { EvalDefinition } from '../evals/types.js';
import { errorMessage } from '../util/errors.js';

/** What eval files provide: evals, the agents that replay traces and run cases, and collectors for their runs. */
export interface EvalModules {
  definitions: EvalDefinition[];
  agents: ScopedAgent[];
  collectors: Collector[];
}

/**
 * Imports eval files (with the importer given: vitest's module runner, so TypeScript works) and
 * reads their exports: `eval_*` functions, `agent` (a factory or `defineAgent({ … })`) and
 * `collectors`. Agents are named by their file relative to `root`. Throws
 * {@link EvalImportError} listing every file that failed.
 */
export async function importEvalModules({
  files,
  root,
  importFile,
}: {
  files: readonly string[];
  root: string;
  importFile: (file: string) => Promise<unknown>;
}): Promise<EvalModules> {
  const definitions: EvalDefinition[] = [];
  const failures: ImportFailure[] = [];
  const agents: ScopedAgent[] = [];
  const collectors: Collector[] = [];
  for (const file of files) {
    try {
      const module = (await importFile(file)) as Record<string, unknown>;
      definitions.push(...toEvalDefinitions({ evals: module, file }));
      const relative = path.relative(root, file).split(path.sep).join('/');
      const definition = agentDefinitionOf({ value: module.agent, file: relative });
      if (definition) agents.push({ definition, file: relative });
      if (Array.isArray(module.collectors)) collectors.push(...(module.collectors as Collector[]));
    } catch (error) {
      failures.push({ file, message: errorMessage(error), error });
    }
  }
  if (failures.length > 0) throw new EvalImportError({ failures });
  return { definitions: uniqueEvals(definitions), agents, collectors };
}
