// The page: a header with the theme switch, then the overview, a run, or a trace diff, by route.
// Keys: `/` filters the runs, Esc goes back to the overview, Tab/Enter/Space as everywhere.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PageData } from '../html/page-data.js';
import { type MatrixFilter, NO_FILTER } from './matrix.js';
import { Overview } from './overview.js';
import { navigate, OVERVIEW_HREF, runHref, useRoute } from './route.js';
import { RunView } from './run-view.js';
import { ThemeSwitch } from './theme.js';
import { TraceDiff } from './trace-diff.js';

export function App({ page }: { page: PageData }) {
  const route = useRoute();
  const [filter, setFilter] = useState<MatrixFilter>(NO_FILTER);
  const [lastRun, setLastRun] = useState<string | undefined>();

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing =
        target instanceof HTMLInputElement ||
        target instanceof HTMLTextAreaElement ||
        target instanceof HTMLSelectElement;
      if (event.key === 'Escape') {
        if (typing) {
          target.blur();
          return;
        }
        if (page.kind === 'report' && route.view === 'run') {
          event.preventDefault();
          navigate(OVERVIEW_HREF);
        }
        return;
      }
      if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        const input = document.getElementById('filter-text');
        if (input) {
          event.preventDefault();
          input.focus();
        }
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [page, route]);

  // Back on the overview, focus returns to the run that was open.
  useEffect(() => {
    if (route.view === 'run') setLastRun(route.id);
    else if (lastRun !== undefined) {
      const link = document.querySelector<HTMLAnchorElement>(`a[href="${CSS.escape(runHref(lastRun))}"]`);
      link?.focus();
      link?.scrollIntoView({ block: 'center' });
    }
  }, [route]);

  let body: ComponentChildren;
  if (page.kind === 'diff' && page.diff) body = <TraceDiff page={page} diff={page.diff} />;
  else if (page.kind === 'trace') {
    const entry = page.runs[0]!;
    body = <RunView entry={entry} step={route.view === 'run' ? route.step : undefined} isPage />;
  } else if (page.kind === 'run' && page.report) {
    body = (
      <RunView
        entry={page.runs[0]!}
        outcomes={page.report.outcomes}
        evals={page.report.evals}
        step={route.view === 'run' ? route.step : undefined}
        isPage
      />
    );
  } else if (route.view === 'run' && page.report) {
    const index = page.runs.findIndex((run) => run.id === route.id);
    const entry = page.runs[index];
    body = entry ? (
      <RunView
        entry={entry}
        outcomes={page.report.outcomes.filter((outcome) => outcome.run === index)}
        evals={page.report.evals}
        step={route.step}
      />
    ) : (
      <main>
        <p class="callout error">
          No run <code>{route.id}</code> in this report. <a href={OVERVIEW_HREF}>All runs</a>
        </p>
      </main>
    );
  } else if (page.report) {
    body = <Overview page={page} report={page.report} filter={filter} setFilter={setFilter} />;
  }

  return (
    <>
      <header class="topbar">
        <a class="brand" href={OVERVIEW_HREF}>
          looplet
        </a>
        <span class="topbar-title">{PAGE_TITLES[page.kind]}</span>
        <span class="spacer" />
        <ThemeSwitch />
      </header>
      {body}
    </>
  );
}

const PAGE_TITLES: Record<PageData['kind'], string> = {
  report: 'eval report',
  run: 'eval run',
  trace: 'trace',
  diff: 'trace diff',
};
