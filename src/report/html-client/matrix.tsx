// The eval × run matrix: one row per run, one column per eval, the verdict and score in each
// cell; filtered by run id, status, eval and tag, sorted by score change or score.
import { useMemo } from 'preact/hooks';
import type { OutcomeStatus, OutcomeView, PageData, ReportView } from '../html/page-data.js';
import {
  formatDelta,
  formatNumber,
  formatScore,
  plural,
  STATUS_GLYPHS,
  STATUS_ORDER,
  scoreClass,
} from './format.js';
import { useWindow } from './incremental.js';
import { navigate, runHref } from './route.js';

export interface MatrixFilter {
  text: string;
  status: OutcomeStatus | 'changed' | '';
  eval: string;
  tag: string;
  sort: 'id' | 'delta' | 'score' | 'problems';
}

export const NO_FILTER: MatrixFilter = { text: '', status: '', eval: '', tag: '', sort: 'id' };

/** Rows rendered per page; more as the list scrolls. */
const ROW_PAGE = 100;

export function Matrix({
  page,
  report,
  filter,
  setFilter,
}: {
  page: PageData;
  report: ReportView;
  filter: MatrixFilter;
  setFilter: (filter: MatrixFilter) => void;
}) {
  const cells = useMemo(() => {
    const grid = page.runs.map(() => new Map<number, OutcomeView>());
    for (const outcome of report.outcomes) grid[outcome.run]?.set(outcome.eval, outcome);
    return grid;
  }, [page, report]);
  const tags = useMemo(() => [...new Set(report.evals.flatMap((item) => item.tags))].sort(), [report]);
  const columns = useMemo(
    () =>
      report.evals
        .map((item, index) => ({ item, index }))
        .filter(
          ({ item }) =>
            (!filter.eval || item.name === filter.eval) && (!filter.tag || item.tags.includes(filter.tag)),
        ),
    [report, filter.eval, filter.tag],
  );
  const rows = useMemo(() => {
    const text = filter.text.trim().toLowerCase();
    const visible = (run: number) =>
      columns.map(({ index }) => cells[run]!.get(index)).filter((cell) => cell !== undefined);
    const picked = page.runs
      .map((run, index) => ({ run, index, outcomes: visible(index) }))
      .filter(({ run, outcomes }) => {
        if (text && !run.id.toLowerCase().includes(text)) return false;
        if (filter.status === 'changed') return outcomes.some((outcome) => outcome.change);
        if (filter.status === 'diverged' && run.replay?.diverged) return true;
        if (filter.status) return outcomes.some((outcome) => outcome.status === filter.status);
        return true;
      })
      .map((row) => ({ ...row, delta: runDelta(row.outcomes), mean: runMean(row.outcomes) }));
    const byId = (a: { run: { id: string } }, b: { run: { id: string } }) =>
      a.run.id < b.run.id ? -1 : a.run.id > b.run.id ? 1 : 0;
    if (filter.sort === 'delta') picked.sort((a, b) => (a.delta ?? 0) - (b.delta ?? 0) || byId(a, b));
    else if (filter.sort === 'score') picked.sort((a, b) => (a.mean ?? 2) - (b.mean ?? 2) || byId(a, b));
    else if (filter.sort === 'problems')
      picked.sort((a, b) => problems(b.outcomes) - problems(a.outcomes) || byId(a, b));
    return picked;
  }, [page, cells, columns, filter]);
  const { end, footer } = useWindow({
    total: rows.length,
    pageSize: ROW_PAGE,
    noun: 'runs',
    resetKey: rows,
  });
  const update = (change: Partial<MatrixFilter>) => setFilter({ ...filter, ...change });
  const open = (id: string) => navigate(runHref(id));
  const filtered = filter.text || filter.status || filter.eval || filter.tag;

  return (
    <section id="matrix" aria-label="Evals by run">
      <h2>Runs × evals</h2>
      <search class="filters">
        <label>
          <span>run id</span>
          <input
            id="filter-text"
            type="search"
            placeholder="filter runs (press /)"
            value={filter.text}
            onInput={(event) => update({ text: event.currentTarget.value })}
            onKeyDown={(event) => {
              // Esc empties the filter (and the page's key handler leaves the field).
              if (event.key === 'Escape') update({ text: '' });
            }}
          />
        </label>
        <label>
          <span>status</span>
          <select
            value={filter.status}
            onChange={(event) => update({ status: event.currentTarget.value as MatrixFilter['status'] })}
          >
            <option value="">any</option>
            {STATUS_ORDER.map((status) => (
              <option value={status} key={status}>
                {STATUS_GLYPHS[status]} {status}
              </option>
            ))}
            <option value="changed">changed since baseline</option>
          </select>
        </label>
        <label>
          <span>eval</span>
          <select value={filter.eval} onChange={(event) => update({ eval: event.currentTarget.value })}>
            <option value="">all</option>
            {report.evals.map((item) => (
              <option value={item.name} key={item.name}>
                {item.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>tag</span>
          <select value={filter.tag} onChange={(event) => update({ tag: event.currentTarget.value })}>
            <option value="">all</option>
            {tags.map((tag) => (
              <option value={tag} key={tag}>
                {tag}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>sort</span>
          <select
            value={filter.sort}
            onChange={(event) => update({ sort: event.currentTarget.value as MatrixFilter['sort'] })}
          >
            <option value="id">run id</option>
            <option value="delta">score change vs baseline (worst first)</option>
            <option value="score">mean score (lowest first)</option>
            <option value="problems">failures first</option>
          </select>
        </label>
        {filtered && (
          <button type="button" onClick={() => setFilter({ ...NO_FILTER, sort: filter.sort })}>
            Clear filters
          </button>
        )}
      </search>
      <p class="muted small" aria-live="polite">
        {rows.length === page.runs.length
          ? plural(rows.length, 'run')
          : `${rows.length} of ${plural(page.runs.length, 'run')}`}{' '}
        · {plural(columns.length, 'eval')}
      </p>
      <div class="matrix-scroll">
        <table class="matrix">
          <thead>
            <tr>
              <th class="run-col">run</th>
              {columns.map(({ item }) => (
                <th key={item.name} title={item.name}>
                  <span class="col-name">{item.name.replace(/^eval_/, '')}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, end).map(({ run, index }) => (
              <tr key={run.id} class="matrix-row" data-run={run.id} onClick={() => open(run.id)}>
                <th class="run-col" scope="row">
                  <a
                    href={runHref(run.id)}
                    onKeyDown={(event) => {
                      if (event.key === ' ') {
                        event.preventDefault();
                        open(run.id);
                      }
                    }}
                  >
                    {run.id}
                  </a>
                  <span class="run-sub">
                    {run.replay?.diverged && <span class="status-diverged">⇄ diverged · </span>}
                    {run.origin && `${run.origin} · `}
                    {run.endReason ?? ''}
                    {run.stepCount !== undefined && ` · ${plural(run.stepCount, 'step')}`}
                  </span>
                </th>
                {columns.map(({ item, index: evalIndex }) => {
                  const outcome = cells[index]!.get(evalIndex);
                  return (
                    <td
                      key={item.name}
                      data-eval={item.name}
                      class={outcome ? `cell status-${outcome.status}` : 'cell empty'}
                      title={outcome && cellTitle(item.name, outcome)}
                    >
                      {outcome && <Cell outcome={outcome} />}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {footer}
      {rows.length === 0 && <p class="muted">No run matches these filters.</p>}
    </section>
  );
}

function Cell({ outcome }: { outcome: OutcomeView }) {
  const delta =
    outcome.before?.score !== undefined && outcome.score !== undefined
      ? outcome.score - outcome.before.score
      : undefined;
  return (
    <>
      <span class="glyph">{STATUS_GLYPHS[outcome.status]}</span>{' '}
      <span class={scoreClass(outcome.score)}>{cellText(outcome)}</span>
      {outcome.change && (
        <span class={`change change-${outcome.change}`}>{outcome.change === 'fixed' ? 'fixed' : 'new'}</span>
      )}
      {delta !== undefined && <span class="delta">{formatDelta(delta)}</span>}
    </>
  );
}

/** The score; else the label; else the first metrics; else the status. */
function cellText(outcome: OutcomeView): string {
  if (outcome.score !== undefined) return formatScore(outcome.score);
  if (outcome.label !== undefined) return outcome.label;
  if (outcome.metrics) {
    const entries = Object.entries(outcome.metrics);
    const shown = entries.slice(0, 2).map(([key, value]) => `${key}=${formatNumber(value)}`);
    return `${shown.join(' ')}${entries.length > 2 ? ' …' : ''}`;
  }
  return outcome.status;
}

function cellTitle(name: string, outcome: OutcomeView): string {
  const parts = [`${name}: ${outcome.status}`];
  if (outcome.score !== undefined)
    parts.push(`score ${formatScore(outcome.score)} (threshold ${formatScore(outcome.threshold)})`);
  if (outcome.before)
    parts.push(
      `baseline: ${outcome.before.status}${outcome.before.score !== undefined ? ` ${formatScore(outcome.before.score)}` : ''}`,
    );
  if (outcome.metrics)
    parts.push(
      Object.entries(outcome.metrics)
        .map(([key, value]) => `${key}=${formatNumber(value)}`)
        .join(' '),
    );
  if (outcome.reason) parts.push(outcome.reason.slice(0, 300));
  if (outcome.error) parts.push(`${outcome.error.kind}: ${outcome.error.message.slice(0, 300)}`);
  return parts.join('\n');
}

/** Sum of score changes against the baseline where both scores are known. */
function runDelta(outcomes: readonly OutcomeView[]): number | undefined {
  let total: number | undefined;
  for (const outcome of outcomes)
    if (outcome.before?.score !== undefined && outcome.score !== undefined)
      total = (total ?? 0) + outcome.score - outcome.before.score;
  return total;
}

function runMean(outcomes: readonly OutcomeView[]): number | undefined {
  const scores = outcomes.flatMap((outcome) => (outcome.score === undefined ? [] : [outcome.score]));
  return scores.length === 0 ? undefined : scores.reduce((a, b) => a + b, 0) / scores.length;
}

function problems(outcomes: readonly OutcomeView[]): number {
  return outcomes.filter(
    (outcome) => outcome.status === 'failed' || outcome.status === 'error' || outcome.status === 'diverged',
  ).length;
}
