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
  /** Each file's last join (see {@link join}). */
  readonly #joins = new Map<string, LastJoin>();

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

  /**
   * {@link joinBytes} for the file `file`, copying what did not move since its last join in one
   * piece: a watch re-run's report is mostly the pieces of the last one in the same order (the
   * very same kept bytes, the same short texts between them), and thousands of small copies cost
   * far more than the few long ones they make up. The result is byte for byte `joinBytes`'s; the
   * buffer is read again by the next join, so it must not be changed.
   */
  join(file: string, pieces: readonly Rendered[], separator = ''): Buffer {
    const all = separator === '' ? pieces : withSeparators(pieces, separator);
    const last = this.#joins.get(file);
    const out = last ? joinAgainst(all, last) : joinBytes(all);
    this.#joins.set(file, layoutOf(all, out));
    return out;
  }
}

/** A join's pieces, where each starts in its result, and the result; bytes pieces by identity too. */
interface LastJoin {
  pieces: readonly Rendered[];
  offsets: Uint32Array;
  out: Buffer;
  placeOf: Map<Uint8Array, number>;
}

function withSeparators(pieces: readonly Rendered[], separator: string): Rendered[] {
  const all: Rendered[] = [];
  pieces.forEach((piece, index) => {
    if (index > 0) all.push(separator);
    all.push(piece);
  });
  return all;
}

function layoutOf(pieces: readonly Rendered[], out: Buffer): LastJoin {
  const offsets = new Uint32Array(pieces.length + 1);
  const placeOf = new Map<Uint8Array, number>();
  let offset = 0;
  pieces.forEach((piece, index) => {
    offsets[index] = offset;
    if (typeof piece === 'string') offset += byteLength(piece);
    else {
      placeOf.set(piece, index);
      offset += piece.byteLength;
    }
  });
  offsets[pieces.length] = offset;
  return { pieces, offsets, out, placeOf };
}

/**
 * `joinBytes(pieces)`, made of runs of the last join's bytes: a piece equal to the one after the
 * last piece matched (the same bytes object, or the same text) extends the run; a bytes piece the
 * last join had elsewhere starts a new run there; anything else is a piece of its own.
 */
function joinAgainst(pieces: readonly Rendered[], last: LastJoin): Buffer {
  // Each step: a range of the last result [from, to), or a piece (from = -1, to = its index).
  const from: number[] = [];
  const to: number[] = [];
  let total = 0;
  let next = -1;
  for (let index = 0; index < pieces.length; index++) {
    const piece = pieces[index]!;
    let at = next >= 0 && next < last.pieces.length && last.pieces[next] === piece ? next : -1;
    if (at < 0 && typeof piece !== 'string') at = last.placeOf.get(piece) ?? -1;
    if (at < 0) {
      const size = typeof piece === 'string' ? byteLength(piece) : piece.byteLength;
      total += size;
      from.push(-1);
      to.push(index);
      next = -1;
      continue;
    }
    const start = last.offsets[at]!;
    const end = last.offsets[at + 1]!;
    total += end - start;
    // `next` is set only after a range, which this one continues when it starts where that ended.
    if (at === next) to[to.length - 1] = end;
    else {
      from.push(start);
      to.push(end);
    }
    next = at + 1;
  }
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (let step = 0; step < from.length; step++) {
    const start = from[step]!;
    if (start >= 0) {
      offset += last.out.copy(out, offset, start, to[step]!);
      continue;
    }
    offset = writePiece(out, offset, pieces[to[step]!]!);
  }
  return out;
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
    offset = writePiece(out, offset, piece);
  });
  // Every byte was written: the lengths measured are the lengths written.
  return out;
}

/** Writes `piece` into `out` at `offset` (room measured beforehand); the offset after it. */
function writePiece(out: Buffer, offset: number, piece: Rendered): number {
  if (typeof piece !== 'string') {
    out.set(piece, offset);
    return offset + piece.byteLength;
  }
  if (isShortAscii(piece)) {
    for (let at = 0; at < piece.length; at++) out[offset + at] = piece.charCodeAt(at);
    return offset + piece.length;
  }
  return offset + out.write(piece, offset);
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
