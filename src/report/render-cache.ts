/**
 * What the reports rendered for each outcome and run, kept as long as that object lives. In a
 * watch session the outcomes and runs of the chunks that did not run again are the very objects
 * of the last run: their JUnit test case, JSON and HTML text are reused, and a re-run renders only
 * what it scored. Held in WeakMaps, so it holds nothing an outcome no longer reported would keep.
 *
 * Only for objects nobody changes once reported (vitest's finished test results): a cached text
 * is not checked against its object again.
 */
export class RenderCache {
  readonly #kinds = new Map<string, WeakMap<object, string>>();

  /** The text `render` gave for `key` under `kind`, rendering it on the first call. */
  text<T extends object>(kind: string, key: T, render: (key: T) => string): string {
    let texts = this.#kinds.get(kind);
    if (!texts) {
      texts = new WeakMap();
      this.#kinds.set(kind, texts);
    }
    let text = texts.get(key);
    if (text === undefined) {
      text = render(key);
      texts.set(key, text);
    }
    return text;
  }
}

/** `render(key)`, through `cache` when there is one. */
export function cachedText<T extends object>(
  cache: RenderCache | undefined,
  kind: string,
  key: T,
  render: (key: T) => string,
): string {
  return cache ? cache.text(kind, key, render) : render(key);
}
