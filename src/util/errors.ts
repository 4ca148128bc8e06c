/**
 * Base class of every error looplet throws on purpose. Catch this to tell looplet's own,
 * typed errors apart from bugs in user code.
 */
export class LoopletError extends Error {
  /** A stable, machine-readable code (e.g. `SCRIPT_EXHAUSTED`). */
  readonly code: string;

  constructor({ message, code, cause }: { message: string; code: string; cause?: unknown }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Renders any thrown value as a message; always a string, whatever was thrown (`undefined`, a
 * symbol, an object whose `toJSON` or `toString` throws).
 */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message);
    if (typeof error === 'string') return error;
    if (error === undefined) return 'undefined was thrown';
    try {
      const json = JSON.stringify(error);
      if (json !== undefined) return json;
    } catch {
      // Not JSON (a bigint, a cycle, a throwing toJSON): fall back to String.
    }
    return String(error);
  } catch {
    return 'a value that cannot be shown was thrown';
  }
}
