// looplet's own watcher of a watch session's traces roots, on real directories: what it reports
// (in chokidar's words, for vitest), that it watches directories and never follows a link, and
// that a system out of watches costs a warning, not the session.
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  watch,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type TraceFileEvent,
  type TraceWatcher,
  watchFailureWarning,
  watchTraceRoots,
} from '../../src/vitest/trace-watcher.js';

describe('watchTraceRoots', () => {
  let dir: string;
  let traces: string;
  let watcher: TraceWatcher | undefined;
  let events: Array<[TraceFileEvent, string]>;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'looplet-trace-watcher-'));
    traces = path.join(dir, 'traces');
    for (const name of ['alice', 'bob']) {
      mkdirSync(path.join(traces, name, 'steps'), { recursive: true });
      writeFileSync(path.join(traces, name, 'trajectory.json'), '{}');
      writeFileSync(path.join(traces, name, 'steps', 'step_01.json'), '{}');
    }
    events = [];
  });
  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (options: Partial<Parameters<typeof watchTraceRoots>[0]> = {}) => {
    watcher = watchTraceRoots({
      roots: [traces],
      onEvent: (event, file) => events.push([event, path.relative(traces, file)]),
      onWatchRefused: () => {
        throw new Error('no watch should be refused');
      },
      ...options,
    });
    return watcher;
  };
  /** Watches a link to the traces root (events relative to the link); returns the link. */
  const startLinked = () => {
    const linked = path.join(dir, 'linked');
    symlinkSync(traces, linked);
    watcher = watchTraceRoots({
      roots: [linked],
      onEvent: (event, file) => events.push([event, path.relative(linked, file)]),
      onWatchRefused: () => {},
    });
    return linked;
  };
  /** Removes the traces root, makes it again with one trace, edits it: each step must be reported. */
  const removeAndRemakeRoot = async () => {
    rmSync(traces, { recursive: true });
    await seen('unlink', '');
    mkdirSync(path.join(traces, 'carol'), { recursive: true });
    writeFileSync(path.join(traces, 'carol', 'trajectory.json'), '{}');
    await seen('add', path.join('carol', 'trajectory.json'));
    writeFileSync(path.join(traces, 'carol', 'trajectory.json'), '{"steps":[]}');
    await seen('change', path.join('carol', 'trajectory.json'));
  };
  const seen = async (event: TraceFileEvent, file: string) => {
    for (let waited = 0; waited < 5_000; waited += 10) {
      if (events.some(([e, f]) => e === event && f === file)) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`not reported: ${event} ${file}; reported: ${JSON.stringify(events)}`);
  };

  it('watches each directory, not each file: a root, its traces and their subdirectories', () => {
    expect(start().watched).toBe(5);
  });

  it('reports changed, added and removed files at any depth, as chokidar names them', async () => {
    start();
    writeFileSync(path.join(traces, 'alice', 'trajectory.json'), '{"steps":[]}');
    await seen('change', path.join('alice', 'trajectory.json'));
    writeFileSync(path.join(traces, 'bob', 'steps', 'step_02.json'), '{}');
    await seen('add', path.join('bob', 'steps', 'step_02.json'));
    unlinkSync(path.join(traces, 'bob', 'steps', 'step_01.json'));
    await seen('unlink', path.join('bob', 'steps', 'step_01.json'));
  });

  it('reports every file of a trace renamed into place (a re-recording), and watches its directories', async () => {
    start();
    const staged = path.join(traces, '.tmp-alice');
    mkdirSync(path.join(staged, 'steps'), { recursive: true });
    writeFileSync(path.join(staged, 'trajectory.json'), '{"new":true}');
    writeFileSync(path.join(staged, 'steps', 'step_01.json'), '{}');
    rmSync(path.join(traces, 'alice'), { recursive: true });
    renameSync(staged, path.join(traces, 'alice'));
    await seen('add', path.join('alice', 'trajectory.json'));
    await seen('add', path.join('alice', 'steps', 'step_01.json'));
    // Nothing is reported from the hidden staging directory.
    expect(events.filter(([, file]) => file.startsWith('.'))).toEqual([]);
    // The new directories are watched: an edit inside them is reported.
    writeFileSync(path.join(traces, 'alice', 'steps', 'step_01.json'), '{"edited":true}');
    await seen('change', path.join('alice', 'steps', 'step_01.json'));
    expect(watcher?.watched).toBe(5);
  });

  it('watches a traces root removed and made again (rm -rf traces && git checkout traces)', async () => {
    start();
    await removeAndRemakeRoot();
  });

  it('a trace moved away and replaced by a link to itself: nothing thrown, the moved directory no longer watched', async () => {
    start();
    const moved = path.join(dir, 'moved');
    renameSync(path.join(traces, 'bob'), moved);
    symlinkSync('bob', path.join(traces, 'bob'));
    await seen('add', 'bob');
    // Events of the moved directory would name paths through the loop (ELOOP): none is reported.
    writeFileSync(path.join(moved, 'new.json'), '{}');
    writeFileSync(path.join(moved, 'trajectory.json'), '{"moved":true}');
    writeFileSync(path.join(traces, 'alice', 'trajectory.json'), '{"steps":[]}');
    await seen('change', path.join('alice', 'trajectory.json'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.filter(([, file]) => file.startsWith(`bob${path.sep}`))).toEqual([]);
    expect(watcher?.watched).toBe(3);
  });

  it('a traces root that is a link whose target is removed and made again is watched again', async () => {
    startLinked();
    await removeAndRemakeRoot();
  });

  it('follows no symbolic link: a loop and a link to / are not walked, and are reported as files', async () => {
    symlinkSync('..', path.join(traces, 'alice', 'loop'));
    symlinkSync('/', path.join(traces, 'alice', 'root'));
    expect(start().watched).toBe(5);
    symlinkSync('/', path.join(traces, 'bob', 'root'));
    await seen('add', path.join('bob', 'root'));
    expect(watcher?.watched).toBe(5);
  });

  it('leaves out hidden directories, node_modules and the directories given to vite', () => {
    mkdirSync(path.join(traces, '.staging', 'x'), { recursive: true });
    mkdirSync(path.join(traces, 'node_modules', 'x'), { recursive: true });
    mkdirSync(path.join(traces, 'evals', 'nested'), { recursive: true });
    const evals = path.join(traces, 'evals');
    expect(start({ leftOut: (at) => at === evals || at.startsWith(`${evals}${path.sep}`) }).watched).toBe(5);
  });

  it('follows a traces root that is itself a link, and keeps watching it as traces go', async () => {
    const linked = startLinked();
    expect(watcher?.watched).toBe(5);
    rmSync(path.join(linked, 'bob'), { recursive: true });
    await seen('unlink', 'bob');
    writeFileSync(path.join(linked, 'alice', 'trajectory.json'), '{"steps":[]}');
    await seen('change', path.join('alice', 'trajectory.json'));
    expect(watcher?.watched).toBe(3);
  });

  it('when the system refuses a watch (out of inotify watches): says so once, keeps what it has, does not throw', async () => {
    const refused: string[] = [];
    let allowed = 3; // the root's parent, the root, the first trace
    start({
      watchDirectory: (at, listener) => {
        if (allowed-- <= 0)
          throw Object.assign(
            new Error(`ENOSPC: System limit for number of file watchers reached, watch '${at}'`),
            {
              code: 'ENOSPC',
            },
          );
        return watch(at, { persistent: false }, listener);
      },
      onWatchRefused: (error, at) => refused.push(`${error.code} ${path.relative(traces, at)}`),
    });
    // The root and the first trace are watched (listing order decides which trace); its steps/ was refused.
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(/^ENOSPC (alice|bob)[/\\]steps$/);
    expect(watcher?.watched).toBe(2);
    const first = refused[0]!.includes('alice') ? 'alice' : 'bob';
    writeFileSync(path.join(traces, first, 'trajectory.json'), '{"steps":[]}');
    await seen('change', path.join(first, 'trajectory.json'));
  });
});

describe('watchFailureWarning', () => {
  const cwd = path.join(os.tmpdir(), 'project');
  const failure = (code: string, file: string) =>
    Object.assign(new Error(`${code}: failed, watch '${file}'`), { code, path: file });

  it('says once per kind of failure what goes unwatched, relative to the project, and the way out', () => {
    const said: string[] = [];
    const failed = watchFailureWarning({ cwd, warn: (message) => said.push(message) });
    failed(failure('ENOSPC', path.join(cwd, 'traces', 't1', 'steps')));
    failed(failure('ENOSPC', path.join(cwd, 'traces', 't2')));
    failed(failure('ELOOP', path.join(cwd, 'evals', 'a')));
    failed(failure('ELOOP', path.join(cwd, 'evals', 'b')));
    expect(said).toHaveLength(2);
    expect(said[0]).toContain(`cannot watch ${path.join('traces', 't1', 'steps')} and what comes after it`);
    expect(said[0]).toContain('fs.inotify.max_user_watches');
    expect(said[0]).toContain('sudo sysctl fs.inotify.max_user_watches=');
    expect(said[1]).toBe(
      `looplet-eval --watch: cannot watch ${path.join('evals', 'a')}: ELOOP: failed, watch '${path.join(cwd, 'evals', 'a')}'. Edits there will not re-run evals.`,
    );
  });

  it('names the directory it is given over the error\'s path, and says "some files" without either', () => {
    const said: string[] = [];
    const failed = watchFailureWarning({ cwd, warn: (message) => said.push(message) });
    failed(failure('EMFILE', '/elsewhere'), path.join(cwd, 'traces'));
    failed(Object.assign(new Error('boom'), { code: 'EIO' }));
    expect(said[0]).toContain(
      'cannot watch traces and what comes after it: the process has too many files open',
    );
    expect(said[1]).toBe(
      'looplet-eval --watch: cannot watch some files: boom. Edits there will not re-run evals.',
    );
  });
});
