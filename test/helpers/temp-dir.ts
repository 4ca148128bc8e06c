import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh temporary directory for each test of the calling file, removed after the test. */
export interface TempDir {
  /** The current test's directory. */
  readonly path: string;
  /** Writes a file under the directory (creating folders) and returns its absolute path. */
  write(file: string, content: string): Promise<string>;
}

export function useTempDir(prefix: string): TempDir {
  let current: string | undefined;
  beforeEach(async () => {
    current = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    if (current) await rm(current, { recursive: true, force: true });
  });
  const temp: TempDir = {
    get path() {
      if (!current) throw new Error('useTempDir: the directory exists only inside a test');
      return current;
    },
    async write(file, content) {
      const path = join(temp.path, file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      return path;
    },
  };
  return temp;
}
