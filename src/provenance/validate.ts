import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../util/errors.js';
import { walkTraceDirs } from './find-traces.js';
import { CALLS_DIR, callFile, STEPS_DIR, stepFile, VOLATILE_FILE } from './layout.js';
import { readTrace } from './read-trace.js';
import { TraceFiles, unsafeEntries } from './trace-files.js';
import { checkRecord } from './trace-schema.js';
import type { RecordedTrace } from './types.js';

/** The outcome of validating one trace directory. */
export interface TraceValidation {
  dir: string;
  /** `looplet` (format v1), `python-looplet`, or `unknown` when the directory could not be opened. */
  format: 'looplet' | 'python-looplet' | 'unknown';
  valid: boolean;
  /** What is wrong, one line each, naming the file (and field). Empty when valid. */
  problems: string[];
}

const MAX_PROBLEMS = 20;

/**
 * Checks a trace directory completely: every file against `schema/trace-v1.schema.json`, every
 * step and model call through the reader (so base links and numbering are checked too), the file
 * counts against `trace.json`, `volatile.json`'s shape, and that nothing in the directory is a
 * symbolic link or a special file. Never throws for a bad trace.
 */
export function validateTraceDir({
  dir,
  maxFileBytes,
}: {
  dir: string;
  maxFileBytes?: number;
}): TraceValidation {
  const root = path.resolve(dir);
  const problems: string[] = [];
  const add = (problem: string) => {
    // A missing call also breaks the calls that continue it: report the cause once.
    if (problems.includes(problem)) return;
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
    else if (problems.length === MAX_PROBLEMS) problems.push('… more problems not shown');
  };
  // Whatever the reader reads or not, nothing inside a trace may point elsewhere.
  if (existsSync(root) && statSync(root).isDirectory())
    for (const error of unsafeEntries(root)) add(error.message);
  let trace: RecordedTrace;
  try {
    trace = readTrace({ dir: root, ...(maxFileBytes === undefined ? {} : { maxFileBytes }) });
  } catch (error) {
    add(errorMessage(error));
    return { dir: root, format: 'unknown', valid: false, problems };
  }
  const full = () => problems.length > MAX_PROBLEMS;
  for (let index = 1; index <= trace.meta.stepCount && !full(); index++) {
    try {
      trace.readStep(index);
    } catch (error) {
      add(errorMessage(error));
    }
  }
  for (let index = 1; index <= trace.meta.callCount && !full(); index++) {
    try {
      trace.readCall(index);
    } catch (error) {
      add(errorMessage(error));
    }
  }
  const files = new TraceFiles({ root: trace.dir, ...(maxFileBytes === undefined ? {} : { maxFileBytes }) });
  if (trace.meta.source === 'looplet' && !full()) {
    checkFileSet(files, STEPS_DIR, trace.meta.stepCount, stepFile, add);
    checkFileSet(files, CALLS_DIR, trace.meta.callCount, callFile, add);
    checkVolatile(files, trace, add);
  }
  if (trace.meta.source === 'python-looplet' && !full()) {
    try {
      trace.readVolatile();
    } catch (error) {
      add(errorMessage(error));
    }
  }
  return { dir: root, format: trace.meta.source, valid: problems.length === 0, problems };
}

/** Reports files in `steps/` or `calls/` that `trace.json`'s counts do not account for. */
function checkFileSet(
  files: TraceFiles,
  subdir: string,
  count: number,
  nameOf: (index: number, count: number) => string,
  add: (problem: string) => void,
): void {
  let entries: string[];
  try {
    if (!files.isDirectory(subdir)) return; // Missing files were reported when reading them.
    entries = readdirSync(files.path(subdir));
  } catch (error) {
    add(errorMessage(error));
    return;
  }
  const expected = new Set(Array.from({ length: count }, (_, index) => nameOf(index + 1, count)));
  for (const entry of entries.sort()) {
    const name = `${subdir}/${entry}`;
    if (!expected.has(name))
      add(
        `${files.path(name)}: unexpected file (trace.json counts ${count} ${subdir}); a trace is written whole, so this one was edited or mixed with another`,
      );
  }
}

function checkVolatile(files: TraceFiles, trace: RecordedTrace, add: (problem: string) => void): void {
  const file = files.path(VOLATILE_FILE);
  try {
    const value = files.readJson(VOLATILE_FILE, { optional: true }) as
      | { steps?: unknown[]; calls?: unknown[] }
      | undefined;
    if (value === undefined) return;
    const issue = checkRecord('volatile', value);
    if (issue) {
      add(`${file}${issue.field ? ` (field ${issue.field})` : ''}: ${issue.message}`);
      return;
    }
    if (value.steps?.length !== trace.meta.stepCount)
      add(
        `${file} (field steps): has ${value.steps?.length} entries, but the trace has ${trace.meta.stepCount} steps`,
      );
    if (value.calls?.length !== trace.meta.callCount)
      add(
        `${file} (field calls): has ${value.calls?.length} entries, but the trace has ${trace.meta.callCount} model calls`,
      );
  } catch (error) {
    add(errorMessage(error));
  }
}

/**
 * Finds the trace directories under `paths`: each path that is a trace, and every directory below
 * it that looks like one (see `walkTraceDirs`). Hidden directories (such as the temporary
 * directories of a write in progress) and `node_modules` are skipped.
 */
export function findTraceDirs({ paths }: { paths: readonly string[] }): string[] {
  const found = new Set<string>();
  for (const given of paths) {
    const root = path.resolve(given);
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      found.add(root); // Reported as invalid by validateTraceDir.
      continue;
    }
    for (const dir of walkTraceDirs({ root })) found.add(dir);
  }
  return [...found].sort();
}
