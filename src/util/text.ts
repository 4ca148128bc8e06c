/** A text on one line (whitespace runs folded to one space, ends trimmed), cut to `limit` characters (default 160) with `…`. */
export function oneLine(text: string, limit = 160): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= limit ? line : `${line.slice(0, limit - 1)}…`;
}

/** A count with its noun, singular or plural: `1 run`, `2 runs`, `0 evals`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
