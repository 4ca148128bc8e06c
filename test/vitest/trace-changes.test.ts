// The check that evals leave traces as they were: kernel watches (Linux) and the stat fallback
// must tell the same story for each way a trace can be changed while a run scores it.
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/report/run-record.js';
import { snapshotTraces, type TraceCheckMethod, traceChanges } from '../../src/vitest/trace-changes.js';

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

  it('tells added, deleted and replaced files apart', async () => {
    expect(await changesAfter(() => writeFileSync(path.join(trace('b'), 'notes.txt'), 'x'))).toEqual([
      'b: traces/b/notes.txt was added while evals ran',
    ]);
    expect(await changesAfter(() => rmSync(path.join(trace('b'), 'trace.json')))).toEqual([
      'b: traces/b/trace.json was deleted while evals ran',
    ]);
    expect(
      await changesAfter(() => {
        writeFileSync(path.join(trace('a'), 'steps', 'tmp'), '{"index":1}');
        renameSync(path.join(trace('a'), 'steps', 'tmp'), path.join(trace('a'), 'steps', '0001.json'));
      }),
    ).toEqual(['a: traces/a/steps/0001.json was replaced while evals ran']);
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
