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

/**
 * The choice closest to `name`, for "did you mean …?" hints: Python's
 * `difflib.get_close_matches(name, choices, n=1, cutoff)`, whose similarity is the Ratcliff/Obershelp
 * ratio (twice the matched characters over the total length). Undefined when none reaches `cutoff`.
 */
export function closestMatch(name: string, choices: Iterable<string>, cutoff = 0.6): string | undefined {
  let best: string | undefined;
  let bestScore = cutoff;
  for (const choice of choices) {
    const total = name.length + choice.length;
    const score = total === 0 ? 1 : (2 * matchedChars(name, choice)) / total;
    if (score > bestScore || (score === bestScore && best === undefined)) {
      best = choice;
      bestScore = score;
    }
  }
  return best;
}

/** Characters matched by Ratcliff/Obershelp: the longest common block, then recursively either side of it. */
function matchedChars(a: string, b: string): number {
  if (a.length === 0 || b.length === 0) return 0;
  let length = 0;
  let atA = 0;
  let atB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      let k = 0;
      while (i + k < a.length && j + k < b.length && a[i + k] === b[j + k]) k++;
      if (k > length) {
        length = k;
        atA = i;
        atB = j;
      }
    }
  }
  if (length === 0) return 0;
  return (
    length +
    matchedChars(a.slice(0, atA), b.slice(0, atB)) +
    matchedChars(a.slice(atA + length), b.slice(atB + length))
  );
}

/** A count with its noun, singular or plural: `1 run`, `2 runs`, `0 evals`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
