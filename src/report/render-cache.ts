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
  readonly #blocks = new Map<string, KeptBlocks>();
  readonly #ids = new WeakMap<object, number>();
  #nextId = 1;

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

  /** A number for `value`, the same for as long as it lives and no other object's (a {@link blocks} context may name an object by it). */
  idOf(value: object): number {
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(value, id);
    }
    return id;
  }

  /**
   * `items` rendered in blocks of consecutive items, each block one piece of bytes: a block whose
   * items are the very objects, at the same places, as in the last call for `kind` (with the same
   * `context`) is the piece that call gave, not rendered again. A watch re-run that scored a few
   * items of thousands renders their blocks, and the report joins a few hundred pieces instead
   * of a few per item.
   *
   * `render(start, end)` gives the pieces of `items[start…end)`; what it gives may depend only on
   * those items, their places and `context` (e.g. the indexes an item refers to, joined in it).
   */
  blocks<T extends object>(
    kind: string,
    items: readonly T[],
    render: (start: number, end: number) => readonly Rendered[],
    context = '',
  ): Buffer[] {
    const last = this.#blocks.get(kind);
    const kept = last?.context === context ? last : undefined;
    const blocks: Block[] = [];
    for (let start = 0; start < items.length; start += BLOCK_ITEMS) {
      const end = Math.min(start + BLOCK_ITEMS, items.length);
      const before = kept?.blocks[blocks.length];
      blocks.push(
        before !== undefined && before.end === end && sameItems(items, kept!.items, start, end)
          ? before
          : { end, bytes: joinBytes(render(start, end)) },
      );
    }
    // The items are kept as an array of their own: the caller's may change after this call.
    this.#blocks.set(kind, { items: [...items], context, blocks });
    return blocks.map((block) => block.bytes);
  }
}

/**
 * Items per block of {@link RenderCache.blocks}: a re-run renders a changed item's block again
 * (a few dozen items, from their kept pieces), and a report of thousands joins a few hundred.
 */
const BLOCK_ITEMS = 32;

interface Block {
  /** Where its items end (exclusive): a block at the end of a shorter list is another block. */
  end: number;
  bytes: Buffer;
}

interface KeptBlocks {
  items: readonly object[];
  context: string;
  blocks: Block[];
}

function sameItems(items: readonly object[], kept: readonly object[], start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (items[at] !== kept[at]) return false;
  return true;
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
 * Pieces joined with `separator`, as UTF-8: text is encoded straight into the result, bytes are
 * copied as they are. A report of thousands of kept pieces is written without first joining it
 * into one string (a copy) and encoding that (another).
 */
export function joinBytes(pieces: readonly Rendered[], separator = ''): Buffer {
  const between = separator === '' ? undefined : Buffer.from(separator);
  let total = between && pieces.length > 1 ? between.length * (pieces.length - 1) : 0;
  for (const piece of pieces) total += typeof piece === 'string' ? byteLength(piece) : piece.byteLength;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  pieces.forEach((piece, index) => {
    if (between && index > 0) {
      out.set(between, offset);
      offset += between.length;
    }
    if (typeof piece !== 'string') {
      out.set(piece, offset);
      offset += piece.byteLength;
    } else if (isShortAscii(piece)) {
      for (let at = 0; at < piece.length; at++) out[offset + at] = piece.charCodeAt(at);
      offset += piece.length;
    } else offset += out.write(piece, offset);
  });
  // Every byte was written: the lengths measured are the lengths written.
  return out;
}

/**
 * Pieces as buffers to write one after another (a vectored write): bytes as they are, each run of
 * texts encoded into one buffer. Unlike {@link joinBytes}, kept pieces are not copied: a report of
 * megabytes kept between watch runs is not written into fresh memory again each run.
 */
export function toBuffers(pieces: readonly Rendered[]): Buffer[] {
  const buffers: Buffer[] = [];
  let texts: string[] = [];
  const flushTexts = () => {
    if (texts.length > 0) buffers.push(joinBytes(texts));
    texts = [];
  };
  for (const piece of pieces) {
    if (typeof piece === 'string') texts.push(piece);
    else {
      flushTexts();
      buffers.push(
        Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength),
      );
    }
  }
  flushTexts();
  return buffers;
}

/** Short texts (brackets, separators, an outcome's place) are thousands: copied here, not by a native call each. */
const SHORT = 64;

function isShortAscii(text: string): boolean {
  if (text.length > SHORT) return false;
  for (let at = 0; at < text.length; at++) if (text.charCodeAt(at) > 0x7f) return false;
  return true;
}

function byteLength(text: string): number {
  return isShortAscii(text) ? text.length : Buffer.byteLength(text);
}
