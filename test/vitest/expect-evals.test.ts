import { readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EvalDefinitionError, mark } from '../../src/evals/index.js';
import { agentLoop, defineTool, doneTool, ScriptedLLM } from '../../src/index.js';
import { EvalsFailedError, expectEvals } from '../../src/vitest/index.js';
import { createProject, REPO } from './support.js';

const lookup = defineTool({
  name: 'lookup_price',
  description: 'Price of a product in euros',
  parameters: { type: 'object', properties: { product: { type: 'string' } }, required: ['product'] },
  run: ({ product }) => ({ product, euros: product === 'tea' ? 4 : 9 }),
});
const done = doneTool({
  parameters: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] },
});

function pricesRun(total: number) {
  const llm = new ScriptedLLM([
    { toolCalls: [{ name: 'lookup_price', args: { product: 'tea' } }] },
    { toolCalls: [{ name: 'done', args: { total } }] },
  ]);
  return agentLoop({ llm, tools: [lookup, done], task: 'What do tea and cake cost together?' });
}

const evals = {
  eval_completed: (ctx: { completed: boolean }) => ctx.completed,
  eval_total: mark(['required'], (ctx) => {
    const total = (ctx.finalOutput as { total?: number } | undefined)?.total;
    return (
      total === ctx.expected.total || {
        passed: false,
        reason: `total ${total}, expected ${ctx.expected.total}`,
      }
    );
  }),
  eval_steps: (ctx: { stepCount: number }) => ({ steps: ctx.stepCount }),
};

describe('expectEvals', () => {
  it('resolves to the outcomes when every eval passes (metrics and skips do not fail it)', async () => {
    const outcomes = await expectEvals({
      run: pricesRun(13),
      evals: { ...evals, eval_later: mark({ skip: 'not yet' }, () => false) },
      expected: { total: 13 },
      id: 'prices',
    });
    expect(outcomes.map((outcome) => [outcome.name, outcome.context, outcome.status])).toEqual([
      ['eval_completed', 'prices', 'passed'],
      ['eval_total', 'prices', 'passed'],
      ['eval_steps', 'prices', 'reported'],
      ['eval_later', 'prices', 'skipped'],
    ]);
  });

  it('throws EvalsFailedError listing each failing or crashing eval with its reason', async () => {
    const error = await expectEvals({
      run: pricesRun(12),
      evals: {
        ...evals,
        eval_crashes: () => {
          throw new TypeError('kaboom');
        },
        eval_required_metric: mark(['required'], () => ({ cost: 1 })),
      },
      expected: { total: 13 },
      id: 'prices',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EvalsFailedError);
    const failed = error as EvalsFailedError;
    expect(failed.failures.map((outcome) => outcome.name)).toEqual([
      'eval_total',
      'eval_crashes',
      'eval_required_metric',
    ]);
    expect(failed.outcomes).toHaveLength(5);
    const lines = failed.message.split('\n');
    expect(lines[0]).toBe('3 of 5 evals failed on prices:');
    expect(lines[1]).toBe('  ✗ eval_total › prices (required)  total 12, expected 13');
    expect(lines[2]).toBe('  ! eval_crashes › prices  threw: kaboom');
    expect(lines[3]).toMatch(/^ {6}at .*expect-evals\.test\.ts:\d+:\d+/);
    expect(lines[4]).toMatch(
      /^ {2}✗ eval_required_metric › prices \(required\) .*required eval returned only metrics/,
    );
    expect(failed.message).not.toContain('eval_completed');
  });

  it('scores a context it is given, and a broken collector fails every eval', async () => {
    const run = pricesRun(13);
    await expect(
      expectEvals({ run, evals, expected: { total: 13 }, collectors: [() => ({ price_list: 'ok' })] }),
    ).resolves.toHaveLength(3);
    const broken = await expectEvals({
      run: pricesRun(13),
      evals,
      expected: { total: 13 },
      collectors: [
        function readReport() {
          throw new Error('no report.json');
        },
      ],
    }).catch((caught: unknown) => caught);
    expect((broken as EvalsFailedError).failures).toHaveLength(3);
    expect((broken as Error).message).toContain('collector failed: readReport threw: no report.json');
  });

  it('refuses to pass when nothing was scored, and a call with both run and context', async () => {
    const nothing = await expectEvals({ run: pricesRun(13), evals: { helper: () => true } }).catch((e) => e);
    expect(nothing).toBeInstanceOf(EvalDefinitionError);
    expect((nothing as Error).message).toContain('no eval scored');
    const scoped = await expectEvals({
      run: pricesRun(13),
      evals: { eval_other: mark({ scope: 'greeter/**' }, () => true) },
    }).catch((e) => e);
    expect((scoped as Error).message).toContain('scope marks');
    const both = await expectEvals({ evals }).catch((e) => e);
    expect((both as Error).message).toContain('pass either `run` (an agentLoop run) or `context`');
  });
});

describe('expectEvals in a real vitest run', () => {
  it('fails the test with every failing eval and its reason, and passes the good one', async () => {
    const project = createProject({
      files: {
        'prices.test.ts': `import { expect, test } from 'vitest';
import { agentLoop, defineTool, doneTool, ScriptedLLM } from 'looplet';
import { type EvalContext, mark } from 'looplet/evals';
import { expectEvals } from 'looplet/vitest';

const lookup = defineTool({
  name: 'lookup_price',
  description: 'Price of a product in euros',
  parameters: { type: 'object', properties: { product: { type: 'string' } }, required: ['product'] },
  run: ({ product }) => ({ product, euros: product === 'tea' ? 4 : 9 }),
});
const done = doneTool({ parameters: { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] } });

const run = (total: number) =>
  agentLoop({
    llm: new ScriptedLLM([{ toolCalls: [{ name: 'lookup_price', args: { product: 'tea' } }] }, { toolCalls: [{ name: 'done', args: { total } }] }]),
    tools: [lookup, done],
    task: 'What do tea and cake cost together?',
  });

const evals = {
  eval_completed: (ctx: EvalContext) => ctx.completed,
  eval_total: mark(['required'], (ctx: EvalContext<{ total: number }>) =>
    ctx.finalOutput?.total === ctx.expected.total || { passed: false, reason: \`total \${ctx.finalOutput?.total}, expected \${ctx.expected.total}\` }),
};

test('the right total', async () => {
  expect(await expectEvals({ run: run(13), evals, expected: { total: 13 } })).toHaveLength(2);
});

test('a wrong total', async () => {
  await expectEvals({ run: run(12), evals: { ...evals, eval_judge_down: () => ({ label: 'error', score: 1, reason: 'judge unreachable' }) }, expected: { total: 13 }, id: 'wrong_total' });
});
`,
      },
    });
    // A project that runs vitest itself has it installed.
    symlinkSync(
      path.join(REPO, 'node_modules', 'vitest'),
      path.join(project.dir, 'node_modules', 'vitest'),
      'dir',
    );
    const result = await project.vitest(['run', 'prices.test.ts']);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toMatch(/Tests +1 failed \| 1 passed \(2\)/);
    expect(result.output).toContain('FAIL  prices.test.ts > a wrong total');
    expect(result.output).toContain('EvalsFailedError: 2 of 3 evals failed on wrong_total:');
    expect(result.output).toContain('✗ eval_total › wrong_total (required)  total 12, expected 13');
    expect(result.output).toContain(
      '✗ eval_judge_down › wrong_total  score 1.00 · "error" · judge unreachable',
    );
    expect(result.output).not.toMatch(/eval_completed › wrong_total/);
  });
});

describe('entry points', () => {
  /** Every package a built entry point can load, following its relative imports (static and dynamic). */
  function packagesReachable(entry: string): { static: Set<string>; dynamic: Set<string> } {
    const found = { static: new Set<string>(), dynamic: new Set<string>() };
    const seen = new Set<string>();
    const queue = [path.join(REPO, 'dist', entry)];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      const imports = [
        ...[...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]/gm)].map((m) => ({
          spec: m[1]!,
          lazy: false,
        })),
        ...[...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => ({ spec: m[1]!, lazy: false })),
        ...[...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => ({
          spec: m[1]!,
          lazy: true,
        })),
      ];
      for (const { spec, lazy } of imports) {
        if (spec.startsWith('.')) queue.push(path.resolve(path.dirname(file), spec));
        else (lazy ? found.dynamic : found.static).add(spec);
      }
    }
    return found;
  }
  const isVitest = (spec: string) =>
    spec === 'vitest' || spec.startsWith('vitest/') || spec.startsWith('@vitest/');

  it("`import 'looplet/evals'` never loads vitest, and `looplet/vitest` (expectEvals) loads it only when running evals", () => {
    const evalsEntry = packagesReachable('evals/index.js');
    expect([...evalsEntry.static, ...evalsEntry.dynamic].filter(isVitest)).toEqual([]);
    // The walk does follow the imports: the entry file imports only looplet's chunks.
    expect(evalsEntry.static.has('node:fs')).toBe(true);
    const vitestEntry = packagesReachable('vitest/index.js');
    expect([...vitestEntry.static].filter(isVitest)).toEqual([]);
  });
});
