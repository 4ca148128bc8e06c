// JSON text put together from parts serialised earlier. A watch session's report holds thousands
// of outcomes that did not change since the last run: their text is reused (see RenderCache), and
// only the rest is serialised. Every function here gives exactly what `JSON.stringify(whole)`
// (compact) or `JSON.stringify(whole, null, 2)` (indented) gives; JSON text holds no raw newline
// inside a string, so re-indenting a part is a replacement of its newlines.

/** Compact (the HTML page's data) or indented by two spaces (`looplet-report.json`). */
export type JsonLayout = 'compact' | 'indented';

const INDENT = '  ';

/**
 * A place held in JSON text for parts written separately: pass it as a ready text and split the
 * result at it. JSON text never holds a NUL character (strings escape it).
 */
export const JSON_SLOT = '\u0000';

/**
 * `JSON.stringify(value)` as it reads when nested `depth` levels deep in a larger value; undefined
 * where `JSON.stringify` leaves the value out (undefined, a function).
 */
export function jsonText(value: unknown, layout: JsonLayout, depth: number): string | undefined {
  if (layout === 'compact' || depth === 0) return JSON.stringify(value, null, layout === 'compact' ? 0 : 2);
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || hasToJson(value))
    return reindent(JSON.stringify(value, null, INDENT.length), depth);
  // Serialised inside `depth` arrays and cut out, it is indented as it will sit, in one flat
  // string: a re-indented copy (replaceAll) is a rope that every later join flattens again.
  let nested: unknown = value;
  for (let level = 0; level < depth; level++) nested = [nested];
  const text = JSON.stringify(nested, null, INDENT.length);
  // Each level opens with `[`, a newline and its indent, and closes with a newline, the indent, `]`.
  const open = depth * 2 + INDENT.length * ((depth * (depth + 1)) / 2);
  const close = depth * 2 + INDENT.length * ((depth * (depth - 1)) / 2);
  return text.slice(open, text.length - close);
}

function reindent(text: string | undefined, depth: number): string | undefined {
  return text?.replaceAll('\n', `\n${INDENT.repeat(depth)}`);
}

/** A value whose `toJSON` may give anything, undefined included (then a property is left out, an array item is null). */
function hasToJson(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
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
