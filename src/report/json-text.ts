// JSON text put together from parts serialised earlier. A watch session's report holds thousands
// of outcomes that did not change since the last run: their text is reused (see RenderCache), and
// only the rest is serialised. Every function here gives exactly what `JSON.stringify(whole)`
// (compact) or `JSON.stringify(whole, null, 2)` (indented) gives; JSON text holds no raw newline
// inside a string, so re-indenting a part is a replacement of its newlines.

/** Compact (the HTML page's data) or indented by two spaces (`looplet-report.json`). */
export type JsonLayout = 'compact' | 'indented';

const INDENT = '  ';

/**
 * `JSON.stringify(value)` as it reads when nested `depth` levels deep in a larger value; undefined
 * where `JSON.stringify` leaves the value out (undefined, a function).
 */
export function jsonText(value: unknown, layout: JsonLayout, depth: number): string | undefined {
  if (layout === 'compact') return JSON.stringify(value);
  const text = JSON.stringify(value, null, INDENT.length);
  return text === undefined || depth === 0 ? text : text.replaceAll('\n', `\n${INDENT.repeat(depth)}`);
}

/** An array's text from its items' texts, each as {@link jsonText} gives it at `depth + 1`. */
export function jsonArrayText(items: readonly string[], layout: JsonLayout, depth: number): string {
  if (layout === 'compact') return `[${items.join(',')}]`;
  if (items.length === 0) return '[]';
  const inner = `\n${INDENT.repeat(depth + 1)}`;
  return `[${inner}${items.join(`,${inner}`)}\n${INDENT.repeat(depth)}]`;
}

/**
 * A plain object's text, its keys in the object's order, where `ready` gives the text of some of
 * its values (each as {@link jsonText} gives it at `depth + 1`): those are not serialised again.
 */
export function jsonObjectText(
  object: object,
  layout: JsonLayout,
  depth: number,
  ready: Readonly<Record<string, string>> = {},
): string {
  const members: string[] = [];
  const separator = layout === 'compact' ? ':' : ': ';
  for (const [key, value] of Object.entries(object)) {
    const text = Object.hasOwn(ready, key) ? ready[key] : jsonText(value, layout, depth + 1);
    if (text !== undefined) members.push(`${JSON.stringify(key)}${separator}${text}`);
  }
  if (layout === 'compact') return `{${members.join(',')}}`;
  if (members.length === 0) return '{}';
  const inner = `\n${INDENT.repeat(depth + 1)}`;
  return `{${inner}${members.join(`,${inner}`)}\n${INDENT.repeat(depth)}}`;
}
