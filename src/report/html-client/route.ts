// The page's place lives in location.hash, so the browser's back button and links work, and a
// link to one run (`report.html#run/greet%2Falice`) opens it.
import { useEffect, useState } from 'preact/hooks';

export type Route = { view: 'overview' } | { view: 'run'; id: string; step?: number };

export function parseRoute(hash: string): Route {
  const match = /^#run\/([^/]*)(?:\/step\/(\d+))?$/.exec(hash);
  if (!match) return { view: 'overview' };
  const route: Route = { view: 'run', id: decodeURIComponent(match[1]!) };
  if (match[2] !== undefined) route.step = Number(match[2]);
  return route;
}

/** The overview's address (a link to `#` would be just as good, but says less). */
export const OVERVIEW_HREF = '#overview';

export function runHref(id: string, step?: number): string {
  return `#run/${encodeURIComponent(id)}${step === undefined ? '' : `/step/${step}`}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(hash: string): void {
  if (location.hash === hash) return;
  location.hash = hash;
}
