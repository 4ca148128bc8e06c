// The check that evals leave traces as they were: kernel watches (Linux) and the stat fallback
// must tell the same story for each way a trace can be changed while a run scores it.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/report/run-record.js';
import {
  KeptTraceChecks,
  snapshotTraces,
  type TraceCheckMethod,
  traceChanges,
} from '../../src/vitest/trace-changes.js';

const methods: TraceCheckMethod[] = process.platform === 'linux' ? ['watch', 'stat'] : ['stat'];

describe.each(methods)('trace changes noticed by %s', (method) => {
  let root: string;
  const trace = (id: string) => path.join(root, 'traces', id);
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'looplet-trace-changes-'));
    for (const id of ['a', 'b']) {
      mkdirSync(path.join(trace(id), 'steps'), { recursive: true });
      writeFileSync(path.join(trace(id), 'trace.json'), '{}');
      writeFileSync(path.join(trace(id), 'steps', '0001.json'), '{"index":1}');
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Snapshots both traces, makes the change, and returns the messages of the errors found. */
  async function changesAfter(change: () => void, runs: RunRecord[] = []): Promise<string[]> {
    const snapshot = snapshotTraces({
      root,
      traces: ['a', 'b'].map((id) => ({ id, dir: trace(id) })),
      method,
    });
    change();
    const errors = await traceChanges({
      snapshot,
      runs,
      outcomes: [
        { eval: 'eval_x', context: 'a', status: 'passed', file: path.join(root, 'evals', 'eval_x.mjs') },
      ] as never,
    });
    for (const error of errors) expect(error.kind).toBe('trace');
    return errors.map((error) => `${error.source}: ${error.message.split(' (')[0]}`);
  }

  it('finds nothing when nothing changed (reading is not a change)', async () => {
    expect(await changesAfter(() => {})).toEqual([]);
  });

  it('names a file written in place, in a nested directory, and the eval files that ran', async () => {
    const snapshot = snapshotTraces({ root, traces: [{ id: 'a', dir: trace('a') }], method });
    writeFileSync(path.join(trace('a'), 'steps', '0001.json'), '{"index":2}');
    const [error] = await traceChanges({
      snapshot,
      runs: [],
      outcomes: [
        { eval: 'eval_x', context: 'a', status: 'passed', file: path.join(root, 'evals', 'eval_x.mjs') },
      ] as never,
    });
    expect(error?.message).toMatch(
      /^traces\/a\/steps\/0001\.json was changed while evals ran \(eval files run on it: evals\/eval_x\.mjs\)/,
    );
  });

  it('tells a file written (new, or put in place of one) from one deleted', async () => {
    expect(await changesAfter(() => writeFileSync(path.join(trace('b'), 'notes.txt'), 'x'))).toEqual([
      'b: traces/b/notes.txt was written while evals ran',
    ]);
    expect(await changesAfter(() => rmSync(path.join(trace('b'), 'trace.json')))).toEqual([
      'b: traces/b/trace.json was deleted while evals ran',
    ]);
    expect(
      await changesAfter(() => {
        writeFileSync(path.join(trace('a'), 'steps', 'tmp'), '{"index":1}');
        renameSync(path.join(trace('a'), 'steps', 'tmp'), path.join(trace('a'), 'steps', '0001.json'));
      }),
    ).toEqual(['a: traces/a/steps/0001.json was written while evals ran']);
    // Removed and made again: the kernel saw both; a stat sees the inode again, often reused.
    expect(
      await changesAfter(() => {
        rmSync(path.join(trace('a'), 'trace.json'));
        writeFileSync(path.join(trace('a'), 'trace.json'), '{"a":1}');
      }),
    ).toEqual([`a: traces/a/trace.json was ${method === 'watch' ? 'written' : 'changed'} while evals ran`]);
  });

  it('finds nothing for a file made and removed again (a temporary file), even more than once', async () => {
    expect(
      await changesAfter(() => {
        for (let round = 0; round < 3; round++) {
          writeFileSync(path.join(trace('a'), 'steps', 'scratch.tmp'), 'x');
          rmSync(path.join(trace('a'), 'steps', 'scratch.tmp'));
        }
      }),
    ).toEqual([]);
  });

  it('notices a change in a subdirectory of any name, and a trace directory put in place of another', async () => {
    mkdirSync(path.join(trace('b'), 'extra', 'deeper'), { recursive: true });
    writeFileSync(path.join(trace('b'), 'extra', 'deeper', 'x.json'), '{}');
    expect(
      await changesAfter(() => writeFileSync(path.join(trace('b'), 'extra', 'deeper', 'x.json'), '{"x":1}')),
    ).toEqual(['b: traces/b/extra/deeper/x.json was changed while evals ran']);
    // A stat of every file sees the files gone; a watch, the directory itself put in place of the old.
    expect(
      await changesAfter(() => {
        renameSync(trace('a'), `${trace('a')}.old`);
        mkdirSync(trace('a'));
      }),
    ).toEqual([
      method === 'watch'
        ? 'a: traces/a was written while evals ran'
        : 'a: traces/a/steps/0001.json was deleted while evals ran',
    ]);
  });

  it('checks a trace given as a link to its directory through the link', async () => {
    const linked = path.join(root, 'linked');
    symlinkSync(trace('a'), linked);
    const changes = async (change: () => void) => {
      const snapshot = snapshotTraces({ root, traces: [{ id: 'linked', dir: linked }], method });
      change();
      const errors = await traceChanges({ snapshot, runs: [], outcomes: [] });
      return errors.map((error) => error.message.split(' (')[0]);
    };
    expect(
      await changes(() => {
        writeFileSync(path.join(trace('a'), 'scratch.tmp'), 'x');
        rmSync(path.join(trace('a'), 'scratch.tmp'));
      }),
    ).toEqual([]);
    expect(await changes(() => writeFileSync(path.join(trace('a'), 'trace.json'), '{"x":1}'))).toEqual([
      'linked/trace.json was changed while evals ran',
    ]);
  });

  it('notices a changed modification time', async () => {
    expect(
      await changesAfter(() => utimesSync(path.join(trace('a'), 'trace.json'), new Date(0), new Date(0))),
    ).toEqual(['a: traces/a/trace.json was changed while evals ran']);
  });

  it('leaves out the traces the run re-recorded on purpose (-u)', async () => {
    const runs = [{ id: 'b', trace: path.join('traces', 'b'), updated: true }] as unknown as RunRecord[];
    expect(
      await changesAfter(() => {
        writeFileSync(path.join(trace('a'), 'trace.json'), '{"a":1}');
        writeFileSync(path.join(trace('b'), 'trace.json'), '{"b":1}');
      }, runs),
    ).toEqual(['a: traces/a/trace.json was changed while evals ran']);
  });
});

// A watch session keeps the kernel watches of untouched traces from run to run: each run must
// still report exactly what changed while it ran, never an edit made between runs.
describe.runIf(process.platform === 'linux')('trace watches kept between watch runs', () => {
  let root: string;
  const trace = (id: string) => path.join(root, 'traces', id);
  const refs = () => ['a', 'b'].map((id) => ({ id, dir: trace(id) }));
  /** What the event loop has to do for a write's kernel event to reach its watch (vitest waits longer). */
  const eventsDelivered = () => new Promise<void>((resolve) => setTimeout(() => setImmediate(resolve), 1));
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'looplet-kept-watches-'));
    for (const id of ['a', 'b']) {
      mkdirSync(path.join(trace(id), 'steps'), { recursive: true });
      writeFileSync(path.join(trace(id), 'trace.json'), '{}');
    }
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** One run of the session: snapshot, what happens while evals run, the changes reported. */
  async function run(kept: KeptTraceChecks, during: () => void = () => {}): Promise<string[]> {
    const snapshot = snapshotTraces({ root, traces: refs(), method: 'watch', kept });
    during();
    const errors = await traceChanges({ snapshot, runs: [], outcomes: [] });
    return errors.map((error) => `${error.source}: ${error.message.split(' (')[0]}`);
  }

  it('reports a change made during a later run, and never the edit that started it', async () => {
    const kept = new KeptTraceChecks();
    try {
      expect(await run(kept)).toEqual([]);
      // The edit a user makes between runs (it starts the next one).
      writeFileSync(path.join(trace('a'), 'trace.json'), '{"edited":1}');
      await eventsDelivered();
      expect(await run(kept)).toEqual([]);
      // Both traces' watches are now kept ones: an eval writing to either is still caught.
      expect(await run(kept, () => writeFileSync(path.join(trace('b'), 'steps', 'x.json'), '{}'))).toEqual([
        'b: traces/b/steps/x.json was written while evals ran',
      ]);
      expect(await run(kept, () => writeFileSync(path.join(trace('a'), 'trace.json'), '{}'))).toEqual([
        'a: traces/a/trace.json was changed while evals ran',
      ]);
      // A change reported once is not reported again by the next run.
      expect(await run(kept)).toEqual([]);
    } finally {
      kept.close();
    }
  });

  it('knows what a trace held after an edit between runs: a file it added, deleted during the next run, is deleted', async () => {
    const kept = new KeptTraceChecks();
    try {
      await run(kept);
      writeFileSync(path.join(trace('a'), 'notes.txt'), 'made between runs');
      await eventsDelivered();
      // The watch set again for the edited trace knows notes.txt was there before this run.
      expect(await run(kept, () => rmSync(path.join(trace('a'), 'notes.txt')))).toEqual([
        'a: traces/a/notes.txt was deleted while evals ran',
      ]);
    } finally {
      kept.close();
    }
  });

  it('tells a session user their own edit made during a run is scored next, and a CI run to restore the trace', async () => {
    const kept = new KeptTraceChecks();
    try {
      const message = async (watchSession: KeptTraceChecks | undefined) => {
        const snapshot = snapshotTraces({
          root,
          traces: refs(),
          method: 'watch',
          ...(watchSession ? { kept: watchSession } : {}),
        });
        writeFileSync(path.join(trace('a'), 'trace.json'), `{"at":${Date.now()}}`);
        const [error] = await traceChanges({ snapshot, runs: [], outcomes: [] });
        return error?.message ?? '';
      };
      const inSession = await message(kept);
      expect(inSession).toContain('If you changed it yourself, ignore this: the session scores it again now');
      expect(inSession).not.toContain('Restore the trace');
      expect(await message(undefined)).toContain('Restore the trace (git checkout) and run again');
    } finally {
      kept.close();
    }
  });
});
