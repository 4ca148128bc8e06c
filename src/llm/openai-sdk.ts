// The `openai` SDK, loaded on the first call of an OpenAIBackend rather than when looplet is
// imported: it is the heaviest module looplet can load (≈150 files), and an optional peer
// dependency, so a user of another backend neither installs nor loads it.
import { LLMConfigError } from './errors.js';

/** The `openai` module. */
export type OpenAISdk = typeof import('openai');

let loading: Promise<OpenAISdk> | undefined;

/** The `openai` module, imported once; {@link LLMConfigError} saying `npm install openai` when it is not installed. */
export function loadOpenAISdk(): Promise<OpenAISdk> {
  loading ??= import('openai').catch((error: unknown) => {
    loading = undefined;
    throw isMissing(error)
      ? new LLMConfigError({
          message:
            'OpenAIBackend needs the openai package, which is not installed: run `npm install openai` (version 6)',
          cause: error,
        })
      : error;
  });
  return loading;
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    error instanceof Error &&
    /['"]openai['"]/.test(error.message)
  );
}
