import { mkdir, open, rename, rm } from 'node:fs/promises';
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
    await writeWhole(temporary, typeof content === 'string' ? Buffer.from(content) : content);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Writes `bytes` to a new file in one request to the file system (where `writeFile` takes one per
 * 512 KiB, each waiting for this thread): a report of megabytes is written while the thread
 * renders the next.
 */
async function writeWhole(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    for (let offset = 0; offset < bytes.byteLength; ) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
      offset += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}
