import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'flatted';
import { CHUNK_SUFFIX } from '../vitest/plan.js';
import { escapeRegExp } from '../vitest/plan-run.js';
import { UsageError } from './exit-codes.js';

/** One chunk file a shard scored: the plan it belongs to (its `run-<key>` directory) and its place in it. */
interface ChunkRef {
  plan: string;
  index: number;
  count: number;
}

/** What `--merge-reports` needs to know of a blob report: its shard (from vitest's file name) and chunks. */
interface BlobReport {
  name: string;
  modified: Date;
  shard: { index: number; count: number } | undefined;
  chunks: ChunkRef[];
}

/** A chunk file written by the planner: `…/run-<key>/evals-<i>-of-<n>.looplet.mjs`. */
const CHUNK_PATH = new RegExp(
  `[\\\\/](run-[0-9a-f]+)[\\\\/]evals-(\\d+)-of-(\\d+)${escapeRegExp(CHUNK_SUFFIX)}$`,
);

/** vitest's name for a shard's blob: `blob-<i>-<n>.json`. */
const BLOB_NAME = /^blob-(\d+)-(\d+)\.json$/;

/**
 * Checks, before `--merge-reports` merges them, that the blob reports in `dir` are the shards of
 * one run: vitest merges whatever it finds, so a blob left by an earlier run (another shard count,
 * other traces or options) would be counted twice without a word. A merged report must equal one
 * unsharded run, so blobs of several plans or shard counts, a chunk in two blobs or a chunk in
 * none are usage errors naming the blobs.
 */
export async function checkBlobReports({ dir, cwd }: { dir: string; cwd: string }): Promise<void> {
  const absolute = path.resolve(cwd, dir);
  const names = (await readdir(absolute)).sort();
  const blobs: BlobReport[] = [];
  for (const name of names) blobs.push(await readBlob({ file: path.join(absolute, name), name, dir }));
  if (blobs.length === 0)
    throw new UsageError(`--merge-reports ${dir}: no blob reports (shards write them with --reporter blob)`);
  const fix = `remove the stale ones (or empty ${dir} before the shards run) and merge again`;

  const counts = groupBy(
    blobs.filter((blob) => blob.shard),
    (blob) => String(blob.shard!.count),
  );
  if (counts.size > 1) {
    const listing = [...counts.entries()]
      .map(([count, group]) => `${count} shards (${group.map((blob) => blob.name).join(', ')})`)
      .join(' and ');
    throw new UsageError(`--merge-reports ${dir}: blobs of runs split into ${listing}: ${fix}`);
  }

  const plans = groupBy(
    blobs.filter((blob) => blob.chunks.length > 0),
    (blob) => blob.chunks[0]!.plan,
  );
  if (plans.size > 1) {
    const listing = [...plans.values()].map((group) => describeGroup(group)).join('; ');
    throw new UsageError(
      `--merge-reports ${dir}: the blobs come from ${plans.size} different runs (other eval files, traces, options or --workers), and merging them would count results twice: ${listing}. Keep the blobs of one run: ${fix}`,
    );
  }

  const [group] = plans.values();
  if (!group) return;
  const owners = new Map<number, string>();
  for (const blob of group)
    for (const chunk of blob.chunks) {
      const owner = owners.get(chunk.index);
      if (owner !== undefined)
        throw new UsageError(
          `--merge-reports ${dir}: ${owner} and ${blob.name} both hold chunk ${chunk.index} of ${chunk.count}, so its results would count twice: ${fix}`,
        );
      owners.set(chunk.index, blob.name);
    }
  const count = group[0]!.chunks[0]!.count;
  const missing = Array.from({ length: count }, (_, index) => index + 1).filter(
    (index) => !owners.has(index),
  );
  if (missing.length > 0) {
    const shards = blobs.find((blob) => blob.shard)?.shard?.count;
    const present = blobs.flatMap((blob) => (blob.shard ? [blob.shard.index] : []));
    const absent = shards
      ? Array.from({ length: shards }, (_, index) => index + 1).filter((index) => !present.includes(index))
      : [];
    throw new UsageError(
      `--merge-reports ${dir}: chunk${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${count} ${missing.length === 1 ? 'is' : 'are'} in no blob${absent.length > 0 ? ` (no blob of shard ${absent.map((index) => `${index}/${shards}`).join(', ')})` : ''}: a merged report would miss their results. Run the missing shards, or merge once every shard has written its blob`,
    );
  }
}

async function readBlob({
  file,
  name,
  dir,
}: {
  file: string;
  name: string;
  dir: string;
}): Promise<BlobReport> {
  const info = await stat(file);
  const notBlob = (why: string) =>
    new UsageError(
      `--merge-reports ${dir}: ${name} is not a vitest blob report (${why}); leave only blobs there`,
    );
  if (!info.isFile()) throw notBlob('not a file');
  let report: unknown;
  try {
    report = parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw notBlob((error as Error).message);
  }
  if (!Array.isArray(report) || typeof report[0] !== 'string' || !Array.isArray(report[1]))
    throw notBlob('unexpected content');
  const chunks: ChunkRef[] = [];
  for (const task of report[1] as unknown[]) {
    const filepath = (task as { filepath?: unknown } | null)?.filepath;
    const match = typeof filepath === 'string' ? CHUNK_PATH.exec(filepath) : null;
    if (match) chunks.push({ plan: match[1]!, index: Number(match[2]), count: Number(match[3]) });
  }
  const shard = BLOB_NAME.exec(name);
  return {
    name,
    modified: info.mtime,
    shard: shard ? { index: Number(shard[1]), count: Number(shard[2]) } : undefined,
    chunks,
  };
}

function describeGroup(group: readonly BlobReport[]): string {
  const newest = Math.max(...group.map((blob) => blob.modified.getTime()));
  return `${group.map((blob) => blob.name).join(', ')} (written ${new Date(newest).toISOString()})`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
