import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceReadError } from '../../src/provenance/errors.js';
import { walkTraceDirs } from '../../src/provenance/find-traces.js';
import { tempDir } from './helpers.js';

describe('walkTraceDirs', () => {
  it('lists every directory that looks like a trace, damaged or not, and nothing else', () => {
    const root = tempDir();
    const trace = (name: string) => {
      const dir = path.join(root, name);
      cpSync('traces/greeter/alice', dir, { recursive: true });
      return dir;
    };
    trace('ok');
    rmSync(path.join(trace('no-trace-json'), 'trace.json'));
    const asDir = trace('trace-json-dir');
    rmSync(path.join(asDir, 'trace.json'));
    mkdirSync(path.join(asDir, 'trace.json'));
    const linked = trace('trace-json-link');
    rmSync(path.join(linked, 'trace.json'));
    symlinkSync('/dev/null', path.join(linked, 'trace.json'));
    const onlyCalls = trace('only-calls');
    for (const name of ['trace.json', 'volatile.json', 'steps', 'artifacts.json', 'expected.json'])
      rmSync(path.join(onlyCalls, name), { recursive: true, force: true });
    mkdirSync(path.join(root, 'group', 'steps', 'nested'), { recursive: true });
    cpSync('traces/greeter/alice', path.join(root, 'group', 'steps', 'nested'), { recursive: true });
    trace('.hidden');
    mkdirSync(path.join(root, 'node_modules', 'x'), { recursive: true });
    writeFileSync(path.join(root, 'node_modules', 'x', 'trace.json'), '{}');
    symlinkSync(path.join(root, 'ok'), path.join(root, 'link-to-ok'));
    mkdirSync(path.join(root, 'empty'));

    const found = walkTraceDirs({ root })
      .map((dir) => path.relative(root, dir))
      .sort();
    expect(found).toEqual([
      'group/steps/nested',
      'no-trace-json',
      'ok',
      'only-calls',
      'trace-json-dir',
      'trace-json-link',
    ]);
  });

  // Node decodes file names as UTF-8: a name that is not leads nowhere, and the traces under it
  // were left out without a word.
  it('refuses a directory whose name is not valid UTF-8, naming it with its bytes escaped', () => {
    const root = tempDir();
    cpSync('traces/greeter/alice', path.join(root, 'ok'), { recursive: true });
    const latin1 = Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9])]);
    mkdirSync(Buffer.concat([latin1, Buffer.from('/inner')]), { recursive: true });
    writeFileSync(Buffer.concat([latin1, Buffer.from('/inner/trace.json')]), '{}');
    let thrown: unknown;
    try {
      walkTraceDirs({ root });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TraceReadError);
    expect((thrown as TraceReadError).code).toBe('TRACE_NAME_NOT_UTF8');
    expect((thrown as TraceReadError).file).toBe(path.join(root, 'caf\\xe9'));
    expect((thrown as TraceReadError).message).toContain("mv $'caf\\xe9' new-name");
  });

  it('walks a valid name that holds U+FFFD itself', () => {
    const root = tempDir();
    cpSync('traces/greeter/alice', path.join(root, 'odd\uFFFDname', 'inner'), { recursive: true });
    expect(walkTraceDirs({ root }).map((dir) => path.relative(root, dir))).toEqual(['odd\uFFFDname/inner']);
  });
});
