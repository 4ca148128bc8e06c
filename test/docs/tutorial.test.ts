// docs/tutorial.md is run, not just read: its named code blocks (`// agent.ts` …) are written into
// a fresh project and executed the way the tutorial says, and every line it shows as printed
// (`# …` under a command) is checked against what the run printed, so the tutorial cannot rot.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toolCallsAnswer, useOpenAIServer } from '../helpers/openai-server.js';
import {
  createProject,
  type Project,
  REPO,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTrace,
} from '../vitest/support.js';

const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');
const E2E_TIMEOUT = 120_000;

const tutorial = readFileSync(path.join(REPO, 'docs', 'tutorial.md'), 'utf8');
const files: Record<string, string> = {};
for (const [, code, name] of tutorial.matchAll(/```ts\n(\/\/ (\S+)\n[\s\S]*?)```/g)) files[name!] = code!;

/** A fresh project holding the tutorial's files: each test gets its own, so each stands alone. */
const tutorialProject = (): Project => createProject({ files });

/** `npx tsx file` in the project. Asynchronous, so a test server in this process can answer it. */
async function tsx(project: Project, file: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(TSX, [file], {
    cwd: project.dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return stdout;
}

/** Records the tutorial's trace with record.ts (step 3). */
async function record(project: Project): Promise<void> {
  expect(await tsx(project, 'record.ts')).toContain('wrote ');
}

/** Step 5's edit, applied to agent.ts: prices include VAT. */
function addVat(project: Project): void {
  expect(tutorial).toMatch(
    /\n {2}run: \(\{ product \}\) => \(\{ product, euros: \(product === 'tea' \? 4 : 9\) \* 1\.2 \}\),\n/,
  );
  const before = project.read('agent.ts');
  const after = before.replace(
    "euros: product === 'tea' ? 4 : 9 }",
    "euros: (product === 'tea' ? 4 : 9) * 1.2 }",
  );
  expect(after).not.toBe(before);
  project.write('agent.ts', after);
}

describe('docs/tutorial.md', { timeout: E2E_TIMEOUT }, () => {
  const server = useOpenAIServer();

  it('its named code blocks are the files the steps run', () => {
    expect(Object.keys(files).sort()).toEqual([
      'agent.ts',
      'evals/eval_prices.ts',
      'hook.ts',
      'live.ts',
      'record.ts',
    ]);
  });

  it('step 1: the agent runs and finishes with its final output', async () => {
    expectPrintedExactly(await tsx(tutorialProject(), 'agent.ts'), 'npx tsx agent.ts');
  });

  it('step 2: the permission hook refuses the cake lookup and lets the run finish', async () => {
    expectPrintedExactly(await tsx(tutorialProject(), 'hook.ts'), 'npx tsx hook.ts');
  });

  it('steps 3–5: record, show, replay through the agent in CI, change a tool, see the divergence with its diff', async () => {
    const project = tutorialProject();
    await record(project);
    const shown = await project.run(['show', 'traces/prices/tea-and-cake']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('What do tea and cake cost together?');
    const listed = tutorial.match(/\nls traces\/prices\/tea-and-cake +# (.+)\n/)?.[1]?.split(' ');
    expect(readdirSync(path.join(project.dir, 'traces/prices/tea-and-cake')).sort()).toEqual(
      listed?.map((entry) => entry.replace(/\/$/, '')).sort(),
    );

    const evals = await project.run([]);
    expect(evals.code, evals.output).toBe(0);
    expectPrintedAmong(evals.stdout, 'npx looplet-eval                  # evals/');
    expect(evals.stdout).toMatch(/eval_total_is_right \(required\) +│ +100%/);
    const baseline = await project.run(['baseline', 'update']);
    expect(baseline.code, baseline.output).toBe(0);

    addVat(project);
    const diverged = await project.run([]);
    expect(diverged.code, diverged.output).toBe(1);
    expectPrintedAmong(diverged.stdout, 'npx looplet-eval\n# ✗');
    const diff = await project.run([
      'diff',
      'traces/prices/tea-and-cake',
      '.looplet/replays/prices/tea-and-cake',
    ]);
    expect(diff.code, diff.output).toBe(1);
    const lenient = await project.run(['--replay', 'lenient']);
    expect(lenient.code, lenient.output).toBe(0);
    expect(lenient.stdout).toContain('! prices/tea-and-cake replayed with 1 warning (lenient):');
  });

  it("step 4: the scoped evals give another agent's trace no outcome", async () => {
    const project = tutorialProject();
    await record(project);
    await recordGreeterTrace({ dir: path.join(project.dir, 'traces', 'greet', 'alice'), names: ['Alice'] });
    const run = await project.run([]);
    expect(run.code, run.output).toBe(0);
    const scored = project
      .json<ReportJson>(REPORT_JSON)
      .outcomes.map((outcome) => `${outcome.name} › ${outcome.context}`)
      .sort();
    expect(scored).toEqual([
      'eval_lookups › prices/tea-and-cake',
      'eval_total_is_right › prices/tea-and-cake',
    ]);
  });

  it('step 6: live.ts talks to the server OPENAI_BASE_URL names, with OPENAI_MODEL and no key', async () => {
    const project = tutorialProject();
    server.enqueue(
      toolCallsAnswer({
        index: 1,
        model: 'llama3.1',
        calls: [{ name: 'lookup_price', args: { product: 'tea' } }],
      }),
      toolCallsAnswer({ index: 2, model: 'llama3.1', calls: [{ name: 'done', args: { total: 4 } }] }),
    );
    const printed = await tsx(project, 'live.ts', {
      OPENAI_BASE_URL: server.baseURL,
      OPENAI_MODEL: 'llama3.1',
      OPENAI_API_KEY: '',
    });
    expect(printed).toMatch(/^#2 ✓ done\(total=4\)/m);
    expect(printed).toContain("{ endReason: 'done', finalOutput: { total: 4 } }");
    expect(
      server.requests.map((request) => [request.path, (request.body as { model: string }).model]),
    ).toEqual([
      ['/v1/chat/completions', 'llama3.1'],
      ['/v1/chat/completions', 'llama3.1'],
    ]);
  });

  it('step 6: looplet-eval -u re-records the diverged trace against that server; with the new expected total it passes', async () => {
    // Where step 5 left the reader: a recorded trace, a baseline, the VAT edit.
    const project = tutorialProject();
    await record(project);
    expect((await project.run([])).code).toBe(0);
    expect((await project.run(['baseline', 'update'])).code).toBe(0);
    addVat(project);

    // The model answers as a real one would with VAT: 4.8 + 10.8.
    server.enqueue(
      toolCallsAnswer({
        index: 1,
        model: 'llama3.1',
        calls: [
          { name: 'lookup_price', args: { product: 'tea' } },
          { name: 'lookup_price', args: { product: 'cake' } },
        ],
      }),
      toolCallsAnswer({ index: 2, model: 'llama3.1', calls: [{ name: 'done', args: { total: 15.6 } }] }),
    );
    const env = { OPENAI_BASE_URL: server.baseURL, OPENAI_MODEL: 'llama3.1', OPENAI_API_KEY: '' };
    const updated = await project.run(['-u'], { env });
    expect(updated.code, updated.output).toBe(1);
    expectPrintedAmong(
      updated.stdout,
      'OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.1 npx looplet-eval -u',
    );
    expect(project.json('traces/prices/tea-and-cake/trace.json')).toMatchObject({ model: 'llama3.1' });
    expect(project.json('traces/prices/tea-and-cake/expected.json')).toEqual({ total: 13 });

    const fix = tutorial.match(/\n(echo '(.+)' > traces\/prices\/tea-and-cake\/expected\.json)\n/);
    expect(fix?.[1]).toBeDefined();
    project.write('traces/prices/tea-and-cake/expected.json', `${fix![2]}\n`);
    const passing = await project.run([]);
    expect(passing.code, passing.output).toBe(0);
    expectPrintedAmong(passing.stdout, 'echo ');
  });
});

/** The `# …` lines shown under the tutorial's sh command starting with `start`, as line patterns (`[1ms]`: any duration; `…` lines left out). */
function printedLines(start: string): RegExp[] {
  const at = tutorial.indexOf(`\`\`\`sh\n${start}`);
  expect(at, `an sh block starting with ${JSON.stringify(start)}`).toBeGreaterThan(-1);
  const block = tutorial.slice(at, tutorial.indexOf('\n```', at + 5));
  const lines = block
    .split('\n')
    .filter((line) => line.startsWith('# ') && !line.trim().endsWith('…'))
    .map((line) => line.slice(2).trim());
  expect(lines.length).toBeGreaterThan(0);
  return lines.map(
    (line) =>
      new RegExp(
        `^\\s*${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\[\d+ms\\\]/g, '\\[\\d+ms\\]')}\\s*$`,
      ),
  );
}

/** The run printed exactly the lines the tutorial shows, in order. */
function expectPrintedExactly(output: string, start: string): void {
  const printed = output.trimEnd().split('\n');
  const shown = printedLines(start);
  expect(printed.length, output).toBe(shown.length);
  for (const [index, pattern] of shown.entries()) expect(printed[index]).toMatch(pattern);
}

/** Each line the tutorial shows is among the lines the run printed (it shows an excerpt). */
function expectPrintedAmong(output: string, start: string): void {
  const printed = output.split('\n');
  for (const pattern of printedLines(start))
    expect(
      printed.some((line) => pattern.test(line)),
      `${pattern} in:\n${output}`,
    ).toBe(true);
}
