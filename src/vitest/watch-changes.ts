import path from 'node:path';
import { isMainThread, parentPort } from 'node:worker_threads';
import type { TestProject } from 'vitest/node';

// What the watcher reported in a watch session. A vitest runtime that outlives a run (the
// in-process pool's, a scoring thread kept for the next run) keeps what it read and evaluated:
// its trace cache reads again the traces whose files changed, and after a script changed it
// evaluates the user's modules again. The main process logs every change; each runtime catches
// up from where it last was (a kept thread is sent its changes before its next run). Kept on
// `globalThis` because the watcher's callback (vitest's main side) and the runner may hold
// different instances of this module.

interface WatchChanges {
  /** Reported since this runtime's trace cache last looked. */
  pending: Set<string>;
  /** Every file reported in this process, in order (the main process's log; see {@link changesSince}). */
  log: string[];
}

const STATE = Symbol.for('looplet.watchChanges');
const SCRIPT = /\.[cm]?[jt]sx?$/;

/** The message that carries changed files to a kept scoring thread (`pool.ts`). */
const CHANGED_FILES = '__looplet_changed_files__';

function changes(): WatchChanges {
  const global = globalThis as { [STATE]?: WatchChanges };
  global[STATE] ??= { pending: new Set(), log: [] };
  return global[STATE];
}

/** Notes a file the watcher reported (created, changed or deleted). */
export function noteChangedFile(file: string): void {
  const state = changes();
  const resolved = path.resolve(file);
  state.pending.add(resolved);
  state.log.push(resolved);
}

/** A reported file and every directory above it: what it changed for anything kept by path (a trace, its run). */
export function pathsAffectedBy(file: string): string[] {
  const paths: string[] = [];
  for (let at = path.resolve(file); at !== path.dirname(at); at = path.dirname(at)) paths.push(at);
  return paths;
}

/** The files reported since the last call (and forgets them): what this runtime's trace cache reads again. */
export function takeChangedFiles(): string[] {
  const { pending } = changes();
  const taken = [...pending];
  pending.clear();
  return taken;
}

/** How many changes this process logged: where a runtime that has caught up stands. */
export function changeCount(): number {
  return changes().log.length;
}

/** The files logged since `count` changes. */
export function changesSince(count: number): string[] {
  return changes().log.slice(count);
}

/** Sends `files` to a scoring thread, to be noted there before its next run (same port, so in order). */
export function changedFilesMessage(files: readonly string[]): Record<string, readonly string[]> {
  return { [CHANGED_FILES]: files };
}

// A scoring thread notes what its owner sends (the listener goes with vitest's when a thread stops).
if (!isMainThread && parentPort)
  parentPort.on('message', (message: unknown) => {
    const files = (message as Record<string, unknown> | null)?.[CHANGED_FILES];
    if (Array.isArray(files)) for (const file of files) if (typeof file === 'string') noteChangedFile(file);
  });

/**
 * What a vitest runtime kept from an earlier run evaluates again in its next run: the files vitest
 * names (`invalidates`), and once one of the files `changed` since its last run is a script (an
 * eval file or a module it imports), every file of the project's module graph outside
 * node_modules. vitest sends no invalidations for a change its watch trigger handled (it ends its
 * workers after a run, so a new one needs none) — a handful of files, not worth tracing importers for.
 */
export function invalidatesAfter({
  changed,
  invalidates,
  project,
}: {
  changed: readonly string[];
  invalidates: string[] | undefined;
  project: TestProject;
}): string[] | undefined {
  if (!changed.some((file) => SCRIPT.test(file))) return invalidates;
  const files = new Set(invalidates);
  for (const environment of Object.values(project.vite.environments))
    for (const file of environment.moduleGraph.fileToModulesMap.keys())
      if (!file.includes('/node_modules/')) files.add(file);
  return [...files];
}
