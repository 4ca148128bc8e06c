import path from 'node:path';
import { agentDefinitionOf } from '../evals/agent.js';
import { findEvalFiles } from '../evals/discover.js';
import { errorMessage } from '../util/errors.js';
import { UsageError } from './exit-codes.js';
import { importUserModule } from './import-module.js';

/**
 * `-u` records traces again against a live model: checks, before any trace is replayed, that
 * there is one — `OpenAIBackend.fromEnv()` can be built, or an eval file's agent brings its own
 * (`defineAgent({ llm })`). Otherwise a {@link UsageError} names the variables to set.
 */
export async function checkLiveModel({
  cwd,
  evalPaths,
  env = process.env,
}: {
  cwd: string;
  evalPaths: readonly string[];
  env?: NodeJS.ProcessEnv;
}): Promise<void> {
  const { OpenAIBackend } = await import('../llm/openai.js');
  let problem: string;
  try {
    OpenAIBackend.fromEnv({ env });
    return;
  } catch (error) {
    problem = errorMessage(error);
  }
  for (const file of await findEvalFiles({ paths: evalPaths, cwd })) {
    const module = await importUserModule({ file, cwd });
    if (agentDefinitionOf({ value: module.agent, file: path.relative(cwd, file) })?.llm) return;
  }
  throw new UsageError(
    `-u re-records traces against a live model, and none is configured (${problem}). Set OPENAI_MODEL to the model, OPENAI_BASE_URL to an OpenAI-compatible server (e.g. http://localhost:11434/v1; default OpenAI) and OPENAI_API_KEY when the server needs a key — or give the agent its model: defineAgent({ scope, create, llm: () => new OpenAIBackend({ … }) })`,
  );
}
