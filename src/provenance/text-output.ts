import type { Writable } from 'node:stream';
import pc from 'picocolors';
import { canonicalJsonLine } from '../core/canonical-json.js';
import { oneLine } from '../util/text.js';

/** The colour functions `show`, `diff` and `validate` print with (all identity when plain). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Colours for a stream: on for a TTY or when FORCE_COLOR is set, off otherwise and when NO_COLOR is set. */
export function colorsFor(stream: { isTTY?: boolean }): Colors {
  return pc.createColors(pc.isColorSupported && (Boolean(stream.isTTY) || 'FORCE_COLOR' in process.env));
}

/** Receives output text; may return a promise to apply backpressure. */
export type Write = (text: string) => void | Promise<void>;

/**
 * Thrown by a {@link streamWriter}'s `write` once the reader went away (`looplet show … | head`),
 * so a command stops reading the trace instead of printing into the void.
 */
export class OutputClosedError extends Error {
  constructor() {
    super('the output stream was closed');
    this.name = 'OutputClosedError';
  }
}

/**
 * Writes to a stream in chunks of about 64 KiB and waits for `drain` when the stream is full, so
 * printing a 10,000-step trace to a slow pipe does not buffer it all in memory. When the stream
 * fails (EPIPE: the reader closed the pipe), the next `write` throws {@link OutputClosedError}.
 */
export function streamWriter(stream: Writable): { write: Write; end: () => Promise<void> } {
  let buffer = '';
  let closed = false;
  let wake: (() => void) | undefined;
  const onError = () => {
    closed = true;
    wake?.();
  };
  stream.on('error', onError);
  const flush = async () => {
    if (closed) throw new OutputClosedError();
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk))
      await new Promise<void>((resolve) => {
        wake = resolve;
        stream.once('drain', resolve);
      });
    if (closed) throw new OutputClosedError();
  };
  return {
    write: (text) => {
      if (closed) throw new OutputClosedError();
      buffer += text;
      return buffer.length >= 65_536 ? flush() : undefined;
    },
    end: flush,
  };
}

/** A value as canonical JSON on one line (sorted keys, so output is stable), cut to `limit` characters. */
export function compactJson(value: unknown, limit: number): string {
  return oneLine(value === undefined ? 'undefined' : canonicalJsonLine(value), limit);
}
