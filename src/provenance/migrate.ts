import { TraceReadError, TraceVersionError } from './errors.js';
import { TRACE_SCHEMA_VERSION } from './records.js';

/**
 * Upgrades a trace written in format version `from` to version `from + 1`, one file at a time,
 * as the reader loads it. Readers chain migrations up to {@link TRACE_SCHEMA_VERSION}; the files
 * on disk are never rewritten (run `looplet record` again, or flush a replay, to re-record).
 */
export interface TraceMigration {
  /** The version this migration reads. */
  from: number;
  /** Rewrites `trace.json` (must set `schemaVersion` to `from + 1`). */
  meta(raw: Record<string, unknown>): Record<string, unknown>;
  /** Rewrites one `steps/NNNN.json` record. */
  step?(raw: Record<string, unknown>): Record<string, unknown>;
  /** Rewrites one `calls/NNNN.json` record. */
  call?(raw: Record<string, unknown>): Record<string, unknown>;
}

/**
 * The migrations this package ships. Version 1 is the first format, so there are none yet: when
 * format 2 arrives, the migration from 1 goes here and v1 traces keep loading.
 */
export const TRACE_MIGRATIONS: readonly TraceMigration[] = [];

/** The migrations to apply to a trace of version `found` (empty when it is current). */
export function migrationsFor({
  file,
  found,
  migrations,
}: {
  file: string;
  found: unknown;
  migrations: readonly TraceMigration[];
}): TraceMigration[] {
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 0)
    throw new TraceReadError({
      file,
      field: 'schemaVersion',
      problem: `must be a non-negative integer, got ${JSON.stringify(found) ?? 'nothing'}`,
    });
  if (found > TRACE_SCHEMA_VERSION)
    throw new TraceVersionError({ file, found, supported: TRACE_SCHEMA_VERSION });
  const chain: TraceMigration[] = [];
  for (let version = found; version < TRACE_SCHEMA_VERSION; version++) {
    const migration = migrations.find((candidate) => candidate.from === version);
    if (!migration) throw new TraceVersionError({ file, found, supported: TRACE_SCHEMA_VERSION });
    chain.push(migration);
  }
  return chain;
}
