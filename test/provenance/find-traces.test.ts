import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
