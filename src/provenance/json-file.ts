import { TraceReadError } from './errors.js';
import { checkRecord, type TraceRecordKind } from './trace-schema.js';

/**
 * Deepest nesting of arrays and objects a trace file may hold: Python's `json` module stops near
 * 1,000 levels too. Deeper values would crash whatever walks them recursively (`JSON.stringify`,
 * a diff, an eval) with a RangeError, so the reader refuses them up front.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * Parses a trace file's JSON, naming the file and telling truncation from corruption; refuses
 * values nested deeper than {@link MAX_JSON_DEPTH}.
 */
export function parseJson(file: string, text: string): unknown {
  if (text.trim() === '')
    throw new TraceReadError({
      file,
      problem: 'is empty',
      hint: 'the write was interrupted; re-record the trace',
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    // A parse error at the very end of the text means the file stops mid-value.
    const position = Number(/at position (\d+)/.exec(message)?.[1] ?? -1);
    const truncated =
      /end of JSON input|Unterminated string/i.test(message) || position >= text.trimEnd().length;
    throw new TraceReadError({
      file,
      problem: truncated
        ? 'is truncated (it ends in the middle of a value)'
        : `is not valid JSON (${message})`,
      hint: truncated ? 'the write was interrupted; re-record the trace' : 'fix or re-record the file',
      cause: error,
    });
  }
  if (nestedDeeperThan(text, MAX_JSON_DEPTH))
    throw new TraceReadError({
      file,
      problem: `nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`,
      hint: 'no recorder writes such a value: the file was damaged or made to crash readers; re-record the trace',
      code: 'TRACE_TOO_DEEP',
    });
  return value;
}

/** True when valid JSON `text` nests arrays and objects more than `limit` levels deep. */
function nestedDeeperThan(text: string, limit: number): boolean {
  // Each level opens with `[` or `{`: with no more of them than the limit (the usual case, found
  // by fast searches), there is no need to walk the text character by character.
  if (!moreThan(text, '[', '{', limit)) return false;
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (char === QUOTE) {
      index = stringEnd(text, index);
    } else if (char === OPEN_BRACKET || char === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (char === CLOSE_BRACKET || char === CLOSE_BRACE) depth--;
  }
  return false;
}

/** True when `text` holds more than `limit` occurrences of `a` and `b` together. */
function moreThan(text: string, a: string, b: string, limit: number): boolean {
  let count = 0;
  for (let at = text.indexOf(a); at >= 0; at = text.indexOf(a, at + 1)) if (++count > limit) return true;
  for (let at = text.indexOf(b); at >= 0; at = text.indexOf(b, at + 1)) if (++count > limit) return true;
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Index of the quote closing the string that opens at `start` (the text is valid JSON). */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    at = text.indexOf('"', at);
    if (at < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
    at++;
  }
}

/** Throws a {@link TraceReadError} naming the field when `value` does not match its schema. */
export function assertRecord(kind: TraceRecordKind, file: string, value: unknown): void {
  const issue = checkRecord(kind, value);
  if (issue) throw new TraceReadError({ file, field: issue.field || undefined, problem: issue.message });
}
