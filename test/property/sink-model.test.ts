import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  agentLoop,
  fixedClock,
  ProvenanceSink,
  readTrace,
  ScriptedLLM,
  sequentialIds,
  TraceWriteError,
} from '../../src/index.js';
import { interruptedReplaceCopy } from '../../src/provenance/atomic-dir.js';
import { arbitraries as arb, hookFromSpec, type TraceRecipe } from '../../src/testing/index.js';
import { defaultLawTools } from '../../src/testing/observe.js';
import { traceFiles } from '../../src/testing/trace-arbitraries.js';
import { params, TIMEOUT } from './settings.js';

// A crash is simulated by making every file-system write fail from the n-th one on, as if the
// process had died there: nothing after that point reaches the disk, not even clean-up. Then the
// "process restarts" (writes work again) and whatever is on disk must still make sense. A crash
// that hits a recursive delete first deletes part of the directory, as a real one would midway:
// everything but trace.json, so the half-deleted copy still looks like a trace from outside.
// `when` crashes at a chosen operation instead of the n-th one.
const crash = vi.hoisted(() => {
  class SimulatedCrash extends Error {}
  return {
    after: undefined as number | undefined,
    when: undefined as ((name: string, args: unknown[]) => boolean) | undefined,
    dead: false,
    SimulatedCrash,
  };
});

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const writers = [
    'writeFileSync',
    'mkdirSync',
    'mkdtempSync',
    'renameSync',
    'rmSync',
    'openSync',
    'writeSync',
    'fsyncSync',
    'closeSync',
  ] as const;
  /** Deletes what a recursive delete would have deleted before the crash: all but trace.json. */
  const deletePart = (dir: string) => {
    for (const entry of actual.readdirSync(dir, { recursive: true, encoding: 'utf8' }).reverse()) {
      const full = `${dir}/${entry}`;
      if (entry === 'trace.json' || !actual.existsSync(full)) continue;
      actual.rmSync(full, { recursive: true, force: true });
    }
  };
  const guarded: Record<string, unknown> = {};
  for (const name of writers) {
    const original = actual[name] as (...args: unknown[]) => unknown;
    guarded[name] = (...args: unknown[]) => {
      const dies = crash.when ? crash.when(name, args) : crash.after !== undefined && crash.after-- <= 0;
      if (crash.dead || dies) {
        if (!crash.dead && name === 'rmSync' && actual.existsSync(String(args[0]))) {
          const stats = actual.lstatSync(String(args[0]));
          if (stats.isDirectory()) deletePart(String(args[0]));
        }
        crash.dead = true;
        throw new crash.SimulatedCrash(`simulated crash before ${name}`);
      }
      return original(...args);
    };
  }
  return { ...actual, ...guarded, default: { ...actual, ...guarded } };
});

type Files = Record<string, string>;
const DIRS = ['alpha', 'beta'] as const;
type DirName = (typeof DIRS)[number];

interface Model {
  /** Runs recorded but not flushed yet. */
  pending: Set<DirName>;
  /** What each flushed directory may hold: one snapshot, or several after a crash (`null`: absent). */
  flushed: Map<DirName, Array<Files | null>>;
}

interface Real {
  root: string;
  sinks: Map<DirName, { sink: ProvenanceSink; files: Files }>;
}

/** The temporary, set-aside and half-deleted copies beside a trace directory. */
function leftovers(dir: string): string[] {
  const prefix = `.${path.basename(dir)}.`;
  return readdirSync(path.dirname(dir)).filter((entry) => entry.startsWith(prefix));
}

function onDisk(dir: string): Files {
  return Object.fromEntries(
    traceFiles(dir).map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]),
  );
}

class RecordRun implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly dir: DirName,
    readonly recipe: TraceRecipe,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const sink = new ProvenanceSink({ dir: path.join(real.root, this.dir), clock: fixedClock() });
    await agentLoop({
      llm: sink.wrapLLM(new ScriptedLLM(this.recipe.script)),
      tools: defaultLawTools(),
      task: 'model-based sink test',
      hooks: [...this.recipe.hooks.map(hookFromSpec), sink.hook()],
      maxSteps: this.recipe.script.length + 1,
      clock: fixedClock(),
      ids: sequentialIds(),
    }).result;
    const files = Object.fromEntries(sink.files().map((file) => [file.path, file.content]));
    real.sinks.set(this.dir, { sink, files });
    model.pending.add(this.dir);
  }
  toString = () => `record(${this.dir}, ${this.recipe.script.length} turns)`;
}

class Flush implements fc.AsyncCommand<Model, Real> {
  constructor(readonly dir: DirName) {}
  check = (model: Readonly<Model>) => model.pending.has(this.dir);
  async run(model: Model, real: Real): Promise<void> {
    const { sink, files } = real.sinks.get(this.dir)!;
    await sink.flush();
    expect(onDisk(sink.dir)).toEqual(files);
    // A write that completes leaves nothing beside the trace, whatever earlier crashes left.
    expect(leftovers(sink.dir)).toEqual([]);
    model.flushed.set(this.dir, [files]);
    model.pending.delete(this.dir);
    real.sinks.delete(this.dir);
  }
  toString = () => `flush(${this.dir})`;
}

class CrashingFlush implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly dir: DirName,
    readonly after: number,
  ) {}
  check = (model: Readonly<Model>) => model.pending.has(this.dir);
  async run(model: Model, real: Real): Promise<void> {
    const { sink, files } = real.sinks.get(this.dir)!;
    // A flush makes about one write per file plus a few directory operations: crash anywhere in it.
    crash.after = this.after % (Object.keys(files).length + 8);
    crash.dead = false;
    let failure: unknown;
    try {
      await sink.flush();
    } catch (error) {
      failure = error;
    } finally {
      crash.after = undefined;
      crash.dead = false;
    }
    const before = model.flushed.get(this.dir) ?? [null];
    if (failure === undefined) model.flushed.set(this.dir, [files]);
    else {
      const cause = failure instanceof TraceWriteError ? failure.cause : failure;
      expect(cause).toBeInstanceOf(crash.SimulatedCrash);
      // The crash may have come before or after the new trace took the directory's name.
      model.flushed.set(this.dir, [...before, files]);
    }
    model.pending.delete(this.dir);
    real.sinks.delete(this.dir);
    // After the restart, the directory holds the old trace or the new one, never a half one.
    await verify(model, real, this.dir);
  }
  toString = () => `flush(${this.dir}) crashing (at ${this.after})`;
}

/**
 * Checks a directory holds one of the traces the model allows, readable in full, and narrows the
 * model to what was found.
 */
async function verify(model: Model, real: Real, name: DirName): Promise<void> {
  const dir = path.join(real.root, name);
  const possible = model.flushed.get(name)!;
  // A crash between the two renames of a replace leaves the old trace aside: readers read it there.
  const readable = existsSync(dir) ? dir : interruptedReplaceCopy(dir);
  if (readable === undefined) {
    expect(possible.includes(null), `${name} is gone, but it held a flushed trace`).toBe(true);
    model.flushed.set(name, [null]);
    return;
  }
  const files = onDisk(readable);
  const match = possible.find((candidate) => candidate !== null && isDeepStrictEqual(candidate, files));
  expect(
    match,
    `${name} holds neither the old nor the new trace: ${Object.keys(files).join(', ')}`,
  ).toBeDefined();
  const trace = await readTrace(dir);
  for await (const _ of trace.steps());
  for await (const _ of trace.calls());
  model.flushed.set(name, [match!]);
}

class Read implements fc.AsyncCommand<Model, Real> {
  constructor(readonly dir: DirName) {}
  check = (model: Readonly<Model>) => model.flushed.has(this.dir);
  run = (model: Model, real: Real) => verify(model, real, this.dir);
  toString = () => `read(${this.dir})`;
}

const dirs = fc.constantFrom(...DIRS);
const commands = fc.commands(
  [
    fc.tuple(dirs, arb.trace({ failures: false })).map(([dir, recipe]) => new RecordRun(dir, recipe)),
    dirs.map((dir) => new Flush(dir)),
    fc.tuple(dirs, fc.nat({ max: 1000 })).map(([dir, after]) => new CrashingFlush(dir, after)),
    dirs.map((dir) => new Read(dir)),
  ],
  { maxCommands: 16 },
);

describe('ProvenanceSink, model-based', () => {
  it(
    'any sequence of record / flush / crash / read keeps every flushed trace readable and identical',
    () =>
      fc.assert(
        fc.asyncProperty(commands, async (sequence) => {
          const root = mkdtempSync(path.join(os.tmpdir(), 'looplet-sink-model-'));
          try {
            await fc.asyncModelRun(
              () => ({
                model: { pending: new Set<DirName>(), flushed: new Map() },
                real: { root, sinks: new Map() },
              }),
              sequence,
            );
          } finally {
            rmSync(root, { recursive: true, force: true });
          }
        }),
        params('heavy'),
      ),
    TIMEOUT,
  );
});

describe('ProvenanceSink, a crash at every point of a flush', () => {
  /**
   * Records a one-step run into `dir` and flushes it, crashing after `after` writes, or at the
   * first operation `after` picks (or not at all).
   */
  async function recordInto(
    dir: string,
    answer: string,
    after?: number | ((name: string, args: unknown[]) => boolean),
  ): Promise<Files> {
    const sink = new ProvenanceSink({ dir, clock: fixedClock() });
    await agentLoop({
      llm: sink.wrapLLM(new ScriptedLLM([{ text: answer }])),
      task: 'crash test',
      hooks: [sink.hook()],
      clock: fixedClock(),
      ids: sequentialIds(),
    }).result;
    const files = Object.fromEntries(sink.files().map((file) => [file.path, file.content]));
    if (typeof after === 'function') crash.when = after;
    else crash.after = after;
    crash.dead = false;
    try {
      await sink.flush();
    } catch {
      // The simulated crash; the disk is checked below.
    } finally {
      crash.after = undefined;
      crash.when = undefined;
      crash.dead = false;
    }
    return files;
  }

  it('a first flush crashing anywhere leaves no trace or the whole trace, never half of one', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'looplet-crash-'));
    try {
      for (let after = 0; after < 20; after++) {
        const dir = path.join(root, `first-${after}`);
        const files = await recordInto(dir, 'only answer', after);
        if (!existsSync(dir)) continue;
        expect(onDisk(dir), `crash after ${after} writes`).toEqual(files);
        await readTrace(dir);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  // Replacing a trace renames the old directory aside, then the new one in; a crash between the two
  // renames leaves the old one aside: readers read it there, and the next write puts it back first.
  it('replacing a trace and crashing anywhere leaves the old or the new trace readable at the path', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'looplet-crash-'));
    try {
      for (let after = 0; after < 20; after++) {
        const dir = path.join(root, `replace-${after}`);
        const old = await recordInto(dir, 'old answer');
        const fresh = await recordInto(dir, 'new answer', after);
        const trace = await readTrace(dir);
        expect([old, fresh], `crash after ${after} writes`).toContainEqual(onDisk(trace.dir));
        // The next write puts a trace back at the path.
        const again = await recordInto(dir, 'again');
        expect(onDisk(dir)).toEqual(again);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a crash while deleting the old copy, then one between the two renames of the next write: the complete copy is read', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'looplet-crash-'));
    try {
      const dir = path.join(root, 'twice');
      await recordInto(dir, 'first');
      // Crash midway through deleting the replaced copy: the new trace is in place.
      const second = await recordInto(
        dir,
        'second',
        (name, args) => name === 'rmSync' && /\.(old|del)-/.test(String(args[0])),
      );
      expect(onDisk(dir)).toEqual(second);
      // Crash after the trace was renamed aside, before the new one took its place.
      await recordInto(
        dir,
        'third',
        (name, args) => name === 'renameSync' && String(args[0]).includes('.tmp-'),
      );
      expect(existsSync(dir)).toBe(false);
      const trace = await readTrace(dir);
      expect(onDisk(trace.dir)).toEqual(second);
      for await (const _ of trace.steps());
      // The next write restores, replaces and cleans up: nothing is left beside the trace.
      const fourth = await recordInto(dir, 'fourth');
      expect(onDisk(dir)).toEqual(fourth);
      expect(leftovers(dir)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('later writes remove what crashed writes left, but never a write under way or the only copy', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'looplet-crash-'));
    try {
      const dir = path.join(root, 'leftovers');
      await recordInto(dir, 'first');
      const gone = spawnSync(process.execPath, ['-e', '']).pid!;
      const beside = (name: string) => path.join(root, `.leftovers.${name}`);
      for (const name of [
        `tmp-${gone}-aaaaaa`,
        `tmp-${process.pid}-bbbbbb`,
        `tmp-${process.ppid}-cccccc`,
        'tmp-dddddd',
        'del-x',
      ])
        mkdirSync(beside(name));
      writeFileSync(path.join(beside('del-x'), 'trace.json'), '{}');
      await recordInto(dir, 'second');
      // Kept: a write of a live process (the parent), and one an older version left (no pid).
      expect(leftovers(dir).sort()).toEqual([
        `.leftovers.tmp-${process.ppid}-cccccc`,
        '.leftovers.tmp-dddddd',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
