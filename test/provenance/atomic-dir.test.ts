import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrace, ScriptedLLM, TraceWriteError } from '../../src/index.js';
import { GREETER_SCRIPT, recordRun, tempDir } from './helpers.js';

// flush() replaces a directory only when it is empty or a complete trace: anything else may be a
// user's files, and a typo in `dir` must never delete them.

/** Records a run into `dir`; the error flush() threw, or undefined. */
async function flushInto(dir: string): Promise<unknown> {
  return recordRun({ dir, llm: new ScriptedLLM(GREETER_SCRIPT) }).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('flush() replaces only complete traces', () => {
  it('refuses a directory that merely holds a file named volatile.json, and leaves it as it was', async () => {
    const dir = path.join(tempDir(), 'project');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'volatile.json'), '{"mine": true}');
    writeFileSync(path.join(dir, 'notes.md'), 'keep me');
    const error = await flushInto(dir);
    expect(error).toBeInstanceOf(TraceWriteError);
    expect((error as Error).message).toMatch(
      /is not a complete looplet trace \(no trace\.json\); refusing to replace it/,
    );
    expect(readdirSync(dir).sort()).toEqual(['notes.md', 'volatile.json']);
    expect(readFileSync(path.join(dir, 'volatile.json'), 'utf8')).toBe('{"mine": true}');
  });

  it('refuses a trace with files of the user beside it, and one with a step missing', async () => {
    const dir = path.join(tempDir(), 'trace');
    cpSync('traces/greeter/alice', dir, { recursive: true });
    writeFileSync(path.join(dir, 'README.md'), 'my notes');
    expect(await flushInto(dir)).toMatchObject({
      message: expect.stringMatching(/it holds README\.md, which is not part of a trace/),
    });
    const damaged = path.join(tempDir(), 'damaged');
    cpSync('traces/greeter/alice', damaged, { recursive: true });
    writeFileSync(
      path.join(damaged, 'trace.json'),
      readFileSync(path.join(damaged, 'trace.json'), 'utf8').replace('"stepCount": 2', '"stepCount": 3'),
    );
    expect(await flushInto(damaged)).toMatchObject({
      message: expect.stringMatching(/steps\/0003\.json is missing/),
    });
  });

  it('refuses a path that is a symbolic link', async () => {
    const real = path.join(tempDir(), 'real');
    mkdirSync(real);
    const link = path.join(tempDir(), 'link');
    symlinkSync(real, link);
    expect(await flushInto(link)).toMatchObject({ message: expect.stringMatching(/it is a symbolic link/) });
  });

  it('replaces an empty directory and a complete trace', async () => {
    const empty = path.join(tempDir(), 'empty');
    mkdirSync(empty);
    expect(await flushInto(empty)).toBeUndefined();
    expect(await flushInto(empty)).toBeUndefined();
    expect((await readTrace(empty)).meta.stepCount).toBe(2);
  });
});
