import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a file whole: to a temporary name beside it, then renamed over it, so a reader (or a
 * crash) never sees half a report or half a baseline. Creates the directory when missing.
 */
export async function writeFileAtomic({
  file,
  content,
}: {
  file: string;
  /** Text (written as UTF-8), or bytes written as they are. */
  content: string | Uint8Array;
}): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, content); // Text as UTF-8.
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
