// docs/tutorial.md is run, not just read: its named code blocks (`// agent.ts` …) are written into
// a fresh project and executed the way the tutorial says, so the tutorial cannot rot.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer } from '../helpers/openai-server.js';
import {
  createProject,
  type Project,
  REPO,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTrace,
} from '../vitest/support.js';

const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

describe('docs/tutorial.md', () => {
  let project: Project;
  const tsx = (file: string) =>
    execFileSync(TSX, [file], { cwd: project.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  beforeAll(() => {
    const tutorial = readFileSync(path.join(REPO, 'docs', 'tutorial.md'), 'utf8');
    const files: Record<string, string> = {};
    for (const [, code, name] of tutorial.matchAll(/```ts\n(\/\/ (\S+)\n[\s\S]*?)```/g)) files[name!] = code!;
    expect(Object.keys(files).sort()).toEqual([
      'agent.ts',
      'evals/eval_prices.ts',
      'hook.ts',
      'live.ts',
      'record.ts',
      'replay.ts',
    ]);
    project = createProject({ files });
  });

  it('step 1: the agent runs and finishes with its final output', () => {
    const output = tsx('agent.ts');
    expect(output).toMatch(
      /^#1 ✓ lookup_price\(product='tea'\) → \{product, euros\} · ✓ lookup_price\(product='cake'\)/m,
    );
    expect(output).toMatch(/^#2 ✓ done\(total=13\)/m);
    expect(output).toContain("endReason: 'done'");
  });

  it('step 2: the permission hook refuses the cake lookup and lets the run finish', () => {
    const lines = tsx('hook.ts').trim().split('\n');
    expect(lines[0]).toMatch(
      /^#1 ✓ lookup_price\(product='tea'\) → \{product, euros\} · ✗ lookup_price\(product='cake'\) → denied: only tea prices are public \[\d+ms\]$/,
    );
    expect(lines[1]).toMatch(/^#2 ✓ done\(total=13\)/);
    expect(lines.at(-1)).toBe('done');
  });

  it('step 6: live.ts talks to the server OPENAI_BASE_URL names, with OPENAI_MODEL', async () => {
    const server = await startOpenAIServer();
    try {
      const call = (name: string, args: Record<string, unknown>) => ({
        body: JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 0,
          model: 'llama3.1',
          choices: [
            {
              index: 0,
              finish_reason: 'tool_calls',
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: `call_${name}`,
                    type: 'function',
                    function: { name, arguments: JSON.stringify(args) },
                  },
                ],
              },
            },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      });
      server.enqueue(call('lookup_price', { product: 'tea' }), call('done', { total: 4 }));
      const { stdout } = await promisify(execFile)(TSX, ['live.ts'], {
        cwd: project.dir,
        encoding: 'utf8',
        env: {
          ...process.env,
          NO_COLOR: '1',
          OPENAI_BASE_URL: server.baseURL,
          OPENAI_MODEL: 'llama3.1',
          OPENAI_API_KEY: '',
        },
      });
      expect(stdout).toMatch(/^#2 ✓ done\(total=4\)/m);
      expect(stdout).toContain("endReason: 'done'");
      expect(
        server.requests.map((request) => [request.path, (request.body as { model: string }).model]),
      ).toEqual([
        ['/v1/chat/completions', 'llama3.1'],
        ['/v1/chat/completions', 'llama3.1'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('steps 3–5: record, show, replay through a changed tool (divergence with a diff), score in CI', async () => {
    expect(tsx('record.ts')).toContain('wrote ');
    const shown = await project.run(['show', 'traces/prices/tea-and-cake']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('What do tea and cake cost together?');
    const replayed = tsx('replay.ts');
    expect(replayed).toContain("endReason: 'llm_error'");
    expect(replayed).toContain('ReplayDivergenceError');
    expect(replayed).toContain('+{"product":"tea","euros":4.8}');
    const evals = await project.run([]);
    expect(evals.code).toBe(0);
    expect(evals.stdout).toMatch(/eval_total_is_right \(required\) +│ +100%/);

    // Another agent's trace in the same repository: the scoped eval leaves it alone.
    await recordGreeterTrace({ dir: path.join(project.dir, 'traces', 'greet', 'alice'), names: ['Alice'] });
    const both = await project.run([]);
    expect(both.code, both.output).toBe(0);
    const scored = project
      .json<ReportJson>(REPORT_JSON)
      .outcomes.map((outcome) => `${outcome.name} › ${outcome.context}`)
      .sort();
    expect(scored).toEqual([
      'eval_lookups › greet/alice',
      'eval_lookups › prices/tea-and-cake',
      'eval_total_is_right › prices/tea-and-cake',
    ]);
  }, 120_000);
});
