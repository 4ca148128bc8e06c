import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contextFromTrace } from '../../src/evals/index.js';
import { LoopletError, ReplayLLM, readTrace, TraceReadError } from '../../src/index.js';
import { diffTraces } from '../../src/provenance/diff.js';
import { showTrace, showTraceJson } from '../../src/provenance/show.js';
import { colorsFor } from '../../src/provenance/text-output.js';
import type { RecordedTrace } from '../../src/provenance/types.js';
import { findTraceDirs, validateTraceDir } from '../../src/provenance/validate.js';
import { tempDir, thrownBy } from './helpers.js';

// A trace arrives in a pull request: whatever it holds, every reader answers with a typed error
// naming the file — it never follows a link out of the trace, opens a FIFO, reads a file without
// bound, or crashes on a value nested 10,000 levels deep.

const GOLDEN = path.resolve('traces/greeter/alice');
const PYTHON = path.resolve('fixtures/python-trace');

function copyOf(source: string): string {
  const dir = path.join(tempDir(), 'trace');
  cpSync(source, dir, { recursive: true });
  return dir;
}

/** Reads every part of a trace, the way show, diff, evals and replay do. */
async function readEverything(dir: string): Promise<void> {
  const trace = await readTrace(dir);
  for await (const _ of trace.steps());
  for await (const _ of trace.calls());
  void trace.meta.tools;
}

/** Every reader of the package on `dir`: each must fail with a TraceReadError matching `pattern`. */
async function expectEveryReaderToRefuse(dir: string, pattern: RegExp): Promise<void> {
  const refuse = async (what: string, read: () => unknown) => {
    let caught: unknown;
    try {
      await read();
    } catch (error) {
      caught = error;
    }
    expect(caught, `${what} did not refuse`).toBeInstanceOf(TraceReadError);
    expect((caught as Error).message, what).toMatch(pattern);
    expect((caught as Error).message.length, what).toBeLessThan(2_000);
  };
  await refuse('readTrace', () => readEverything(dir));
  const sink = () => {};
  await refuse('show', async () =>
    showTrace({ trace: await readTrace(dir), write: sink, colors: colorsFor({}) }),
  );
  await refuse('show --json', async () => showTraceJson({ trace: await readTrace(dir), write: sink }));
  await refuse('diff', async () => {
    const trace = await readTrace(dir);
    for await (const _ of diffTraces({ a: trace, b: await readTrace(GOLDEN), includeVolatile: true }));
  });
  await refuse('ReplayLLM', async () => {
    const llm = ReplayLLM.fromTrace(dir);
    void llm;
    await readEverything(dir);
  });
  await refuse('an eval context', async () => contextFromTrace({ trace: await readTrace(dir) }).steps);
  const validation = validateTraceDir({ dir });
  expect(validation.valid).toBe(false);
  expect(validation.problems.join('\n')).toMatch(pattern);
}

describe('symbolic links and special files inside a trace', () => {
  it('a step file linked to /dev/zero is refused by every reader, without reading it', async () => {
    const dir = copyOf(GOLDEN);
    rmSync(path.join(dir, 'steps/0001.json'));
    symlinkSync('/dev/zero', path.join(dir, 'steps/0001.json'));
    await expectEveryReaderToRefuse(dir, /steps\/0001\.json: is a symbolic link \(to \/dev\/zero\)/);
    const error = await readEverything(dir).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'TRACE_UNSAFE_FILE', file: path.join(dir, 'steps/0001.json') });
    expect((error as Error).message).toContain('replace the link with a copy of what it points to');
  });

  it('artifacts.json linked to a JSON file outside the trace is refused, not shown', async () => {
    const dir = copyOf(GOLDEN);
    const secret = path.join(tempDir(), 'secret.json');
    writeFileSync(secret, '{"password": "hunter2"}');
    rmSync(path.join(dir, 'artifacts.json'), { force: true });
    symlinkSync(secret, path.join(dir, 'artifacts.json'));
    expect(() => readTrace(dir)).toThrow(/artifacts\.json: is a symbolic link/);
    const validation = validateTraceDir({ dir });
    expect(validation.valid).toBe(false);
    expect(validation.problems.join('\n')).not.toContain('hunter2');
    expect(validation.problems.join('\n')).toMatch(/artifacts\.json: is a symbolic link/);
  });

  it('a steps/ directory linked elsewhere is refused, even when what it points to is a valid trace', async () => {
    const dir = copyOf(GOLDEN);
    const elsewhere = path.join(tempDir(), 'elsewhere');
    cpSync(path.join(GOLDEN, 'steps'), elsewhere, { recursive: true });
    rmSync(path.join(dir, 'steps'), { recursive: true });
    symlinkSync(elsewhere, path.join(dir, 'steps'));
    await expectEveryReaderToRefuse(dir, /steps: is a symbolic link/);
  });

  it('a FIFO, as a file or behind a link, is never opened (reading would block forever)', async () => {
    for (const viaLink of [false, true]) {
      const dir = copyOf(GOLDEN);
      const fifo = viaLink ? path.join(tempDir(), 'pipe') : path.join(dir, 'steps/0001.json');
      rmSync(path.join(dir, 'steps/0001.json'));
      execFileSync('mkfifo', [fifo]);
      if (viaLink) symlinkSync(fifo, path.join(dir, 'steps/0001.json'));
      await expectEveryReaderToRefuse(
        dir,
        viaLink
          ? /steps\/0001\.json: is a symbolic link/
          : /steps\/0001\.json: is a named pipe \(FIFO\), not a regular file/,
      );
    }
  }, 20_000);

  it('a trace.json that is a directory is a typed error, not a skipped trace', async () => {
    const dir = copyOf(GOLDEN);
    rmSync(path.join(dir, 'trace.json'));
    mkdirSync(path.join(dir, 'trace.json'));
    expect(() => readTrace(dir)).toThrow(/trace\.json: is a directory, not a regular file/);
    expect(findTraceDirs({ paths: [path.dirname(dir)] })).toEqual([dir]);
  });

  it('a Python trace whose trajectory.json is a link is refused too', async () => {
    const dir = copyOf(PYTHON);
    const outside = path.join(tempDir(), 'trajectory.json');
    cpSync(path.join(PYTHON, 'trajectory.json'), outside);
    rmSync(path.join(dir, 'trajectory.json'));
    symlinkSync(outside, path.join(dir, 'trajectory.json'));
    expect(() => readTrace(dir)).toThrow(/trajectory\.json: is a symbolic link/);
  });

  it('the trace directory itself may be a symbolic link: it is the path the user gave', async () => {
    const link = path.join(tempDir(), 'link');
    symlinkSync(GOLDEN, link);
    const trace = await readTrace(link);
    expect(trace.meta.stepCount).toBe(2);
    expect(validateTraceDir({ dir: link }).valid).toBe(true);
  });

  it('validate reports a link anywhere in a trace, even one no reader opens', () => {
    const dir = copyOf(GOLDEN);
    symlinkSync('/etc/passwd', path.join(dir, 'notes.json'));
    const validation = validateTraceDir({ dir });
    expect(validation.valid).toBe(false);
    expect(validation.problems).toContainEqual(
      expect.stringMatching(/notes\.json: is a symbolic link \(to \/etc\/passwd\)/),
    );
  });
});

describe('the size cap on one trace file', () => {
  const saved = process.env.LOOPLET_MAX_FILE_BYTES;
  afterEach(() => {
    if (saved === undefined) delete process.env.LOOPLET_MAX_FILE_BYTES;
    else process.env.LOOPLET_MAX_FILE_BYTES = saved;
  });

  it('refuses a file over the cap with the size, the cap and how to raise it', async () => {
    const dir = copyOf(GOLDEN);
    const size = readFileSync(path.join(dir, 'steps/0001.json')).length;
    const trace = thrownBy(() => readTrace({ dir, maxFileBytes: size - 1 }));
    // trace.json is larger than step 1: the reader stops there.
    expect(trace).toBeInstanceOf(TraceReadError);
    expect(trace).toMatchObject({ code: 'TRACE_FILE_TOO_LARGE' });
    expect((trace as Error).message).toMatch(
      new RegExp(
        `trace\\.json: is over the ${size - 1}-byte cap on one trace file \\(\\d+ bytes\\); .*LOOPLET_MAX_FILE_BYTES`,
      ),
    );
    // Under the cap, the same trace reads.
    await readEverything(dir);
  });

  it('reads the cap from LOOPLET_MAX_FILE_BYTES, and rejects a cap that is not a number of bytes', async () => {
    const dir = copyOf(GOLDEN);
    writeFileSync(path.join(dir, 'artifacts.json'), JSON.stringify({ big: 'x'.repeat(5_000) }));
    process.env.LOOPLET_MAX_FILE_BYTES = '4096';
    expect(() => readTrace(dir)).toThrow(/artifacts\.json: is over the 4096-byte cap/);
    process.env.LOOPLET_MAX_FILE_BYTES = '1MB';
    const error = thrownBy(() => readTrace(dir));
    expect(error).toBeInstanceOf(LoopletError);
    expect(error).toMatchObject({ code: 'TRACE_LIMIT' });
    expect((error as Error).message).toMatch(/LOOPLET_MAX_FILE_BYTES=1MB: .* positive whole number of bytes/);
    process.env.LOOPLET_MAX_FILE_BYTES = String(1024 * 1024);
    await readEverything(dir);
  });
});

describe('values that crash naive readers', () => {
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('JSON nested 10,000 levels deep is a typed error for every reader (no RangeError)', async () => {
    const dir = copyOf(GOLDEN);
    const file = path.join(dir, 'steps/0002.json');
    const step = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(step).replace('"metadata":{}', `"metadata":{"x":${deep(10_000)}}`));
    await expectEveryReaderToRefuse(
      dir,
      /steps\/0002\.json: nests arrays and objects more than 1000 levels deep/,
    );
  });

  it('deep nesting in artifacts.json stops show and evals before anything renders it', async () => {
    const dir = copyOf(GOLDEN);
    writeFileSync(path.join(dir, 'artifacts.json'), `{"a":${deep(50_000)}}`);
    const error = thrownBy(() => readTrace(dir));
    expect(error).toMatchObject({ code: 'TRACE_TOO_DEEP' });
  });

  it('1,000 levels (what Python can write) still read', async () => {
    const dir = copyOf(GOLDEN);
    writeFileSync(path.join(dir, 'artifacts.json'), `{"a":${deep(999)}}`);
    const trace = await readTrace(dir);
    const lines: string[] = [];
    await showTraceJson({ trace, write: (text) => void lines.push(text) });
    expect(lines.join('')).toContain('"artifacts":{"a":[[[');
  });

  it('a 5 MB invalid value is not copied into the error message', async () => {
    const dir = copyOf(GOLDEN);
    const meta = JSON.parse(readFileSync(path.join(dir, 'trace.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      path.join(dir, 'trace.json'),
      JSON.stringify({ ...meta, schemaVersion: 'v'.repeat(5_000_000) }),
    );
    const error = thrownBy(() => readTrace(dir));
    expect(error).toBeInstanceOf(TraceReadError);
    expect((error as Error).message).toMatch(
      /trace\.json \(field schemaVersion\): must be a non-negative integer, got "vvv/,
    );
    expect((error as Error).message.length).toBeLessThan(1_000);
    const validation = validateTraceDir({ dir });
    expect(validation.problems.join('\n').length).toBeLessThan(2_000);
  });

  it('a TraceReadError cuts a field or problem quoting megabytes of trace data', () => {
    const error = new TraceReadError({
      file: '/t/trace.json',
      field: `k${'y'.repeat(1_000_000)}`,
      problem: `is ${'z'.repeat(1_000_000)}`,
    });
    expect(error.message.length).toBeLessThan(1_000);
    expect(error.message).toMatch(/^\/t\/trace\.json \(field kyyy+…\): is zzz+…$/);
  });

  it('a Python trace started at 1e300 seconds: readVolatile() is a typed error, and validate says so', async () => {
    const dir = copyOf(PYTHON);
    const file = path.join(dir, 'trajectory.json');
    const trajectory = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...trajectory, started_at: 1e300 }));
    const trace: RecordedTrace = await readTrace(dir);
    expect(() => trace.readVolatile()).toThrow(TraceReadError);
    expect(() => trace.readVolatile()).toThrow(
      /trajectory\.json \(field started_at\): is 1e\+300, which is not a time/,
    );
    const validation = validateTraceDir({ dir });
    expect(validation.valid).toBe(false);
    expect(validation.problems).toContainEqual(expect.stringMatching(/field started_at/));
  });
});
