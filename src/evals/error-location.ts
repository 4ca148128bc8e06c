import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CODE_DIR } from '../util/package-files.js';

/** looplet's own code (built or not): its frames are never the eval's. */
const LOOPLET_CODE = CODE_DIR;

/** A stack frame's place: `at fn (file:line:col)` or `at file:line:col`. */
const FRAME = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/;

/**
 * Where in the eval's own code an error was thrown, as `file:line:column` (relative to the current
 * directory when inside it), read from the error's stack: the first frame in the eval's file, or
 * else the first frame outside Node's internals, `node_modules` and looplet. Undefined when the
 * stack names none.
 */
export function throwLocation({
  stack,
  file,
}: {
  stack: string | undefined;
  file?: string;
}): string | undefined {
  if (stack === undefined) return undefined;
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const match = FRAME.exec(line);
    if (!match) continue;
    let place = match[1]!;
    if (place.startsWith('file://')) place = fileURLToPath(place);
    if (!path.isAbsolute(place)) continue;
    frames.push(`${place}:${match[2]}:${match[3]}`);
    if (file !== undefined && place === file) return shown(frames.at(-1)!);
  }
  const own = frames.find(
    (frame) =>
      !frame.includes(`${path.sep}node_modules${path.sep}`) && !frame.startsWith(LOOPLET_CODE + path.sep),
  );
  return own === undefined ? undefined : shown(own);
}

function shown(frame: string): string {
  const relative = path.relative(process.cwd(), frame);
  return relative.startsWith('..') || path.isAbsolute(relative) ? frame : relative;
}
