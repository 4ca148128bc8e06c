// How many inotify watches a process holds (Linux): the bench's watch figures and the watch tests
// read it from /proc, one `inotify wd:` line per watch in the fdinfo of the process's descriptors.
import { readdirSync, readFileSync } from 'node:fs';

/** The inotify watches process `pid` holds now. */
export function inotifyWatches(pid) {
  let watches = 0;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      watches += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm)?.length ?? 0;
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  return watches;
}
