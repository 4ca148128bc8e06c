import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './exit-codes.js';

/** A repeatable flag as a list (cac gives a string once, an array when repeated). */
export function listFlag(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((item) => String(item).split(','))
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A number flag within bounds, or a {@link UsageError} naming the flag. */
export function numberFlag({
  name,
  value,
  min,
  max,
  integer = false,
}: {
  name: string;
  value: unknown;
  min?: number;
  max?: number;
  integer?: boolean;
}): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  const bounds = `${min ?? '-∞'}..${max ?? '∞'}`;
  if (
    !Number.isFinite(number) ||
    (integer && !Number.isInteger(number)) ||
    (min !== undefined && number < min) ||
    (max !== undefined && number > max)
  ) {
    throw new UsageError(
      `--${name} must be ${integer ? 'a whole number' : 'a number'} in ${bounds}, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

/** One of a fixed set of words, or a {@link UsageError} listing them. */
export function choiceFlag<T extends string>({
  name,
  value,
  choices,
}: {
  name: string;
  value: unknown;
  choices: readonly T[];
}): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
}

/** `--shard i/n` checked the way vitest reads it. */
export function shardFlag(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(String(value));
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count)
    throw new UsageError(`--shard must be i/n with 1 <= i <= n (e.g. 1/4), got ${JSON.stringify(value)}`);
  return `${index}/${count}`;
}

/**
 * Paths given on the command line that must exist: a missing one is a usage error (exit 2) in
 * every command, named as the user typed it.
 */
export function requirePaths({ paths, what }: { paths: readonly string[]; what: string }): void {
  for (const given of paths)
    if (!existsSync(path.resolve(given))) throw new UsageError(`${given}: no such ${what}`);
}
