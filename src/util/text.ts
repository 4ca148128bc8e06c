/**
 * A text on one line (whitespace runs folded to one space, ends trimmed), cut to `limit`
 * characters (default 160) with `…`. Only the start of a long text is looked at, so an excerpt of
 * a 50 MB value costs no more than one of a short value.
 */
export function oneLine(text: string, limit = 160): string {
  const cut = text.length > limit * 4;
  const line = (cut ? text.slice(0, limit * 4) : text).replace(/\s+/g, ' ').trim();
  return !cut && line.length <= limit ? line : `${line.slice(0, limit - 1)}…`;
}
