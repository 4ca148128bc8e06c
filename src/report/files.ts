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
  /** Text (written as UTF-8), or bytes written as they are, whole or in pieces one after another. */
  content: string | Uint8Array | readonly Uint8Array[];
}): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  const pieces =
    typeof content === 'string' ? [Buffer.from(content)] : isBytes(content) ? [content] : content;
  try {
    await writeWhole(temporary, pieces);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function isBytes(content: Uint8Array | readonly Uint8Array[]): content is Uint8Array {
  return content instanceof Uint8Array;
}

/**
 * Writes `pieces` one after another to a new file in one request to the file system (a vectored
 * write; `writeFile` takes one request per 512 KiB, each waiting for this thread): a report of
 * megabytes is written while the thread renders the next, and its pieces are not first copied
 * into one buffer.
 */
async function writeWhole(file: string, pieces: readonly Uint8Array[]): Promise<void> {
  const handle = await open(file, 'w');
  try {
    let left = pieces.filter((piece) => piece.byteLength > 0);
    while (left.length > 0) {
      let { bytesWritten } = await handle.writev(left);
      // A short write (rare for files): go on from the first byte not written.
      const rest: Uint8Array[] = [];
      for (const piece of left) {
        if (bytesWritten >= piece.byteLength) bytesWritten -= piece.byteLength;
        else {
          rest.push(bytesWritten === 0 ? piece : piece.subarray(bytesWritten));
          bytesWritten = 0;
        }
      }
      left = rest;
    }
  } finally {
    await handle.close();
  }
}
