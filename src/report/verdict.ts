import type { BaselineComparison } from './compare.js';
import type { RunSummary } from './summary.js';

/**
 * When a run fails CI (`--fail-on`):
 * - `failure` (default): any failed eval, any replay that diverged from its recording, or any
 *   regression against the baseline;
 * - `regression`: only regressions — failures (and divergences) that are new since the baseline
 *   and score drops. Failures the baseline already had do not fail the run. Without a baseline
 *   every failure is new;
 * - `never`: report only.
 * Whatever the mode, errors (exit 3) and failed required evals (exit 1) fail the run.
 */
export type FailOn = 'regression' | 'failure' | 'never';

/** The values `--fail-on` accepts. */
export const FAIL_ON_VALUES: readonly FailOn[] = ['failure', 'regression', 'never'];

/** Exit codes (DESIGN.md): 0 ok, 1 failures or regressions, 2 usage or configuration, 3 infrastructure. */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2, infrastructure: 3 } as const;

/** The run's outcome for CI. */
export interface Verdict {
  exitCode: 0 | 1 | 2 | 3;
  status: 'pass' | 'fail' | 'error' | 'empty';
  /** One line, verdict first: what a PR comment starts with. */
  headline: string;
  /** Why the run failed (empty when it passed). */
  reasons: string[];
}

/**
 * Decides the exit code from a summary and, when there is a baseline, its comparison.
 * Precedence: no results at all → 2 (nothing was selected or found: a configuration mistake);
 * configuration errors found while running (overlapping agent scopes, a trace from a newer
 * looplet) → 2; eval errors or infrastructure errors → 3; failed required evals → 1; then
 * `failOn` (runs whose replay diverged count as failures).
 */
export function decideVerdict({
  summary,
  comparison,
  failOn = 'failure',
}: {
  summary: RunSummary;
  comparison?: BaselineComparison;
  failOn?: FailOn;
}): Verdict {
  const { totals } = summary;
  // Reports written before divergences were counted lack the field.
  const diverged = totals.diverged ?? 0;
  const scope = `${totals.evals} eval${plural(totals.evals)} × ${totals.contexts} run${plural(totals.contexts)}`;
  if (totals.outcomes === 0 && totals.infrastructureErrors === 0 && diverged === 0) {
    return {
      exitCode: 2,
      status: 'empty',
      headline: 'no eval results: no evals were selected, or no traces or cases were found',
      reasons: ['nothing was scored'],
    };
  }

  const reasons: string[] = [];
  const configuration = summary.infrastructureErrors.filter((error) => USAGE_ERROR_KINDS.has(error.kind));
  if (configuration.length > 0)
    reasons.push(`${configuration.length} configuration error${plural(configuration.length)}`);
  const infrastructure = totals.infrastructureErrors - configuration.length;
  if (totals.errors > 0) reasons.push(`${totals.errors} eval error${plural(totals.errors)}`);
  if (infrastructure > 0) reasons.push(`${infrastructure} infrastructure error${plural(infrastructure)}`);
  const everyFailureCounts = failOn === 'failure' || (failOn === 'regression' && !comparison);
  let failing = totals.requiredFailed > 0;
  if (everyFailureCounts && totals.failed > 0) {
    failing = true;
    const required = totals.requiredFailed > 0 ? ` (${totals.requiredFailed} required)` : '';
    const note = failOn === 'regression' ? ' (no baseline: every failure is new)' : '';
    reasons.push(`${totals.failed} failed${required}${note}`);
  } else if (totals.requiredFailed > 0) {
    reasons.push(`${totals.requiredFailed} required eval${plural(totals.requiredFailed)} failed`);
  }
  if (everyFailureCounts && diverged > 0) {
    failing = true;
    reasons.push(`${diverged} diverged`);
  }
  if (comparison && failOn !== 'never') {
    const newFailures = comparison.newFailures.length;
    const drops = comparison.scoreDrops.length;
    if (newFailures > 0) reasons.push(`${newFailures} new since baseline`);
    if (drops > 0) reasons.push(`${drops} score drop${plural(drops)} > ${comparison.tolerance}`);
    if (newFailures + drops > 0) failing = true;
  }

  if (configuration.length > 0)
    return { exitCode: 2, status: 'error', headline: `ERROR: ${reasons.join(' · ')} (${scope})`, reasons };
  if (totals.errors + infrastructure > 0)
    return { exitCode: 3, status: 'error', headline: `ERROR: ${reasons.join(' · ')} (${scope})`, reasons };
  if (failing)
    return { exitCode: 1, status: 'fail', headline: `FAIL: ${reasons.join(' · ')} (${scope})`, reasons };
  const counts = `${totals.passed} passed · ${totals.failed} failed${diverged > 0 ? ` · ${diverged} diverged` : ''}`;
  const note = totals.failed + diverged > 0 ? `; failures do not fail the run with --fail-on ${failOn}` : '';
  return { exitCode: 0, status: 'pass', headline: `PASS: ${counts} (${scope}${note})`, reasons: [] };
}

/**
 * Infrastructure errors that are configuration mistakes (exit 2): two agents whose scopes cover
 * the same trace, a trace written by a newer looplet, `-u` with no model to record with.
 */
export const USAGE_ERROR_KINDS: ReadonlySet<string> = new Set([
  'agent-config',
  'trace-version',
  'update-config',
]);

const USAGE_CODES: ReadonlySet<string> = new Set([
  'USAGE',
  'PLAN',
  'PEER_DEPENDENCY',
  'EVAL_DUPLICATE',
  'EVAL_PATH',
  'EVAL_DEFINITION',
  'CASE_INVALID',
  'CASE_CONFIG',
  'BASELINE_INVALID',
  'BASELINE_NOT_FOUND',
  'BASELINE_VERSION',
  'AGENT_SCOPE',
]);

/**
 * The exit code for an error that stopped a run: 2 for configuration mistakes (bad paths,
 * invalid cases, duplicate eval names, an unusable baseline), 3 for everything else (an eval file
 * that failed to import, an unreadable trace, a crash).
 */
export function exitCodeForError(error: unknown): 2 | 3 {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && USAGE_CODES.has(code) ? 2 : 3;
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}
