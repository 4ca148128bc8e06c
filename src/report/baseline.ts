import { readFile } from 'node:fs/promises';
import { canonicalJson } from '../core/canonical-json.js';
import type { EvalStatus } from '../evals/types.js';
import { LoopletError } from '../util/errors.js';
import { writeFileAtomic } from './files.js';
import { REPORT_SCHEMA_VERSION, type RunSummary } from './summary.js';

/** One eval × context in a baseline: only what comparisons need. */
export interface BaselineResult {
  status: EvalStatus;
  score?: number;
  metrics?: Record<string, number>;
}

/** One eval in a baseline. */
export interface BaselineEval {
  required: boolean;
  passRate: number | null;
  meanScore: number | null;
}

/**
 * The accepted results a run is compared with: no times, no durations, no stack traces, keys
 * sorted — so re-saving an unchanged run gives the same bytes and a PR diff shows only real changes.
 */
export interface Baseline {
  schemaVersion: number;
  kind: 'looplet-baseline';
  evals: Record<string, BaselineEval>;
  /** eval name → context id → result. */
  results: Record<string, Record<string, BaselineResult>>;
}

const STATUSES: ReadonlySet<string> = new Set([
  'passed',
  'failed',
  'reported',
  'skipped',
  'error',
  'diverged',
]);

/** A baseline file cannot be used: missing, not JSON, the wrong shape, or from a newer looplet. */
export class BaselineError extends LoopletError {
  readonly file: string;

  constructor({
    file,
    problem,
    code = 'BASELINE_INVALID',
  }: { file: string; problem: string; code?: string }) {
    super({ message: `baseline ${file}: ${problem}`, code });
    this.file = file;
  }
}

/** The baseline file does not exist (CI's first run, or a wrong path). */
export class BaselineNotFoundError extends BaselineError {
  constructor({ file }: { file: string }) {
    super({
      file,
      problem: 'not found; create it with `looplet-eval baseline update` (or saveBaseline())',
      code: 'BASELINE_NOT_FOUND',
    });
  }
}

/** The baseline was written by a newer looplet whose format this version cannot read. */
export class BaselineVersionError extends BaselineError {
  readonly version: number;

  constructor({ file, version }: { file: string; version: number }) {
    super({
      file,
      problem: `has schemaVersion ${version}, newer than this looplet reads (${REPORT_SCHEMA_VERSION}); upgrade looplet, or re-create the baseline with this version`,
      code: 'BASELINE_VERSION',
    });
    this.version = version;
  }
}

/** The baseline of a summary (what {@link saveBaseline} writes). */
export function baselineFromSummary({ summary }: { summary: RunSummary }): Baseline {
  const evals: Record<string, BaselineEval> = {};
  for (const item of summary.evals) {
    evals[item.name] = { required: item.required, passRate: item.passRate, meanScore: item.meanScore };
  }
  const results: Record<string, Record<string, BaselineResult>> = {};
  for (const outcome of summary.outcomes) {
    const entry: BaselineResult = { status: outcome.status };
    if (outcome.score !== undefined) entry.score = outcome.score;
    if (Object.keys(outcome.metrics).length > 0) entry.metrics = { ...outcome.metrics };
    results[outcome.name] ??= {};
    results[outcome.name]![outcome.context] = entry;
  }
  return { schemaVersion: REPORT_SCHEMA_VERSION, kind: 'looplet-baseline', evals, results };
}

/**
 * Writes the baseline of `summary` to `file` (canonical JSON, written to a temporary file and
 * renamed, so a crash never leaves half a baseline). Returns the baseline written.
 */
export async function saveBaseline({
  summary,
  file,
}: {
  summary: RunSummary;
  file: string;
}): Promise<Baseline> {
  const baseline = baselineFromSummary({ summary });
  await writeFileAtomic({ file, content: canonicalJson(baseline) });
  return baseline;
}

/**
 * Reads and checks a baseline file. Throws {@link BaselineNotFoundError} when it is missing,
 * {@link BaselineVersionError} when it is from a newer looplet, and {@link BaselineError} when
 * it is not a baseline. All are configuration errors (exit code 2).
 */
export async function readBaseline({ file }: { file: string }): Promise<Baseline> {
  return (await readBaselineAgain({ file })).baseline;
}

/** What {@link readBaselineAgain} read: the file's text and the baseline it holds. */
export interface BaselineRead {
  text: string;
  baseline: Baseline;
}

/**
 * {@link readBaseline}, giving back `last`'s baseline — the same object — when the file still
 * holds `last`'s text (a watch session reads it every run; what was rendered against it is kept).
 */
export async function readBaselineAgain({
  file,
  last,
}: {
  file: string;
  last?: BaselineRead;
}): Promise<BaselineRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BaselineNotFoundError({ file });
    throw new BaselineError({ file, problem: `cannot be read (${(error as Error).message})` });
  }
  if (last?.text === text) return last;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BaselineError({ file, problem: `is not valid JSON (${(error as Error).message})` });
  }
  return { text, baseline: checkBaseline({ value, file }) };
}

/** Validates a parsed baseline (see {@link readBaseline}). */
export function checkBaseline({ value, file }: { value: unknown; file: string }): Baseline {
  const fail = (problem: string): never => {
    throw new BaselineError({ file, problem });
  };
  if (!isRecord(value)) return fail('is not a JSON object');
  const version = value.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    return fail('has no valid "schemaVersion"; is it a looplet baseline?');
  if (version > REPORT_SCHEMA_VERSION) throw new BaselineVersionError({ file, version });
  if (value.kind !== 'looplet-baseline')
    return fail(
      `has kind ${JSON.stringify(value.kind)}, expected "looplet-baseline" (a report is not a baseline)`,
    );
  if (!isRecord(value.evals)) return fail('field "evals" must be an object');
  if (!isRecord(value.results)) return fail('field "results" must be an object');
  for (const [name, entry] of Object.entries(value.evals)) {
    if (!isRecord(entry) || typeof entry.required !== 'boolean')
      fail(`field "evals/${name}" must be { required, passRate, meanScore }`);
  }
  for (const [name, contexts] of Object.entries(value.results)) {
    if (!isRecord(contexts)) return fail(`field "results/${name}" must be an object of contexts`);
    for (const [context, entry] of Object.entries(contexts)) {
      const field = `results/${name}/${context}`;
      if (!isRecord(entry) || typeof entry.status !== 'string' || !STATUSES.has(entry.status))
        fail(`field "${field}" needs a status (passed, failed, reported, skipped, error or diverged)`);
      const score = (entry as Record<string, unknown>).score;
      if (score !== undefined && (typeof score !== 'number' || !Number.isFinite(score)))
        fail(`field "${field}/score" must be a number`);
    }
  }
  return value as unknown as Baseline;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
