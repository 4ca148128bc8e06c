// A run's steps: each model call's text, its tool calls with arguments and results (errors
// marked), the context and metadata hooks added, usage and timing.
import type { CallView, StepView } from '../html/page-data.js';
import { formatMs, oneLine, plural, shortArgs } from './format.js';
import { StringValue, Value } from './value.js';

export function stepHasError(step: StepView): boolean {
  return step.doneRejected !== undefined || step.calls.some((call) => call.error || call.argsError);
}

/** The one-line summary of a step: its calls and their outcome, or the start of its text. */
function stepHeadline(step: StepView): string {
  if (step.calls.length === 0) return step.text ? `💬 ${oneLine(step.text, 90)}` : '(no text, no tool call)';
  return step.calls
    .map(
      (call) => `${call.error ? '✗' : call.hasResult ? '✓' : '…'} ${call.name}(${shortArgs(call.args, 50)})`,
    )
    .join(' · ');
}

export function StepCard({
  step,
  open = true,
  highlight = false,
}: {
  step: StepView;
  open?: boolean;
  highlight?: boolean;
}) {
  const error = stepHasError(step);
  return (
    <details
      class={`step${error ? ' has-error' : ''}${highlight ? ' highlight' : ''}`}
      id={`step-${step.index}`}
      open={open}
    >
      <summary>
        <span class="step-no">#{step.index}</span>
        <span class="step-head">{stepHeadline(step)}</span>
        <span class="step-meta">
          {step.usage && `${step.usage.totalTokens.toLocaleString('en')} tok · `}
          {formatMs(step.durationMs)}
        </span>
      </summary>
      <div class="step-body">
        {step.text !== undefined && (
          <section class="model-text">
            <h4>Model text</h4>
            <StringValue text={step.text} quoted={false} />
          </section>
        )}
        {step.calls.map((call) => (
          <ToolCallView call={call} key={call.id} />
        ))}
        {step.doneRejected !== undefined && (
          <div class="callout error">
            <strong>done rejected:</strong> {step.doneRejected}
          </div>
        )}
        {step.context && (
          <section>
            <h4>Hook context</h4>
            <ol class="context">
              {step.context.map((text, index) => (
                <li key={index}>
                  <StringValue text={text} quoted={false} />
                </li>
              ))}
            </ol>
          </section>
        )}
        {step.metadata && (
          <section>
            <h4>Metadata</h4>
            <Value value={step.metadata} />
          </section>
        )}
        <p class="step-foot">
          {step.usage &&
            `tokens: ${step.usage.promptTokens.toLocaleString('en')} prompt + ${step.usage.completionTokens.toLocaleString('en')} completion · `}
          {step.startedAt > 0 && `started ${new Date(step.startedAt).toISOString()} · `}
          took {formatMs(step.durationMs)}
        </p>
      </div>
    </details>
  );
}

function ToolCallView({ call }: { call: CallView }) {
  const status = call.error ? 'error' : call.hasResult ? 'ok' : 'none';
  return (
    <div class={`call call-${status}`}>
      <div class="call-head">
        <span class="call-glyph">{call.error ? '✗' : call.hasResult ? '✓' : '…'}</span>
        <code class="call-name">{call.name}</code>
        <span class="call-id">{call.id}</span>
        <span class="call-ms">{formatMs(call.durationMs)}</span>
      </div>
      <div class="call-part">
        <span class="label">arguments</span>
        <Value value={call.args} />
      </div>
      {call.argsError !== undefined && (
        <div class="call-part error-text">
          <span class="label">invalid arguments</span>
          {call.argsError}
        </div>
      )}
      {call.ranWith && (
        <div class="call-part">
          <span class="label">ran with (a hook rewrote them)</span>
          <Value value={call.ranWith} />
        </div>
      )}
      {call.error ? (
        <div class="call-part error-text">
          <span class="label">error · {call.error.kind}</span>
          <StringValue text={call.error.message} quoted={false} />
        </div>
      ) : call.hasResult ? (
        <div class="call-part">
          <span class="label">result</span>
          {call.data === undefined ? <span class="muted">ok (no data)</span> : <Value value={call.data} />}
        </div>
      ) : (
        <div class="call-part muted">no result: the run ended before this call ran</div>
      )}
    </div>
  );
}

/** A summary line for a folded list of steps. */
export function stepsSummary(steps: readonly StepView[]): string {
  const errors = steps.filter(stepHasError).length;
  const calls = steps.reduce((total, step) => total + step.calls.length, 0);
  return `${plural(steps.length, 'step')} · ${plural(calls, 'tool call')}${errors > 0 ? ` · ${plural(errors, 'step')} with errors` : ''}`;
}
