import { isDeepStrictEqual } from 'node:util';

const SHOWN = 160;

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN - 1)}…` : text;
}

/**
 * Where two plain values first differ, as `path: left ≠ right` (e.g.
 * `requests[1][3].content: "a" ≠ "b"`), or undefined when they are deeply equal. Keys holding
 * `undefined` count as absent.
 */
export function firstDifference(left: unknown, right: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(left, right)) return undefined;
  const bothArrays = Array.isArray(left) && Array.isArray(right);
  const bothObjects =
    typeof left === 'object' && left !== null && typeof right === 'object' && right !== null && !bothArrays;
  if (bothArrays) {
    const [a, b] = [left as unknown[], right as unknown[]];
    for (let index = 0; index < Math.min(a.length, b.length); index++) {
      const found = firstDifference(a[index], b[index], `${path}[${index}]`);
      if (found) return found;
    }
    if (a.length === b.length) return undefined;
    return `${path || '(root)'}: ${a.length} item(s) ≠ ${b.length} item(s); first extra: ${show(a[b.length] ?? b[a.length])}`;
  }
  if (bothObjects) {
    const [a, b] = [left as Record<string, unknown>, right as Record<string, unknown>];
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const found = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return undefined;
  }
  return `${path || '(root)'}: ${show(left)} ≠ ${show(right)}`;
}
