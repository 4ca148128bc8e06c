import path from 'node:path';
import type { TestProject } from 'vitest/node';

// What the watcher reported since the last run of a watch session: the trace cache reads those
// traces again, and a vitest runtime kept from an earlier run (the in-process pool's, a kept
// scoring thread's) evaluates eval modules again after a script changed. Kept on
// `globalThis` because the watcher's callback (vitest's main side) and the runner may hold
// different instances of this module.

interface WatchChanges {
  files: Set<string>;
  /** How many times a script (an eval file or a module it imports) changed. */
  scripts: number;
}

const STATE = Symbol.for('looplet.watchChanges');
const SCRIPT = /\.[cm]?[jt]sx?$/;

function changes(): WatchChanges {
  const global = globalThis as { [STATE]?: WatchChanges };
  global[STATE] ??= { files: new Set(), scripts: 0 };
  return global[STATE];
}

/** Notes a file the watcher reported (created, changed or deleted). */
export function noteChangedFile(file: string): void {
  const state = changes();
  state.files.add(path.resolve(file));
  if (SCRIPT.test(file)) state.scripts++;
}

/** The files reported since the last call (and forgets them). */
export function takeChangedFiles(): string[] {
  const { files } = changes();
  const taken = [...files];
  files.clear();
  return taken;
}

/** How many script changes the watcher reported in this process: a runtime notes the count it has seen. */
export function scriptChanges(): number {
  return changes().scripts;
}

/**
 * The modules a vitest runtime kept from an earlier run evaluates again once a script changed:
 * every file of the project's module graph outside node_modules (the eval files and what they
 * import). vitest sends no invalidations for a change its watch trigger handled (it ends its
 * workers after a run, so a new one needs none) — a handful of files, not worth tracing importers for.
 */
export function userModules(project: TestProject): string[] {
  const files = new Set<string>();
  for (const environment of Object.values(project.vite.environments))
    for (const file of environment.moduleGraph.fileToModulesMap.keys())
      if (!file.includes('/node_modules/')) files.add(file);
  return [...files];
}
