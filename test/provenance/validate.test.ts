import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTraceDirs, validateTraceDir } from '../../src/provenance/validate.js';
import { recordGreeter, tempDir } from './helpers.js';

const BAD = path.resolve('fixtures/traces');

const EXPECTED_REASONS: Record<string, RegExp> = {
  'bad-base': /calls\/0002\.json \(field request\.base\): is 5, but a call can only continue an earlier call/,
  'bad-step-field': /steps\/0001\.json \(field results\[0\]\.name\): must be string/,
  'bad-volatile': /volatile\.json \(field steps\): has 1 entries, but the trace has 2 steps/,
  'corrupt-call': /calls\/0002\.json: is not valid JSON/,
  'empty-trace-json': /trace\.json: is empty/,
  'extra-step-file': /steps\/0003\.json: unexpected file/,
  'future-version': /schemaVersion 99 was written by a newer looplet.*upgrade/,
  'missing-call': /calls\/0001\.json: is missing/,
  'missing-trace-json': /trace\.json: is missing: the directory holds part of a trace/,
  'truncated-step': /steps\/0002\.json: is truncated/,
  'wrong-type': /trace\.json \(field stepCount\): must be integer/,
};

describe('validateTraceDir', () => {
  it('accepts a recorded trace, the golden traces and the Python trace', async () => {
    for (const dir of [await recordGreeter(), 'traces/greeter/alice', 'traces/python-report']) {
      const validation = validateTraceDir({ dir });
      expect(validation.problems, dir).toEqual([]);
      expect(validation.valid).toBe(true);
    }
    expect(validateTraceDir({ dir: 'traces/python-report' }).format).toBe('python-looplet');
  });

  it.each(Object.entries(EXPECTED_REASONS))(
    'rejects fixtures/traces/%s with a reason naming the file',
    (name, reason) => {
      const validation = validateTraceDir({ dir: path.join(BAD, name) });
      expect(validation.valid).toBe(false);
      expect(validation.problems.join('\n')).toMatch(reason);
      // The cause is reported once, even when it breaks later calls too.
      expect(new Set(validation.problems).size).toBe(validation.problems.length);
    },
  );
});

describe('findTraceDirs', () => {
  it('finds every trace under a path, including interrupted ones, and skips hidden temporary directories', async () => {
    const root = tempDir();
    cpSync(await recordGreeter(), path.join(root, 'a/one'), { recursive: true });
    cpSync('traces/python-report', path.join(root, 'b/python'), { recursive: true });
    mkdirSync(path.join(root, 'c/half/steps'), { recursive: true });
    writeFileSync(path.join(root, 'c/half/steps/0001.json'), '{}');
    mkdirSync(path.join(root, '.one.tmp-abc/steps'), { recursive: true });
    writeFileSync(path.join(root, '.one.tmp-abc/steps/0001.json'), '{}');
    const dirs = findTraceDirs({ paths: [root] });
    expect(dirs.map((dir) => path.relative(root, dir))).toEqual(['a/one', 'b/python', 'c/half']);
    expect(Object.keys(EXPECTED_REASONS).length).toBe(findTraceDirs({ paths: [BAD] }).length);
  });
});
