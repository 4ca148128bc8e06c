// JSON values as a structured, foldable view: small values inline, large ones folded (their
// children are rendered only once opened, so a megabyte tool result costs nothing until asked for).
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { CUT_MARK } from '../html/page-data.js';
import { oneLine } from './format.js';

/** Strings longer than this (or with more lines than FOLD_LINES) are folded. */
const FOLD_CHARS = 400;
const FOLD_LINES = 8;
/** Objects and arrays with more entries than this start folded. */
const FOLD_ENTRIES = 12;

/** Nested objects deeper than this start folded, however small. */
const OPEN_DEPTH = 4;

export function Value({
  value,
  open = false,
  depth = 0,
}: {
  value: unknown;
  open?: boolean;
  depth?: number;
}) {
  if (value === undefined) return <span class="v-null">undefined</span>;
  if (value === null) return <span class="v-null">null</span>;
  if (typeof value === 'string') return <StringValue text={value} />;
  if (typeof value === 'number' || typeof value === 'boolean')
    return <span class={`v-${typeof value}`}>{String(value)}</span>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span class="v-punct">[]</span>;
    return (
      <Fold
        summary={`[…] ${value.length} item${value.length === 1 ? '' : 's'}`}
        open={open || (value.length <= FOLD_ENTRIES && depth < OPEN_DEPTH)}
      >
        {() => (
          <ol class="v-list" start={0}>
            {value.map((item, index) => (
              <li key={index}>
                <Value value={item} depth={depth + 1} />
              </li>
            ))}
          </ol>
        )}
      </Fold>
    );
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return <span class="v-punct">{'{}'}</span>;
    return (
      <Fold
        summary={`{…} ${entries.length} key${entries.length === 1 ? '' : 's'}: ${oneLine(entries.map(([key]) => key).join(', '), 60)}`}
        open={open || (entries.length <= FOLD_ENTRIES && depth < OPEN_DEPTH)}
      >
        {() => (
          <dl class="v-object">
            {entries.map(([key, item]) => (
              <div class="v-entry" key={key}>
                <dt>{key}</dt>
                <dd>
                  <Value value={item} depth={depth + 1} />
                </dd>
              </div>
            ))}
          </dl>
        )}
      </Fold>
    );
  }
  return <span>{String(value)}</span>;
}

/** A string: whole when short, folded with its first line shown when long; a cut is marked. */
export function StringValue({ text, quoted = true }: { text: string; quoted?: boolean }) {
  const at = text.lastIndexOf(CUT_MARK);
  const body = at === -1 ? text : text.slice(0, at);
  const cut = at === -1 ? undefined : text.slice(at + 2);
  const lines = body.split('\n').length;
  const content = (
    <>
      <span class={quoted ? 'v-string' : 'v-text'}>{body}</span>
      {cut && <span class="v-cut"> {cut}</span>}
    </>
  );
  if (body.length <= FOLD_CHARS && lines <= FOLD_LINES) return <span class="v-str-wrap">{content}</span>;
  return (
    <Fold summary={`${oneLine(body, 100)} (${body.length.toLocaleString('en')} chars, ${lines} lines)`}>
      {() => <div class="v-long">{content}</div>}
    </Fold>
  );
}

/** `<details>` that renders its content only while open (native keyboard: Enter/Space on the summary). */
export function Fold({
  summary,
  open = false,
  children,
}: {
  summary: ComponentChildren;
  open?: boolean;
  children: () => ComponentChildren;
}) {
  const [isOpen, setOpen] = useState(open);
  return (
    <details
      class="fold"
      open={isOpen}
      onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}
    >
      <summary>{summary}</summary>
      {isOpen && children()}
    </details>
  );
}
