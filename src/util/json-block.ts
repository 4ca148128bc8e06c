/**
 * Where the JSON object or array opening at `start` ends (the index after its closing bracket),
 * skipping brackets inside strings; `undefined` when the text ends first. A scanner, not a
 * parser: it finds the span that a JSON parser (or a redactor) then reads.
 */
export function jsonBlockEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if ((char === '}' || char === ']') && --depth === 0) return index + 1;
  }
  return undefined;
}
