// vitest (and @vitest/ui for --ui) are peer dependencies: the project's own copy runs the evals.
// These checks turn a missing or unsupported copy into one message saying what to install,
// instead of a module-not-found stack from deep inside a run.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoopletError } from '../util/errors.js';

/** The vitest versions looplet runs on: the peer dependency range of package.json. */
export const VITEST_RANGE = '^4.1';

/** A peer dependency looplet needs for this command is missing, or its version is unsupported. */
export class PeerDependencyError extends LoopletError {
  /** The package to install (`vitest`, `@vitest/ui`). */
  readonly packageName: string;

  constructor({ packageName, problem, install }: { packageName: string; problem: string; install: string }) {
    super({ message: `${packageName} ${problem}: install it with \`${install}\``, code: 'PEER_DEPENDENCY' });
    this.packageName = packageName;
  }
}

/** A resolved package: its directory and version. */
interface Found {
  packageJson: string;
  version: string;
}

function find(name: string, from: string): Found | undefined {
  try {
    const packageJson = createRequire(from).resolve(`${name}/package.json`);
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: unknown };
    return { packageJson, version: typeof version === 'string' ? version : '' };
  } catch {
    return undefined;
  }
}

/** True for a version in {@link VITEST_RANGE}: 4.1 or a later 4.x (a prerelease of 4.1+ too). */
function supported(version: string): boolean {
  const match = /^(\d+)\.(\d+)\./.exec(version);
  return match !== null && Number(match[1]) === 4 && Number(match[2]) >= 1;
}

/**
 * The vitest looplet's own imports resolve to (the project's, as a peer), checked against
 * {@link VITEST_RANGE}. Throws {@link PeerDependencyError} (exit 2) when it is missing or its
 * version is unsupported; with `ui`, also when `@vitest/ui` is missing from the project.
 */
export function checkVitest({ ui = false, cwd = process.cwd() }: { ui?: boolean; cwd?: string } = {}): Found {
  const vitest = find('vitest', import.meta.url);
  const install = `npm install --save-dev vitest@${VITEST_RANGE}`;
  if (!vitest)
    throw new PeerDependencyError({
      packageName: 'vitest',
      problem: 'is not installed (looplet-eval runs evals with it)',
      install,
    });
  if (!supported(vitest.version))
    throw new PeerDependencyError({
      packageName: 'vitest',
      problem: `${vitest.version} is installed, but looplet runs on vitest ${VITEST_RANGE}`,
      install,
    });
  if (ui) {
    // vitest looks for @vitest/ui from the project root and wants its own version.
    const uiPackage =
      find('@vitest/ui', path.join(path.resolve(cwd), 'package.json')) ??
      find('@vitest/ui', vitest.packageJson);
    const installUi = `npm install --save-dev @vitest/ui@${vitest.version}`;
    if (!uiPackage)
      throw new PeerDependencyError({
        packageName: '@vitest/ui',
        problem: 'is not installed (--ui needs it)',
        install: installUi,
      });
    if (uiPackage.version !== vitest.version)
      throw new PeerDependencyError({
        packageName: '@vitest/ui',
        problem: `${uiPackage.version} is installed, but --ui needs the version of vitest (${vitest.version})`,
        install: installUi,
      });
  }
  return vitest;
}

/** Imports the vite that the project's vitest brings (looplet does not depend on vite itself). */
export async function importVite(): Promise<typeof import('vite')> {
  const vitest = checkVitest();
  const entry = createRequire(vitest.packageJson).resolve('vite');
  return (await import(pathToFileURL(entry).href)) as typeof import('vite');
}
