import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { TraceReadError } from './errors.js';
import { checkRecord, type TraceRecordKind } from './trace-schema.js';

/** Reads a file of a trace directory; `undefined` when it does not exist and is optional. */
export function readTextSync(dir: string, name: string, optional = false): string | undefined {
  try {
    return readFileSync(path.join(dir, name), 'utf8');
  } catch (error) {
    return missing(dir, name, error, optional);
  }
}

/** Async {@link readTextSync}. */
export async function readText(dir: string, name: string, optional = false): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, name), 'utf8');
  } catch (error) {
    return missing(dir, name, error, optional);
  }
}

function missing(dir: string, name: string, error: unknown, optional: boolean): undefined {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT' && optional) return undefined;
  throw new TraceReadError({
    file: path.join(dir, name),
    problem: code === 'ENOENT' ? 'is missing' : `cannot be read (${(error as Error).message})`,
    hint: code === 'ENOENT' ? 'the trace is incomplete; re-record it' : undefined,
    cause: error,
  });
}

/** Parses a trace file's JSON, naming the file and telling truncation from corruption. */
export function parseJson(file: string, text: string): unknown {
  if (text.trim() === '')
    throw new TraceReadError({
      file,
      problem: 'is empty',
      hint: 'the write was interrupted; re-record the trace',
    });
  try {
    return JSON.parse(text);
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
}

/** Throws a {@link TraceReadError} naming the field when `value` does not match its schema. */
export function assertRecord(kind: TraceRecordKind, file: string, value: unknown): void {
  const issue = checkRecord(kind, value);
  if (issue) throw new TraceReadError({ file, field: issue.field || undefined, problem: issue.message });
}
