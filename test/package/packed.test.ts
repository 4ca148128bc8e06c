// The package as npm users get it: `npm pack`, then the tarball installed into fresh projects —
// one without vitest (the library and the trace commands must work; looplet-eval must say what
// to install), one with vitest 4.1.12 (looplet-eval runs on the project's vitest). Packages come
// from npm's cache when it has them (--prefer-offline), else from the registry.
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');
/** The newest vitest 4.x the registry served when this was written (`npm view vitest versions`). */
const VITEST = '4.1.12';
const work = mkdtempSync(path.join(os.tmpdir(), 'looplet-packed-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  code: number | null;
  output: string;
}

function run(command: string, args: readonly string[], cwd: string): Result {
  // A user's shell, not this vitest run: no VITEST* variables, no NODE_OPTIONS.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('VITEST') && key !== 'NODE_OPTIONS' && key !== 'TEST') env[key] = value;
  const child = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
  return { code: child.status, output: `${child.stdout ?? ''}${child.stderr ?? ''}` };
}

function ok(result: Result): string {
  expect(result.code, result.output).toBe(0);
  return result.output;
}

/** The first ```ts block after `heading` in README.md: the docs' own code is what runs. */
function readmeSample(heading: string): string {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(heading)))?.[1];
  if (!block) throw new Error(`README.md has no ts sample after "${heading}"`);
  return block;
}

/** Records a scripted greeter run with ProvenanceSink, then replays it with ReplayLLM: plain JS. */
const RECORD_AND_REPLAY = `
import { agentLoop, defineTool, ProvenanceSink, ReplayLLM, readTrace, ScriptedLLM } from 'looplet';

const greet = defineTool({
  name: 'greet',
  description: 'Greet someone by name',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: \`Hello, \${String(name)}!\` }),
});
const tools = [greet];
const task = { goal: 'Greet Alice' };
const llm = new ScriptedLLM([
  { toolCalls: [{ name: 'greet', args: { name: 'Alice' } }] },
  { toolCalls: [{ name: 'done', args: { summary: 'greeted' } }] },
]);

const sink = new ProvenanceSink({ dir: 'traces/greet/alice' });
const recorded = agentLoop({ llm: sink.wrapLLM(llm), tools, task, hooks: [sink.hook()] });
for await (const step of recorded) {}
await sink.flush();

const replayLLM = ReplayLLM.fromTrace('traces/greet/alice');
const replay = agentLoop({ llm: replayLLM, tools, task });
for await (const step of replay) console.log(step.pretty());
const result = await replay.result;
console.log(JSON.stringify({ endReason: result.endReason, replayed: replayLLM.replayed, steps: readTrace('traces/greet/alice').meta.stepCount }));
`;

const EVAL_FILE = `import type { EvalContext } from 'looplet/evals';

export const eval_done = (ctx: EvalContext) => ctx.endReason === 'done';
`;

let tarball = '';

beforeAll(() => {
  // A stale build may hold source maps from before they were turned off: the tarball must not.
  for (const file of readdirSync(path.join(REPO, 'dist'), { recursive: true, encoding: 'utf8' }))
    if (file.endsWith('.map')) rmSync(path.join(REPO, 'dist', file));
  // --ignore-scripts: prepack would delete dist/ while other test files run the built CLI;
  // npm test builds first.
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO);
  const [info] = JSON.parse(ok(packed).slice(packed.output.indexOf('['))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  tarball = path.join(work, info!.filename);
}, 120_000);

function project(name: string, install: readonly string[]): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name, private: true, type: 'module' })}\n`,
  );
  ok(run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...install], dir));
  return dir;
}

describe('the packed tarball', () => {
  it('holds the build, the bin and the docs entry, and no source maps, sources or tests', () => {
    const list = run('tar', ['-tzf', tarball], work);
    const files = ok(list).trim().split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/vitest/runner.js');
    expect(files).toContain('package/bin/looplet.js');
    expect(files).toContain('package/README.md');
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => /^package\/(src|test)\//.test(file))).toEqual([]);
  });
});

describe('installed without vitest', { timeout: 300_000 }, () => {
  let dir = '';
  beforeAll(() => {
    // --legacy-peer-deps: npm does not add the vitest peer (what pnpm or yarn users get by default).
    dir = project('bare', ['--legacy-peer-deps', tarball]);
  }, 300_000);

  it('brings no vitest, vite, @vitest/ui or OpenAI SDK', () => {
    for (const name of ['vitest', 'vite', '@vitest/ui', 'openai'])
      expect(existsSync(path.join(dir, 'node_modules', name)), name).toBe(false);
  });

  it("runs the README's agent", () => {
    writeFileSync(path.join(dir, 'agent.ts'), readmeSample('## An agent in 20 lines'));
    const output = ok(run(TSX, ['agent.ts'], dir));
    expect(output).toContain("greet(name='Alice')");
    expect(output.trim().split('\n').at(-1)).toBe('done');
  });

  it('records a trace and replays it; looplet show and validate read it', () => {
    writeFileSync(path.join(dir, 'record.mjs'), RECORD_AND_REPLAY);
    const output = ok(run('node', ['record.mjs'], dir));
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({
      endReason: 'done',
      replayed: 2,
      steps: 2,
    });
    expect(ok(run('npx', ['looplet', 'show', 'traces/greet/alice'], dir))).toContain('greet');
    ok(run('npx', ['looplet', 'validate', 'traces'], dir));
  });

  it('looplet-eval exits 2 saying to install vitest', () => {
    mkdirSync(path.join(dir, 'evals'));
    writeFileSync(path.join(dir, 'evals', 'eval_greet.ts'), EVAL_FILE);
    const result = run('npx', ['looplet-eval'], dir);
    expect(result.code).toBe(2);
    expect(result.output).toContain(
      'vitest is not installed (looplet-eval runs evals with it): install it with `npm install --save-dev vitest@^4.1`',
    );
  });

  it('looplet-eval exits 2 on a vitest outside ^4.1, naming the version', () => {
    const fake = path.join(dir, 'node_modules', 'vitest');
    mkdirSync(fake);
    writeFileSync(path.join(fake, 'package.json'), '{ "name": "vitest", "version": "3.2.4" }\n');
    try {
      const result = run('npx', ['looplet-eval'], dir);
      expect(result.code).toBe(2);
      expect(result.output).toContain('vitest 3.2.4 is installed, but looplet runs on vitest ^4.1');
    } finally {
      rmSync(fake, { recursive: true });
    }
  });
});

describe(`installed with vitest ${VITEST}`, { timeout: 300_000 }, () => {
  let dir = '';
  beforeAll(() => {
    dir = project('with-vitest', [tarball, `vitest@${VITEST}`]);
  }, 300_000);

  it('npx looplet-eval scores a recorded trace with the evals of the project', () => {
    writeFileSync(path.join(dir, 'record.mjs'), RECORD_AND_REPLAY);
    ok(run('node', ['record.mjs'], dir));
    mkdirSync(path.join(dir, 'evals'));
    writeFileSync(path.join(dir, 'evals', 'eval_greet.ts'), EVAL_FILE);
    const result = run('npx', ['looplet-eval'], dir);
    expect(result.code, result.output).toBe(0);
    const report = JSON.parse(
      readFileSync(path.join(dir, '.looplet', 'report', 'looplet-report.json'), 'utf8'),
    ) as { totals: { passed: number; outcomes: number } };
    expect(report.totals).toMatchObject({ passed: 1, outcomes: 1 });
    // One vitest: looplet's runner ran on the project's copy.
    expect(existsSync(path.join(dir, 'node_modules', 'looplet', 'node_modules', 'vitest'))).toBe(false);
  });

  it('--ui without @vitest/ui exits 2 saying what to install', () => {
    const result = run('npx', ['looplet-eval', '--ui', '--no-open'], dir);
    expect(result.code).toBe(2);
    expect(result.output).toContain(
      `@vitest/ui is not installed (--ui needs it): install it with \`npm install --save-dev @vitest/ui@${VITEST}\``,
    );
  });
});
