import { type Dirent, readdirSync } from 'node:fs';
import { errorMessage } from '../util/errors.js';
import { oneLine } from '../util/text.js';
import {
  ARTIFACTS_FILE,
  CALLS_DIR,
  callFile,
  EXPECTED_FILE,
  STEPS_DIR,
  stepFile,
  TRACE_FILE,
  VOLATILE_FILE,
} from './layout.js';
import { TraceFiles } from './trace-files.js';

/** Python looplet's top-level trace file. */
export const PYTHON_TRACE_FILE = 'trajectory.json';

const V1_FILES = new Set([TRACE_FILE, VOLATILE_FILE, ARTIFACTS_FILE, EXPECTED_FILE]);
const V1_DIRS = new Set([STEPS_DIR, CALLS_DIR]);
const PYTHON_FILES =
  /^(?:trajectory\.json|manifest\.jsonl|artifacts\.json|expected\.json|evals\.json|case\.json|metrics\.json|call_\d+_(?:prompt|response)\.txt)$/;

/**
 * Why `dir` is not a complete trace, or undefined when it is one: a format-v1 trace whose
 * `trace.json` reads and whose step and call files are all there, or a Python looplet trace whose
 * `trajectory.json` reads — holding nothing but trace files, and no symbolic link. Writers replace
 * (and delete) only such directories; readers trust a copy set aside by a replace only if it is one.
 */
export function incompleteTraceReason(dir: string): string | undefined {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    return `it cannot be listed: ${errorMessage(error)}`;
  }
  const names = new Set(entries.map((entry) => entry.name));
  const python = !names.has(TRACE_FILE) && names.has(PYTHON_TRACE_FILE);
  if (!python && !names.has(TRACE_FILE)) return 'no trace.json';
  for (const entry of entries) {
    const shown = oneLine(entry.name, 60);
    if (entry.isSymbolicLink()) return `${shown} is a symbolic link`;
    const isTraceFile = python ? PYTHON_FILES.test(entry.name) : V1_FILES.has(entry.name);
    const isTraceDir = python ? entry.name === STEPS_DIR : V1_DIRS.has(entry.name);
    if (!(entry.isFile() && isTraceFile) && !(entry.isDirectory() && isTraceDir))
      return `it holds ${shown}, which is not part of a trace`;
  }
  const files = new TraceFiles({ root: dir });
  try {
    const meta = files.readJson(python ? PYTHON_TRACE_FILE : TRACE_FILE);
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta))
      return `${python ? PYTHON_TRACE_FILE : TRACE_FILE} is not a JSON object`;
    if (python) return undefined;
    const { stepCount, callCount } = meta as { stepCount?: unknown; callCount?: unknown };
    return (
      missingFile(files, STEPS_DIR, stepCount, stepFile) ?? missingFile(files, CALLS_DIR, callCount, callFile)
    );
  } catch (error) {
    return errorMessage(error);
  }
}

/** The first of `count` numbered files missing from `subdir`, as a reason. */
function missingFile(
  files: TraceFiles,
  subdir: string,
  count: unknown,
  nameOf: (index: number, count: number) => string,
): string | undefined {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
    return `trace.json has no valid ${subdir === STEPS_DIR ? 'stepCount' : 'callCount'}`;
  if (count === 0) return undefined;
  if (!files.isDirectory(subdir)) return `${subdir}/ is missing`;
  const present = new Set(
    readdirSync(files.path(subdir), { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => `${subdir}/${entry.name}`),
  );
  for (let index = 1; index <= count; index++) {
    const name = nameOf(index, count);
    if (!present.has(name)) return `${name} is missing`;
  }
  return undefined;
}
