/** The inotify watches process `pid` holds now (Linux: read from /proc/<pid>/fdinfo). */
export function inotifyWatches(pid: number): number;
