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
  readonly #kinds = new Map<string, WeakMap<object, Rendered>>();

  /** What `render` gave for `key` under `kind` (one kind, one type), rendering it on the first call. */
  get<T extends object, V extends Rendered>(kind: string, key: T, render: (key: T) => V): V {
    let texts = this.#kinds.get(kind);
    if (!texts) {
      texts = new WeakMap();
      this.#kinds.set(kind, texts);
    }
    let rendered = texts.get(key) as V | undefined;
    if (rendered === undefined) {
      rendered = render(key);
      texts.set(key, rendered);
    }
    return rendered;
  }
}

/** Text, or text encoded as UTF-8 (what is written as it is). */
export type Rendered = string | Uint8Array;

/** `render(key)`, through `cache` when there is one. */
export function cached<T extends object, V extends Rendered>(
  cache: RenderCache | undefined,
  kind: string,
  key: T,
  render: (key: T) => V,
): V {
  return cache ? cache.get(kind, key, render) : render(key);
}

/**
 * Pieces joined with `separator`, as UTF-8: text is encoded, bytes are copied as they are. A
 * report of thousands of kept pieces is written without first joining it into one string.
 */
export function joinBytes(pieces: readonly Rendered[], separator = ''): Buffer {
  // Short texts (separators, brackets) recur thousands of times: each is encoded once.
  const short = new Map<string, Buffer>();
  const encode = (text: string): Buffer => {
    if (text.length > 32) return Buffer.from(text);
    let bytes = short.get(text);
    if (!bytes) {
      bytes = Buffer.from(text);
      short.set(text, bytes);
    }
    return bytes;
  };
  const parts: Uint8Array[] = [];
  const between = separator === '' ? undefined : encode(separator);
  for (const piece of pieces) {
    if (between && parts.length > 0) parts.push(between);
    parts.push(typeof piece === 'string' ? encode(piece) : piece);
  }
  return Buffer.concat(parts);
}
