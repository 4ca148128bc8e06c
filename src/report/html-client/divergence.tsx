// A replay that parted from its recording: where, what changed in words, and the request diff
// (recorded against current), unified or side by side.
import { useState } from 'preact/hooks';
import type { DivergenceView } from '../html/page-data.js';
import { type PatchLayout, PatchView } from './patch.js';
import { Fold } from './value.js';

export function LayoutToggle({
  layout,
  onChange,
}: {
  layout: PatchLayout;
  onChange: (layout: PatchLayout) => void;
}) {
  return (
    <fieldset class="segmented" aria-label="Diff layout">
      {(['split', 'unified'] as const).map((value) => (
        <button type="button" key={value} aria-pressed={layout === value} onClick={() => onChange(value)}>
          {value === 'split' ? 'Side by side' : 'Unified'}
        </button>
      ))}
    </fieldset>
  );
}

export function Divergence({
  divergence,
  warning = false,
  stepHref,
}: {
  divergence: DivergenceView;
  warning?: boolean;
  stepHref?: string;
}) {
  const [layout, setLayout] = useState<PatchLayout>('split');
  const body = (
    <>
      <ul class="divergence-summary">
        {divergence.summary.map((line, index) => (
          <li key={index}>{line}</li>
        ))}
      </ul>
      <div class="toolbar">
        <span class="muted">recorded (−) against the current run (+)</span>
        <LayoutToggle layout={layout} onChange={setLayout} />
      </div>
      <PatchView diff={divergence.diff} layout={layout} names={['recorded', 'current']} />
    </>
  );
  if (warning)
    return (
      <div class="divergence warning">
        <Fold summary={`call ${divergence.callIndex}: ${divergence.summary[0] ?? 'differs'}`}>
          {() => body}
        </Fold>
      </div>
    );
  return (
    <section class="divergence" aria-label="Replay divergence">
      <h2>
        ⇄ Diverged at model call {divergence.callIndex}
        {stepHref && (
          <a class="small-link" href={stepHref}>
            go to step {divergence.callIndex}
          </a>
        )}
      </h2>
      {body}
    </section>
  );
}
