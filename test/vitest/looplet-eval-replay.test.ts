// The golden-trace loop end to end, through the built CLI in temporary projects: traces recorded
// through the project's own agent with a scripted model replay through that agent as it is now;
// a changed tool or description diverges (strict), is served anyway (lenient) or ignored (off);
// -u re-records against an OpenAI-compatible server on 127.0.0.1.
import { cpSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type OpenAITestServer, startOpenAIServer } from '../helpers/openai-server.js';
import {
  cloneProject,
  GREETER_TRACES,
  goldenGreeterProject,
  greeterAgentModule,
  hashTree,
  type Project,
  REPORT_JSON,
  REPORT_JUNIT,
  REPORT_MD,
  type ReportJson,
  xmlProblems,
} from './support.js';

const IDS = Object.keys(GREETER_TRACES).sort();
/** A test runs the CLI up to three times (each 2–10 s on a loaded machine). */
const E2E_TIMEOUT = 120_000;
/** A trace Python looplet 0.3 recorded (with a publish_report that added cost to revenue). */
const PYTHON_REPORT_TRACE = fileURLToPath(new URL('../../traces/python-report', import.meta.url));

let template: Project;
beforeAll(async () => {
  template = await goldenGreeterProject();
}, E2E_TIMEOUT);

describe('looplet-eval replays golden traces through the agent', { timeout: E2E_TIMEOUT }, () => {
  it('unchanged code: every trace replays and passes (exit 0); the reports say replayed; traces/ is untouched', async () => {
    const project = cloneProject(template);
    const before = hashTree(`${project.dir}/traces`);
    const run = await project.run([]);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain('runs: 3 replayed (strict)');
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.runs.map((item) => [item.id, item.origin, item.replay?.mode, item.replay?.check])).toEqual(
      IDS.map((id) => [id, 'replayed', 'strict', 'request']),
    );
    expect(report.runs.every((item) => item.agentFile === 'evals/eval_greeter.ts')).toBe(true);
    expect(report.totals.diverged).toBe(0);
    expect(report.outcomes.every((outcome) => outcome.status === 'passed')).toBe(true);
    expect(project.read(REPORT_MD)).toContain('Runs: 3 replayed (strict)');
    const junit = project.read(REPORT_JUNIT);
    expect(xmlProblems(junit)).toEqual([]);
    for (const id of IDS) expect(junit).toContain(`<testcase name="replay › ${id}" classname="replay"`);
    expect(hashTree(`${project.dir}/traces`)).toBe(before);
    // A run that matches is not written anywhere.
    expect(() => project.read('.looplet/replays/greet/carol/trace.json')).toThrow();
  });

  it('a broken tool, strict: exit 1, "diverged", with what changed and the diff in stdout and looplet-report.md', async () => {
    const project = cloneProject(template);
    const before = hashTree(`${project.dir}/traces`);
    project.write('agent.mjs', greeterAgentModule({ greeting: 'Hi' }));
    const run = await project.run(['--reporter', 'verbose']);
    expect(run.code, run.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.verdict.headline).toMatch(/^FAIL: 3 diverged /);
    // vitest's own reporters show the divergence on the test replay › id (what --ui shows too).
    expect(run.stdout).toMatch(/× .*> replay › greet\/carol/);
    expect(run.stdout).toContain('→ diverged greet/carol at call 2 (replayed through evals/eval_greeter.ts)');
    expect(report.totals.diverged).toBe(3);
    const carol = report.runs.find((item) => item.id === 'greet/carol')!;
    const divergence = carol.replay?.diverged;
    expect(divergence?.callIndex).toBe(2);
    expect(divergence?.diff).toContain('-{"greeting":"Hello, Carol!"}');
    expect(divergence?.diff).toContain('+{"greeting":"Hi, Carol!"}');
    // Reported once per run, with the diff; the evals of a diverged run are not scored.
    expect(run.stdout).toContain('✗ diverged greet/carol at call 2 (replayed through evals/eval_greeter.ts)');
    expect(run.stdout.match(/✗ diverged greet\/carol/g)).toHaveLength(1);
    expect(run.stdout).toContain('+{"greeting":"Hi, Carol!"}');
    expect(run.stdout).toContain('looplet diff traces/greet/carol .looplet/replays/greet/carol');
    for (const line of divergence!.summary) expect(run.stdout).toContain(line);
    expect(
      report.outcomes.filter((outcome) => outcome.context === 'greet/carol').map((outcome) => outcome.status),
    ).toEqual(['diverged', 'diverged', 'diverged']);
    // looplet-report.md holds the whole diff in a folded block.
    const markdown = project.read(REPORT_MD);
    expect(markdown).toContain('<details><summary>≠ diverged greet/carol at call 2');
    expect(markdown).toContain(`\`\`\`diff\n${divergence!.diff.replace(/\n$/, '')}\n\`\`\``);
    // The replayed run was written as a trace: looplet diff shows it against the recording.
    const diff = await project.run(['diff', 'traces/greet/carol', '.looplet/replays/greet/carol']);
    expect(diff.code, diff.output).toBe(1);
    expect(diff.stdout).toContain('Hi, Carol!');
    expect(hashTree(`${project.dir}/traces`)).toBe(before);
  });

  it('a broken tool, lenient: the recorded answers go through it and the eval that checks its results fails (exit 1)', async () => {
    const project = cloneProject(template);
    project.write('agent.mjs', greeterAgentModule({ greeting: 'Hi' }));
    const run = await project.run(['--replay', 'lenient']);
    expect(run.code, run.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.totals.diverged).toBe(0);
    const statuses = (name: string) =>
      report.outcomes.filter((outcome) => outcome.name === name).map((outcome) => outcome.status);
    expect(statuses('eval_greetings')).toEqual(['failed', 'failed', 'failed']);
    expect(statuses('eval_finished')).toEqual(['passed', 'passed', 'passed']);
    const carol = report.runs.find((item) => item.id === 'greet/carol')!;
    expect(carol.replay?.mode).toBe('lenient');
    expect(carol.replay?.warnings[0]?.diff).toContain('+{"greeting":"Hi, Carol!"}');
    expect(carol.replayedTrace).toBe('.looplet/replays/greet/carol');
    expect(run.stdout).toContain('! greet/carol replayed with 1 warning (lenient):');
  });

  it('a broken tool, --replay off: the traces are scored as recorded (exit 0)', async () => {
    const project = cloneProject(template);
    project.write('agent.mjs', greeterAgentModule({ greeting: 'Hi' }));
    const run = await project.run(['--replay', 'off']);
    expect(run.code, run.output).toBe(0);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.runs.map((item) => item.origin)).toEqual(['recorded', 'recorded', 'recorded']);
    expect(run.stdout).toContain('runs: 3 recorded');
  });

  it('a changed tool description diverges at the first call, naming the tool', async () => {
    const project = cloneProject(template);
    project.write('agent.mjs', greeterAgentModule({ description: 'Greet a person warmly by name' }));
    const run = await project.run([]);
    expect(run.code, run.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    const divergence = report.runs.find((item) => item.id === 'greet/carol')?.replay?.diverged;
    expect(divergence?.callIndex).toBe(1);
    expect(divergence?.summary.join('\n')).toContain('`greet`');
    expect(divergence?.diff).toContain('+- greet: Greet a person warmly by name');
    expect(run.stdout).toContain('✗ diverged greet/carol at call 1');
  });
});

describe('diverged runs against a baseline', { timeout: E2E_TIMEOUT }, () => {
  it('a diverged run is a new failure where the baseline passed (exit 1 with --fail-on regression); baseline update refuses it', async () => {
    const project = cloneProject(template);
    const saved = await project.run(['baseline', 'update']);
    expect(saved.code, saved.output).toBe(0);
    project.write('agent.mjs', greeterAgentModule({ greeting: 'Hi' }));
    const run = await project.run(['--fail-on', 'regression']);
    expect(run.code, run.output).toBe(1);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.comparison?.newFailures).toContainEqual(
      expect.objectContaining({
        eval: 'eval_finished',
        context: 'greet/carol',
        before: 'passed',
        after: 'diverged',
      }),
    );
    const refused = await project.run(['baseline', 'update']);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.stderr).toContain('not saved: 3 replays diverged from their recording');
  });
});

describe('looplet-eval -u re-records diverged traces', { timeout: E2E_TIMEOUT }, () => {
  /** A chat-completions answer calling tools, as an OpenAI-compatible server sends it. */
  const answer = (index: number, calls: Array<{ name: string; args: Record<string, unknown> }>) => ({
    body: JSON.stringify({
      id: `chatcmpl-${index}`,
      object: 'chat.completion',
      created: 1_735_689_600,
      model: 'test-model',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: calls.map((call, offset) => ({
              id: `call_${index}_${offset}`,
              type: 'function',
              function: { name: call.name, arguments: JSON.stringify(call.args) },
            })),
          },
        },
      ],
      usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
    }),
  });
  const liveEnv = (baseURL: string) => ({
    OPENAI_BASE_URL: baseURL,
    OPENAI_MODEL: 'test-model',
    OPENAI_API_KEY: 'sk-test',
  });

  it('-u against a live server rewrites the diverged traces; the next run replays them and exits 0', async () => {
    const project = cloneProject(template);
    project.write('agent.mjs', greeterAgentModule({ description: 'Greet a person warmly by name' }));
    let server: OpenAITestServer | undefined;
    try {
      server = await startOpenAIServer();
      // One worker: the traces are re-recorded one after the other, in id order.
      for (const [index, id] of IDS.entries()) {
        const names = GREETER_TRACES[id]!;
        server.enqueue(
          answer(
            2 * index,
            names.map((name) => ({ name: 'greet', args: { name } })),
          ),
          answer(2 * index + 1, [{ name: 'done', args: { greeted: names } }]),
        );
      }
      const updated = await project.run(['-u', '--workers', '1'], { env: liveEnv(server.baseURL) });
      expect(updated.code, updated.output).toBe(0);
      expect(server.pending).toBe(0);
      expect(server.requests).toHaveLength(6);
      for (const id of IDS)
        expect(updated.stdout).toContain(
          `↻ updated traces/${id}: 2 → 2 steps, done → done; no verdict changed`,
        );
      const trace = project.json<{ model: string; tools: Array<{ description: string }> }>(
        'traces/greet/carol/trace.json',
      );
      expect(trace.model).toBe('test-model');
      expect(trace.tools[0]?.description).toBe('Greet a person warmly by name');
      expect(project.json('traces/greet/carol/expected.json')).toEqual({ greeted: ['Carol'] });
      const report = project.json<ReportJson>(REPORT_JSON);
      expect(report.runs.map((item) => [item.origin, item.updated?.changedEvals])).toEqual(
        IDS.map(() => ['live', []]),
      );
    } finally {
      await server?.close();
    }
    const next = await project.run([]);
    expect(next.code, next.output).toBe(0);
    expect(next.stdout).toContain('runs: 3 replayed (strict)');
  });

  it('-u with the server down leaves the traces byte-identical and exits 3', async () => {
    const project = cloneProject(template);
    project.write('agent.mjs', greeterAgentModule({ description: 'Greet a person warmly by name' }));
    const before = hashTree(`${project.dir}/traces`);
    const port = await closedPort();
    const run = await project.run(['-u', '-t', 'greet/carol'], {
      env: liveEnv(`http://127.0.0.1:${port}/v1`),
    });
    expect(run.code, run.output).toBe(3);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(report.infrastructureErrors).toEqual([
      expect.objectContaining({ source: 'greet/carol', kind: 'update' }),
    ]);
    expect(report.infrastructureErrors[0]?.message).toMatch(
      /could not re-record traces\/greet\/carol against the live model \(the trace is unchanged\)/,
    );
    expect(hashTree(`${project.dir}/traces`)).toBe(before);
  });

  it('-u with no model configured is a usage error naming the variables (exit 2)', async () => {
    const project = cloneProject(template);
    const run = await project.run(['-u'], {
      env: { OPENAI_BASE_URL: '', OPENAI_MODEL: '', OPENAI_API_KEY: '' },
    });
    expect(run.code, run.output).toBe(2);
    for (const variable of ['OPENAI_MODEL', 'OPENAI_BASE_URL', 'OPENAI_API_KEY'])
      expect(run.stderr).toContain(variable);
  });
});

describe('looplet-eval replay configuration and bad input', { timeout: E2E_TIMEOUT }, () => {
  it('two agents covering the same trace: exit 2, naming both eval files', async () => {
    const project = cloneProject(template);
    project.write(
      'evals/eval_other.ts',
      "import { createAgent } from '../agent.mjs';\nexport const agent = createAgent;\n",
    );
    const run = await project.run([]);
    expect(run.code, run.output).toBe(2);
    expect(run.stdout).toMatch(
      /two agents cover "greet\/[a-z-]+": the one exported by evals\/eval_greeter\.ts and the one exported by evals\/eval_other\.ts/,
    );
    expect(project.json<ReportJson>(REPORT_JSON).infrastructureErrors[0]?.kind).toBe('agent-config');
  });

  it('an agent factory that throws: an error of kind agent (exit 3) naming the eval file and the trace', async () => {
    const project = cloneProject(template);
    project.write('agent.mjs', greeterAgentModule({ throws: true }));
    const run = await project.run([]);
    expect(run.code, run.output).toBe(3);
    const errors = project.json<ReportJson>(REPORT_JSON).infrastructureErrors;
    expect(errors.map((error) => [error.source, error.kind])).toEqual(IDS.map((id) => [id, 'agent']));
    expect(errors[1]?.message).toContain(
      'the agent of evals/eval_greeter.ts failed on greet/carol (traces/greet/carol): cannot build the greeter: missing configuration',
    );
  });

  it('a trace written by a newer format version is a usage error naming the version (exit 2)', async () => {
    const project = cloneProject(template);
    const trace = project.json<Record<string, unknown>>('traces/greet/carol/trace.json');
    project.write('traces/greet/carol/trace.json', JSON.stringify({ ...trace, schemaVersion: 99 }));
    const run = await project.run([]);
    expect(run.code, run.output).toBe(2);
    expect(run.stdout).toContain('trace schemaVersion 99 was written by a newer looplet');
    const errors = project.json<ReportJson>(REPORT_JSON).infrastructureErrors;
    expect(errors.map((error) => [error.source, error.kind])).toEqual([['greet/carol', 'trace-version']]);
  });

  it('obsolete goldens (traces no eval and no agent covers) are listed, without failing', async () => {
    const project = cloneProject(template);
    cpSync(`${project.dir}/traces/greet/carol`, `${project.dir}/traces/legacy/one`, { recursive: true });
    const run = await project.run([]);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain('obsolete: 1 trace no eval or agent covers: legacy/one');
    expect(project.json<ReportJson>(REPORT_JSON).obsolete).toEqual(['legacy/one']);
    expect(project.read(REPORT_MD)).toContain('Obsolete goldens: 1 trace no eval or agent covers');
  });
});

describe('Python looplet traces replay through the agent (tool-calls check)', {
  timeout: E2E_TIMEOUT,
}, () => {
  const REPORT_EVALS = (operator: '+' | '-') => `import { agentLoop, defineTool } from 'looplet';
import { type Collector, defineAgent, type EvalContext } from 'looplet/evals';

const publishReport = defineTool({
  name: 'publish_report',
  description: 'Write report.json from integer revenue and cost inputs.',
  parameters: {
    type: 'object',
    properties: { revenue: { type: 'integer', description: 'Total revenue.' }, cost: { type: 'integer', description: 'Total cost.' } },
    required: ['revenue', 'cost'],
  },
  run: ({ revenue, cost }, { state }) => {
    state.data.profit = Number(revenue) ${operator} Number(cost);
    return { written: 'report.json', profit: state.data.profit };
  },
});

export const agent = defineAgent({
  scope: 'report/**',
  create: ({ llm, task, hooks }) => agentLoop({ llm, task, tools: [publishReport], hooks, maxSteps: 3 }),
});
export const collectors: Collector[] = [({ state }) => ({ profit: state.data.profit ?? null })];
export const eval_published = (ctx: EvalContext) => typeof ctx.artifacts.profit === 'number';
`;

  it('the recorded tool calls, arguments and results are compared; the report names the check', async () => {
    const project = cloneProject(template);
    project.remove('traces');
    project.remove('evals');
    cpSync(PYTHON_REPORT_TRACE, `${project.dir}/traces/report/python`, { recursive: true });
    // The tool as Python looplet recorded it (profit = revenue + cost): the replay matches.
    project.write('evals/eval_report.ts', REPORT_EVALS('+'));
    const same = await project.run([]);
    expect(same.code, same.output).toBe(0);
    expect(same.stdout).toContain('runs: 1 replayed (strict, tool-calls check)');
    const matched = project.json<ReportJson>(REPORT_JSON).runs[0];
    expect(matched?.replay).toMatchObject({ mode: 'strict', check: 'tool-calls', warnings: [] });
    // The fixed tool returns another result than the recording: diverged at step 1, in words.
    project.write('evals/eval_report.ts', REPORT_EVALS('-'));
    const fixed = await project.run([]);
    expect(fixed.code, fixed.output).toBe(1);
    expect(fixed.stdout).toContain(
      '✗ diverged report/python at step 1 (replayed through evals/eval_report.ts, tool-calls check)',
    );
    expect(fixed.stdout).toContain('the result of `publish_report` at step 1 changed');
    expect(fixed.stdout).toContain('+  {"profit":40,"written":"report.json"}');
  });
});

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
