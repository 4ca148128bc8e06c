// One run, step by step: how it was obtained, its divergence, each eval's verdict, the task, the
// steps, the final output and artifacts.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EvalView, OutcomeView, RunData, RunEntry, StepView } from '../html/page-data.js';
import { loadRun } from './data.js';
import { Divergence } from './divergence.js';
import { formatMs, formatNumber, formatScore, plural, STATUS_GLYPHS } from './format.js';
import { useWindow } from './incremental.js';
import { OVERVIEW_HREF, runHref } from './route.js';
import { StepCard, stepHasError } from './steps.js';
import { Fold, StringValue, Value } from './value.js';

/** Steps rendered per page of the list; a 10,000-step run renders this many until scrolled. */
const STEP_PAGE = 50;

export function RunView({
  entry,
  outcomes = [],
  evals = [],
  step,
  isPage = false,
}: {
  entry: RunEntry;
  outcomes?: readonly OutcomeView[];
  evals?: readonly EvalView[];
  /** The step to scroll to. */
  step?: number;
  /** The run is the whole page (`looplet show --html`): no way back to an overview. */
  isPage?: boolean;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (step === undefined) {
      heading.current?.focus({ preventScroll: true });
      scrollTo(0, 0);
    }
  }, [entry.id]);
  const [which, setWhich] = useState<'scored' | 'recorded'>('scored');
  const blob = which === 'recorded' ? entry.recordedBlob : entry.blob;
  let run: RunData | undefined;
  let loadError: string | undefined;
  try {
    run = blob === undefined ? undefined : loadRun(blob);
  } catch (error) {
    loadError = String(error);
  }
  const diverged = entry.replay?.diverged;
  return (
    <main class="run-view">
      {!isPage && (
        <nav class="crumbs">
          <a href={OVERVIEW_HREF}>← All runs</a> <kbd>Esc</kbd>
        </nav>
      )}
      <h1 ref={heading} tabIndex={-1}>
        {entry.id}
      </h1>
      <RunFacts entry={entry} run={run} />
      {entry.missing && <p class="callout">{entry.missing}</p>}
      {loadError && <p class="callout error">{loadError}</p>}
      {diverged && <Divergence divergence={diverged} stepHref={runHref(entry.id, diverged.callIndex)} />}
      {entry.replay && entry.replay.warnings.length > 0 && (
        <section>
          <h2>Replay warnings ({entry.replay.mode})</h2>
          {entry.replay.warnings.map((warning, index) => (
            <Divergence divergence={warning} warning key={index} />
          ))}
        </section>
      )}
      {entry.updated && (
        <p class="callout">
          Re-recorded (-u): {entry.updated.stepsBefore} → {entry.updated.stepsAfter} steps, end reason{' '}
          {entry.updated.endReasonBefore} → {entry.updated.endReasonAfter}
          {entry.updated.changedEvals.length > 0 &&
            `; verdict changed: ${entry.updated.changedEvals.join(', ')}`}
        </p>
      )}
      {outcomes.length > 0 && <OutcomeTable outcomes={outcomes} evals={evals} />}
      {run && (
        <>
          <RunOverview run={run} />
          <section class="steps" aria-label="Steps">
            <div class="section-head">
              <h2>Steps</h2>
              {entry.recordedBlob !== undefined && (
                <fieldset class="segmented" aria-label="Which run">
                  <button type="button" aria-pressed={which === 'scored'} onClick={() => setWhich('scored')}>
                    Replayed run
                  </button>
                  <button
                    type="button"
                    aria-pressed={which === 'recorded'}
                    onClick={() => setWhich('recorded')}
                  >
                    Recorded trace
                  </button>
                </fieldset>
              )}
            </div>
            <StepList run={run} target={step} runId={entry.id} />
          </section>
          <section>
            <h2>Final output</h2>
            {run.finalOutput === undefined ? (
              <p class="muted">none: the run ended with {run.endReason}</p>
            ) : (
              <Value value={run.finalOutput} open />
            )}
          </section>
          <section>
            <h2>Artifacts</h2>
            {Object.keys(run.artifacts).length === 0 ? (
              <p class="muted">none</p>
            ) : (
              <Value value={run.artifacts} open />
            )}
          </section>
          {Object.keys(run.expected).length > 0 && (
            <section>
              <h2>Expected</h2>
              <Value value={run.expected} open />
            </section>
          )}
        </>
      )}
    </main>
  );
}

function RunFacts({ entry, run }: { entry: RunEntry; run: RunData | undefined }) {
  const endReason = run?.endReason ?? entry.endReason;
  return (
    <div class="facts">
      {entry.origin && <span class={`badge origin-${entry.origin}`}>{entry.origin}</span>}
      {entry.replay?.diverged && <span class="badge status-diverged">⇄ diverged</span>}
      {endReason && <span class={`badge end-${endReason}`}>end: {endReason}</span>}
      {run && <span class="badge">{plural(run.stepCount, 'step')}</span>}
      {run?.model && <span class="badge">model {run.model}</span>}
      {entry.trace && (
        <span class="path" title="trace directory">
          trace: <code>{entry.trace}</code>
        </span>
      )}
      {entry.replayedTrace && (
        <span class="path" title="the replayed run, written as a trace">
          replayed: <code>{entry.replayedTrace}</code>
        </span>
      )}
      {entry.agentFile && (
        <span class="path">
          agent: <code>{entry.agentFile}</code>
        </span>
      )}
    </div>
  );
}

function OutcomeTable({ outcomes, evals }: { outcomes: readonly OutcomeView[]; evals: readonly EvalView[] }) {
  return (
    <section>
      <h2>Evals on this run</h2>
      <table class="outcomes">
        <thead>
          <tr>
            <th>eval</th>
            <th>verdict</th>
            <th>score</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          {outcomes.map((outcome) => {
            const item = evals[outcome.eval]!;
            return (
              <tr key={outcome.eval} class={`status-${outcome.status}`} id={`eval-${item.name}`}>
                <td>
                  <code>{item.name}</code>
                  {item.required && <span class="tag">required</span>}
                </td>
                <td>
                  <span class={`status status-${outcome.status}`}>
                    {STATUS_GLYPHS[outcome.status]} {outcome.status}
                  </span>
                  {outcome.change && (
                    <span class={`change change-${outcome.change}`}>{outcome.change.replace('-', ' ')}</span>
                  )}
                </td>
                <td class="num">
                  {outcome.before?.score !== undefined && `${formatScore(outcome.before.score)} → `}
                  {formatScore(outcome.score)}
                  {outcome.score !== undefined && (
                    <span class="muted"> / {formatScore(outcome.threshold)}</span>
                  )}
                </td>
                <td class="why">
                  {outcome.label !== undefined && <span class="tag">“{outcome.label}”</span>}
                  {outcome.reason !== undefined && <StringValue text={outcome.reason} quoted={false} />}
                  {outcome.metrics && (
                    <span class="metrics">
                      {Object.entries(outcome.metrics)
                        .map(([key, value]) => `${key}=${formatNumber(value)}`)
                        .join(' ')}
                    </span>
                  )}
                  {outcome.error && (
                    <div class="error-text">
                      {outcome.error.kind}: <StringValue text={outcome.error.message} quoted={false} />
                      {outcome.error.stack && (
                        <Fold summary="stack">{() => <pre>{outcome.error?.stack}</pre>}</Fold>
                      )}
                    </div>
                  )}
                  {outcome.details && (
                    <Fold summary="details">{() => <Value value={outcome.details} open />}</Fold>
                  )}
                  <span class="muted small"> {formatMs(outcome.durationMs)}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function RunOverview({ run }: { run: RunData }) {
  const duration =
    run.startedAt && run.endedAt ? Date.parse(run.endedAt) - Date.parse(run.startedAt) : undefined;
  return (
    <section class="run-overview">
      <h2>Task</h2>
      <TaskView task={run.task} />
      <dl class="fact-list">
        <div>
          <dt>end reason</dt>
          <dd>
            <span class={`badge end-${run.endReason}`}>{run.endReason}</span>
            {run.stopReason !== undefined && <> {run.stopReason}</>}
          </dd>
        </div>
        <div>
          <dt>usage</dt>
          <dd>
            {run.usage.totalTokens.toLocaleString('en')} tokens ({run.usage.promptTokens.toLocaleString('en')}{' '}
            prompt + {run.usage.completionTokens.toLocaleString('en')} completion) over{' '}
            {plural(run.callCount, 'model call')}
          </dd>
        </div>
        {(run.startedAt || duration !== undefined) && (
          <div>
            <dt>time</dt>
            <dd>
              {run.startedAt}
              {duration !== undefined && !Number.isNaN(duration) && ` · took ${formatMs(duration)}`}
            </dd>
          </div>
        )}
        <div>
          <dt>trace</dt>
          <dd>
            <code>{run.dir}</code> (
            {run.format === 'python-looplet' ? 'Python looplet trace' : 'looplet trace'})
          </dd>
        </div>
        {run.tools.length > 0 && (
          <div>
            <dt>tools</dt>
            <dd>
              <Fold summary={run.tools.map((tool) => tool.name).join(', ')}>
                {() => (
                  <dl class="v-object">
                    {run.tools.map((tool) => (
                      <div class="v-entry" key={tool.name}>
                        <dt>{tool.name}</dt>
                        <dd>{tool.description}</dd>
                      </div>
                    ))}
                  </dl>
                )}
              </Fold>
            </dd>
          </div>
        )}
      </dl>
      {run.cut && (
        <p class="muted small">
          Some long values were cut to keep the page small; the trace holds them whole.
        </p>
      )}
    </section>
  );
}

/** A task: its goal as text, any other fields below it. */
function TaskView({ task }: { task: unknown }) {
  if (typeof task === 'string') return <StringValue text={task} quoted={false} />;
  if (typeof task === 'object' && task !== null && typeof (task as { goal?: unknown }).goal === 'string') {
    const { goal, ...rest } = task as { goal: string };
    return (
      <>
        <p class="task-goal">
          <StringValue text={goal} quoted={false} />
        </p>
        {Object.keys(rest).length > 0 && <Value value={rest} open />}
      </>
    );
  }
  return <Value value={task} open />;
}

function StepList({ run, target, runId }: { run: RunData; target: number | undefined; runId: string }) {
  const [onlyErrors, setOnlyErrors] = useState(false);
  const [goTo, setGoTo] = useState('');
  const steps = useMemo<readonly StepView[]>(
    () => (onlyErrors ? run.steps.filter(stepHasError) : run.steps),
    [run, onlyErrors],
  );
  const targetPosition = target === undefined ? -1 : steps.findIndex((step) => step.index === target);
  const { start, end, header, footer } = useWindow({
    total: steps.length,
    pageSize: STEP_PAGE,
    anchor: targetPosition,
    noun: 'steps',
    resetKey: steps,
  });
  useEffect(() => {
    if (target === undefined) return;
    const element = document.getElementById(`step-${target}`);
    if (element instanceof HTMLDetailsElement) {
      element.open = true;
      element.scrollIntoView({ block: 'start' });
      element.querySelector('summary')?.focus({ preventScroll: true });
    }
  }, [target, start, end]);
  const errors = useMemo(() => run.steps.filter(stepHasError).length, [run]);
  return (
    <>
      <div class="toolbar">
        <span>
          {plural(run.steps.length, 'step')}
          {errors > 0 && <span class="error-text"> · {plural(errors, 'step')} with errors</span>}
        </span>
        <label>
          <input
            type="checkbox"
            checked={onlyErrors}
            onChange={(event) => setOnlyErrors(event.currentTarget.checked)}
          />{' '}
          only steps with errors
        </label>
        <form
          class="goto"
          onSubmit={(event) => {
            event.preventDefault();
            const number = Number(goTo);
            if (Number.isInteger(number) && number >= 1) location.hash = runHref(runId, number);
          }}
        >
          <label>
            go to step{' '}
            <input
              type="number"
              min={1}
              max={run.stepCount}
              value={goTo}
              onInput={(event) => setGoTo(event.currentTarget.value)}
            />
          </label>
        </form>
      </div>
      {run.steps.length === 0 && <p class="muted">This run has no steps.</p>}
      {header}
      <div class="step-list">
        {steps.slice(start, end).map((step) => (
          <StepCard step={step} key={step.index} highlight={step.index === target} />
        ))}
      </div>
      {footer}
      {run.stepsLeftOut !== undefined && (
        <p class="callout">
          {plural(run.stepsLeftOut, 'more step')} not embedded (the page's size budget):{' '}
          <code>looplet show --html {run.dir}</code> shows them all.
        </p>
      )}
    </>
  );
}
