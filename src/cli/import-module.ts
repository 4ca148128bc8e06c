import path from 'node:path';
import { importVite } from '../vitest/peer.js';

/**
 * Imports a user module that may be TypeScript (an eval file exporting `agent`), the way vitest
 * would: through the module runner of the vite vitest brings. Vite is loaded only when a command needs it.
 */
export async function importUserModule({
  file,
  cwd,
}: {
  file: string;
  cwd: string;
}): Promise<Record<string, unknown>> {
  const absolute = path.resolve(cwd, file);
  if (/\.(c|m)?js$/.test(absolute)) return (await import(absolute)) as Record<string, unknown>;
  const { runnerImport } = await importVite();
  const { module } = await runnerImport<Record<string, unknown>>(absolute, {
    root: cwd,
    logLevel: 'error',
    configFile: false,
  });
  return module;
}
