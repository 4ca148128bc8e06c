// Long lists (a thousand runs, ten thousand steps) render a window of items: a page at first,
// the next page when the end of the window scrolls into view (or with its button, for keyboards),
// earlier items with the button above. Jumping to an item renders a page around it, not
// everything before it.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

interface Range {
  start: number;
  end: number;
}

/** Items shown above the one jumped to, for context. */
const CONTEXT = 5;

export function useWindow({
  total,
  pageSize,
  anchor,
  noun,
  resetKey,
}: {
  total: number;
  pageSize: number;
  /** Position of an item that must be shown (e.g. the step in the address); -1 or undefined for none. */
  anchor?: number;
  noun: string;
  /** Starts over at the first page when this changes (a new filter). */
  resetKey: unknown;
}): { start: number; end: number; header: ComponentChildren; footer: ComponentChildren } {
  const around = (at: number | undefined): Range => {
    const start = at === undefined || at < 0 ? 0 : Math.max(0, at - CONTEXT);
    return { start, end: start + pageSize };
  };
  const [range, setRange] = useState<Range>(() => around(anchor));
  const lastReset = useRef(resetKey);
  useEffect(() => {
    const reset = lastReset.current !== resetKey;
    lastReset.current = resetKey;
    setRange((current) => {
      if (reset) return around(anchor);
      if (anchor === undefined || anchor < 0 || (anchor >= current.start && anchor < current.end))
        return current;
      return around(anchor);
    });
  }, [resetKey, anchor, pageSize]);
  const start = Math.min(range.start, total);
  const end = Math.min(range.end, total);

  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = sentinel.current;
    if (!element || end >= total) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting))
          setRange((current) => ({ ...current, end: end + pageSize }));
      },
      { rootMargin: '600px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [end, total, pageSize]);

  const header =
    start > 0 ? (
      <div class="more">
        <button
          type="button"
          onClick={() => setRange((current) => ({ ...current, start: Math.max(0, start - pageSize) }))}
        >
          Show {Math.min(pageSize, start)} earlier {noun} ({start} above)
        </button>
      </div>
    ) : null;
  const footer =
    end < total ? (
      <div class="more" ref={sentinel}>
        <button type="button" onClick={() => setRange((current) => ({ ...current, end: end + pageSize }))}>
          Show {Math.min(pageSize, total - end)} more {noun} ({total - end} not shown yet)
        </button>
      </div>
    ) : null;
  return { start, end, header, footer };
}
