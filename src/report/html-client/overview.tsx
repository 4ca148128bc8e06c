// The report's first view: the verdict, counts, what changed against the baseline, divergences,
// the evals, then the eval × run matrix.
import type { ComparisonView, OutcomeStatus, PageData, ReportView, RunEntry } from '../html/page-data.js';
import { formatDelta, formatRate, formatScore, plural, STATUS_GLYPHS, scoreClass } from './format.js';
import { Matrix, type MatrixFilter } from './matrix.js';
import { runHref } from './route.js';

export function Overview({
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
  const { verdict, totals, comparison } = report;
  const diverged = page.runs.filter((run) => run.replay?.diverged);
  const pick = (status: OutcomeStatus) => {
    setFilter({ ...filter, status });
    document.getElementById('matrix')?.scrollIntoView();
  };
  return (
    <main class="overview">
      <section class={`verdict verdict-${verdict.status}`} aria-label="Verdict">
        <div class="verdict-status">{verdict.status.toUpperCase()}</div>
        <div>
          <h1>{verdict.headline}</h1>
          {verdict.reasons.length > 0 && verdict.status !== 'pass' && (
            <ul class="reasons">
              {verdict.reasons.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          )}
          <p class="muted small">
            exit code {verdict.exitCode} · {plural(totals.evals, 'eval')} × {plural(totals.runs, 'run')} ·
            written {page.createdAt}
          </p>
        </div>
      </section>

      <section class="counts" aria-label="Counts">
        {(
          [
            ['passed', totals.passed],
            ['failed', totals.failed],
            ['error', totals.errors],
            ['diverged', totals.diverged],
            ['skipped', totals.skipped],
            ['reported', totals.reported],
          ] as const
        ).map(([status, count]) => (
          <button type="button" class={`count status-${status}`} key={status} onClick={() => pick(status)}>
            <span class="count-n">{count}</span>
            <span class="count-label">
              {STATUS_GLYPHS[status]} {status === 'error' ? 'errors' : status}
              {status === 'diverged' ? ' runs' : ''}
            </span>
          </button>
        ))}
        {totals.infrastructureErrors > 0 && (
          <a class="count status-error" href="#infrastructure">
            <span class="count-n">{totals.infrastructureErrors}</span>
            <span class="count-label">infrastructure errors</span>
          </a>
        )}
      </section>

      <section aria-label="Against the baseline">
        <h2>Against the baseline</h2>
        {comparison ? (
          <Changes comparison={comparison} />
        ) : (
          <p class="muted">No baseline to compare with: `looplet-eval baseline update` saves one.</p>
        )}
      </section>

      {report.infrastructureErrors.length > 0 && (
        <section id="infrastructure">
          <h2>Infrastructure errors</h2>
          <ul class="plain">
            {report.infrastructureErrors.map((error, index) => (
              <li key={index} class="error-text">
                <code>{error.source}</code> ({error.kind}): <pre class="inline-pre">{error.message}</pre>
              </li>
            ))}
          </ul>
        </section>
      )}

      {diverged.length > 0 && <DivergedList runs={diverged} />}

      <EvalTable report={report} filter={filter} setFilter={setFilter} />
      <Matrix page={page} report={report} filter={filter} setFilter={setFilter} />
    </main>
  );
}

function Changes({ comparison }: { comparison: ComparisonView }) {
  const change = (item: ComparisonView['newFailures'][number]) => ({
    key: `${item.eval} ${item.run}`,
    run: item.run,
    text: `${item.eval} › ${item.run}`,
    note: `${item.before ?? 'absent'} → ${item.after}${scores(item.beforeScore, item.afterScore)}`,
  });
  const lists: ChangeListProps[] = [
    { title: 'New failures', kind: 'bad', items: comparison.newFailures.map(change) },
    { title: 'Fixed', kind: 'good', items: comparison.fixed.map(change) },
    {
      title: `Score drops (> ${comparison.tolerance})`,
      kind: 'bad',
      items: comparison.scoreDrops.map((drop) => ({
        key: drop.eval,
        text: drop.eval,
        note: `mean ${formatScore(drop.before)} → ${formatScore(drop.after)} (${formatDelta(drop.delta)} over ${plural(drop.runs, 'run')})`,
      })),
    },
    { title: 'Evals added', items: comparison.evalsAdded.map((name) => ({ key: name, text: name })) },
    { title: 'Evals removed', items: comparison.evalsRemoved.map((name) => ({ key: name, text: name })) },
    { title: 'Runs added', items: comparison.runsAdded.map((id) => ({ key: id, text: id, run: id })) },
    { title: 'Runs removed', items: comparison.runsRemoved.map((id) => ({ key: id, text: id })) },
  ];
  const shown = lists.filter((list) => list.items.length > 0);
  const unchanged = lists.filter((list) => list.items.length === 0).map((list) => list.title.toLowerCase());
  return (
    <>
      {shown.length > 0 && (
        <div class="changes">
          {shown.map((list) => (
            <ChangeList {...list} key={list.title} />
          ))}
        </div>
      )}
      <p class="muted small">
        {shown.length === 0 ? 'Nothing changed against the baseline' : `No ${unchanged.join(', no ')}`} (score
        tolerance {comparison.tolerance}).
      </p>
    </>
  );
}

function scores(before: number | undefined, after: number | undefined): string {
  if (before === undefined && after === undefined) return '';
  return ` (score ${formatScore(before)} → ${formatScore(after)})`;
}

interface ChangeListProps {
  title: string;
  items: Array<{ key: string; text: string; note?: string; run?: string }>;
  kind?: 'good' | 'bad' | 'neutral';
}

function ChangeList({ title, items, kind = 'neutral' }: ChangeListProps) {
  return (
    <div class={`change-box change-${kind}${items.length === 0 ? ' empty' : ''}`}>
      <h3>
        {title} <span class="count-pill">{items.length}</span>
      </h3>
      {items.length > 0 && (
        <ul class="plain">
          {items.slice(0, 50).map((item) => (
            <li key={item.key}>
              {item.run !== undefined ? (
                <a href={runHref(item.run)}>{item.text}</a>
              ) : (
                <code>{item.text}</code>
              )}
              {item.note && <span class="muted"> {item.note}</span>}
            </li>
          ))}
          {items.length > 50 && (
            <li class="muted">…and {items.length - 50} more (filter the matrix below)</li>
          )}
        </ul>
      )}
    </div>
  );
}

function DivergedList({ runs }: { runs: RunEntry[] }) {
  return (
    <section>
      <h2>⇄ Diverged replays</h2>
      <ul class="plain">
        {runs.map((run) => (
          <li key={run.id}>
            <a href={runHref(run.id)}>{run.id}</a>{' '}
            <span class="muted">
              at call {run.replay?.diverged?.callIndex}: {run.replay?.diverged?.summary[0]}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function EvalTable({
  report,
  filter,
  setFilter,
}: {
  report: ReportView;
  filter: MatrixFilter;
  setFilter: (filter: MatrixFilter) => void;
}) {
  const hasDelta = report.comparison !== undefined;
  return (
    <section>
      <h2>Evals</h2>
      <table class="evals">
        <thead>
          <tr>
            <th>eval</th>
            <th class="num">pass rate</th>
            <th class="num">mean</th>
            {hasDelta && <th class="num">Δ base</th>}
            <th class="num" title="passed">
              ✓
            </th>
            <th class="num" title="failed">
              ✗
            </th>
            <th class="num" title="errors">
              !
            </th>
            <th class="num" title="diverged">
              ⇄
            </th>
            <th class="num" title="skipped">
              -
            </th>
            <th class="num" title="reported (metrics only)">
              •
            </th>
          </tr>
        </thead>
        <tbody>
          {report.evals.map((item) => (
            <tr key={item.name} class={filter.eval === item.name ? 'selected' : ''}>
              <td>
                <button
                  type="button"
                  class="link"
                  title="Show only this eval in the matrix"
                  onClick={() => setFilter({ ...filter, eval: filter.eval === item.name ? '' : item.name })}
                >
                  {item.name}
                </button>
                {item.required && <span class="tag">required</span>}
                {item.tags
                  .filter((tag) => tag !== 'required')
                  .map((tag) => (
                    <span class="tag" key={tag}>
                      {tag}
                    </span>
                  ))}
              </td>
              <td class="num">{formatRate(item.passRate)}</td>
              <td class={`num ${scoreClass(item.meanScore)}`}>{formatScore(item.meanScore)}</td>
              {hasDelta && <td class={`num${item.dropped ? ' bad' : ''}`}>{formatDelta(item.delta)}</td>}
              <td class="num">{item.counts.passed}</td>
              <td class="num">{item.counts.failed}</td>
              <td class="num">{item.counts.error}</td>
              <td class="num">{item.counts.diverged}</td>
              <td class="num">{item.counts.skipped}</td>
              <td class="num">{item.counts.reported}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
