import path from 'node:path';

// What the watcher reported since the last run of a watch session: the trace cache reads those
// traces again, and the in-process pool has vitest's runtime evaluate eval modules again. Kept on
// `globalThis` because the watcher's callback (vitest's main side) and the runner may hold
// different instances of this module.

interface WatchChanges {
  files: Set<string>;
  /** A script changed (an eval file or a module it imports). */
  modules: boolean;
}

const STATE = Symbol.for('looplet.watchChanges');
const SCRIPT = /\.[cm]?[jt]sx?$/;

function changes(): WatchChanges {
  const global = globalThis as { [STATE]?: WatchChanges };
  global[STATE] ??= { files: new Set(), modules: false };
  return global[STATE];
}

/** Notes a file the watcher reported (created, changed or deleted). */
export function noteChangedFile(file: string): void {
  const state = changes();
  state.files.add(path.resolve(file));
  if (SCRIPT.test(file)) state.modules = true;
}

/** The files reported since the last call (and forgets them). */
export function takeChangedFiles(): string[] {
  const { files } = changes();
  const taken = [...files];
  files.clear();
  return taken;
}

/** Whether a script changed since the last call (and forgets it). */
export function takeModuleChange(): boolean {
  const state = changes();
  const changed = state.modules;
  state.modules = false;
  return changed;
}
