// `looplet diff --html A B`: the two traces side by side, aligned by step, each difference
// (the same ones `looplet diff` prints) under the step it belongs to.
import { useMemo, useState } from 'preact/hooks';
import type { PageData, RunData, TraceDiffView } from '../html/page-data.js';
import { loadRun } from './data.js';
import { LayoutToggle } from './divergence.js';
import { plural } from './format.js';
import { useWindow } from './incremental.js';
import { type PatchLayout, PatchView } from './patch.js';
import { StepCard } from './steps.js';

type Difference = TraceDiffView['differences'][number];

const ROW_PAGE = 50;

/** The step a difference belongs to, or undefined for trace-wide ones (metadata, artifacts…). */
function stepOf(difference: Difference): number | undefined {
  if (difference.kind === 'step') return difference.index;
  if ((difference.kind === 'request' || difference.kind === 'response') && (difference.step ?? 0) > 0)
    return difference.step;
  return undefined;
}

export function TraceDiff({ page, diff }: { page: PageData; diff: TraceDiffView }) {
  const [a, b] = [page.runs[0]!, page.runs[1]!];
  const runA = loadRun(a.blob!);
  const runB = loadRun(b.blob!);
  const [layout, setLayout] = useState<PatchLayout>('split');
  const byStep = useMemo(() => {
    const map = new Map<number, Difference[]>();
    for (const difference of diff.differences) {
      const step = stepOf(difference);
      if (step === undefined) continue;
      const list = map.get(step);
      if (list) list.push(difference);
      else map.set(step, [difference]);
    }
    return map;
  }, [diff]);
  const general = diff.differences.filter((difference) => stepOf(difference) === undefined);
  const [onlyDiffering, setOnlyDiffering] = useState(byStep.size > 0);
  const stepNumbers = useMemo(() => {
    const total = Math.max(runA.steps.length, runB.steps.length);
    const all = Array.from({ length: total }, (_, index) => index + 1);
    return onlyDiffering ? all.filter((step) => byStep.has(step)) : all;
  }, [runA, runB, byStep, onlyDiffering]);
  const { end, footer } = useWindow({
    total: stepNumbers.length,
    pageSize: ROW_PAGE,
    noun: 'steps',
    resetKey: stepNumbers,
  });

  return (
    <main class="diff-view">
      <h1 tabIndex={-1}>Trace diff</h1>
      <div class="diff-sides">
        <div class="side-name del-text">
          − a: <code>{a.id}</code> <Facts run={runA} />
        </div>
        <div class="side-name add-text">
          + b: <code>{b.id}</code> <Facts run={runB} />
        </div>
      </div>
      <p class={diff.differences.length === 0 ? 'callout good' : 'callout'}>
        {diff.differences.length === 0
          ? 'No differences: the traces record the same run.'
          : `${plural(diff.differences.length, 'difference')}, in ${plural(byStep.size, 'step')}${general.length > 0 ? ` and ${general.length} outside steps` : ''}.`}
      </p>
      {diff.differences.length > 0 && (
        <div class="toolbar">
          <label>
            <input
              type="checkbox"
              checked={onlyDiffering}
              onChange={(event) => setOnlyDiffering(event.currentTarget.checked)}
            />{' '}
            only steps that differ
          </label>
          <LayoutToggle layout={layout} onChange={setLayout} />
        </div>
      )}
      {general.length > 0 && (
        <section>
          <h2>Outside the steps</h2>
          {general.map((difference, index) => (
            <DifferenceView difference={difference} layout={layout} key={index} />
          ))}
        </section>
      )}
      <section aria-label="Steps">
        <h2>Steps</h2>
        {stepNumbers.slice(0, end).map((step) => {
          const differences = byStep.get(step);
          const left = runA.steps[step - 1];
          const right = runB.steps[step - 1];
          return (
            <div class={`diff-row${differences ? ' differs' : ''}`} key={step} id={`diff-step-${step}`}>
              <div class="diff-pair">
                <div>
                  {left ? (
                    <StepCard step={left} open={Boolean(differences)} />
                  ) : (
                    <p class="muted">no step {step} in a</p>
                  )}
                </div>
                <div>
                  {right ? (
                    <StepCard step={right} open={Boolean(differences)} />
                  ) : (
                    <p class="muted">no step {step} in b</p>
                  )}
                </div>
              </div>
              {differences?.map((difference, index) => (
                <DifferenceView difference={difference} layout={layout} key={index} />
              ))}
            </div>
          );
        })}
        {footer}
      </section>
    </main>
  );
}

function Facts({ run }: { run: RunData }) {
  return (
    <span class="muted small">
      ({plural(run.stepCount, 'step')}, end: {run.endReason})
    </span>
  );
}

function DifferenceView({ difference, layout }: { difference: Difference; layout: PatchLayout }) {
  return (
    <div class="difference">
      <h3>{difference.summary}</h3>
      <PatchView diff={difference.diff} layout={layout} />
    </div>
  );
}
