// Long lists (a thousand runs, ten thousand steps) render a page at a time: the next page when
// the end of the list scrolls into view, or with the button (for keyboards).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * How many of `total` items to render now, and the footer that shows more (place it after the
 * list). `mustShow` forces at least that many (e.g. up to a step someone asked for).
 */
export function useIncremental({
  total,
  pageSize,
  mustShow = 0,
  noun,
  resetKey,
}: {
  total: number;
  pageSize: number;
  mustShow?: number;
  noun: string;
  /** Starts over at one page when this changes (a new filter). */
  resetKey: unknown;
}): { count: number; footer: ComponentChildren } {
  const [shown, setShown] = useState(pageSize);
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => setShown(pageSize), [resetKey, pageSize]);
  const count = Math.min(total, Math.max(shown, mustShow));
  useEffect(() => {
    const element = sentinel.current;
    if (!element || count >= total) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) setShown(count + pageSize);
      },
      { rootMargin: '600px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [count, total, pageSize]);
  const footer =
    count < total ? (
      <div class="more" ref={sentinel}>
        <button type="button" onClick={() => setShown(count + pageSize)}>
          Show {Math.min(pageSize, total - count)} more {noun} ({total - count} not shown yet)
        </button>
      </div>
    ) : null;
  return { count, footer };
}
