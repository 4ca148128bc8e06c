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

/** Renders any thrown value as a one-line message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
