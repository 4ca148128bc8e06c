import type { ToolSpec } from '../core/llm.js';

// Python looplet (text tool calling) does not store tool schemas; its prompts list the tools as
//   ═══ TOOLS ═══
//   Available tools:
//     publish_report(revenue: {'type': 'integer', 'description': 'Total revenue.'}, cost: {...})
//       Write report.json from integer revenue and cost inputs.
// This recovers names, descriptions and (when the Python literals parse) parameter schemas from
// that listing, so `show` and evals see the tools of a Python trace.

const TOOL_LINE = /^ {2}([A-Za-z_][\w-]*)\((.*)\)\s*$/;
const DESCRIPTION_LINE = /^ {4}(\S.*)$/;

/** The tools listed in a Python looplet prompt; empty when the prompt has no tool listing. */
export function toolsFromPythonPrompt(prompt: string): ToolSpec[] {
  const start = prompt.indexOf('Available tools:');
  if (start < 0) return [];
  const lines = prompt.slice(start).split('\n').slice(1);
  const tools: ToolSpec[] = [];
  for (let index = 0; index < lines.length; index++) {
    const match = TOOL_LINE.exec(lines[index]!);
    if (!match) {
      if (lines[index]!.trim() === '' || !lines[index]!.startsWith('  ')) break;
      continue;
    }
    const description = DESCRIPTION_LINE.exec(lines[index + 1] ?? '')?.[1] ?? '';
    if (description) index++;
    tools.push({ name: match[1]!, description, parameters: parametersOf(match[2]!) });
  }
  return tools;
}

function parametersOf(list: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const part of splitTopLevel(list)) {
    const colon = part.indexOf(':');
    if (colon < 0) continue;
    // `name?: string` is an optional parameter of a JSON Schema tool.
    const name = part.slice(0, colon).trim().replace(/\?$/, '');
    if (name) properties[name] = parameterSchema(part.slice(colon + 1).trim());
  }
  return { type: 'object', properties };
}

const JSON_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object', 'null']);

/**
 * A parameter's schema from its listing: a JSON Schema type name (`string`), a Python literal
 * (`{'type': 'integer', …}`), or `{}` for anything else (a Python annotation such as `str`).
 */
function parameterSchema(text: string): unknown {
  if (JSON_TYPES.has(text)) return { type: text };
  // Only a dict can be a schema: a bare word or annotation is not worth a failed parse.
  if (!text.startsWith('{')) return {};
  return pythonLiteral(text) ?? {};
}

/** Splits on commas outside brackets and quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote) {
      if (char === '\\') {
        current += char + (text[index + 1] ?? '');
        index++;
        continue;
      }
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '{' || char === '[' || char === '(') depth++;
    else if (char === '}' || char === ']' || char === ')') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim()) parts.push(current);
  return parts;
}

/** A Python literal (dict/list/str/number/True/False/None) as a JS value, or undefined. */
function pythonLiteral(text: string): unknown {
  let json = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === "'" || char === '"') {
      let value = '';
      let end = index + 1;
      for (; end < text.length && text[end] !== char; end++) {
        if (text[end] === '\\' && end + 1 < text.length) {
          end++;
          value += text[end] === 'n' ? '\n' : text[end];
        } else value += text[end];
      }
      json += JSON.stringify(value);
      index = end;
    } else if (text.startsWith('True', index)) {
      json += 'true';
      index += 3;
    } else if (text.startsWith('False', index)) {
      json += 'false';
      index += 4;
    } else if (text.startsWith('None', index)) {
      json += 'null';
      index += 3;
    } else json += char;
  }
  try {
    return JSON.parse(json.replace(/,\s*([}\]])/g, '$1'));
  } catch {
    return undefined;
  }
}
