// The replay sandbox (no network, frozen clock) and watch mode, end to end through the built CLI.
// The only server is a 127.0.0.1 one started here: a sandbox that leaked would reach it, not the internet.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliResult,
  createProject,
  GREETER_EVALS_MJS,
  type Project,
  REPORT_JSON,
  type ReportJson,
  recordGreeterTrace,
  recordGreeterTraces,
} from './support.js';

/** Evals that reach a server with fetch and with node:http, and one that reads the clock. */
function networkEvals(url: string): Record<string, string> {
  return {
    'evals/eval_network.ts': `export async function eval_fetches(): Promise<boolean> {
  const response = await fetch('${url}/fetch');
  return response.ok;
}
`,
    'evals/eval_http.mjs': `import http from 'node:http';

export function eval_http_get() {
  return new Promise((resolve, reject) => {
    http.get('${url}/http', (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on('error', reject);
  });
}
`,
    'evals/eval_clock.mjs': `export function eval_clock() {
  return { now: Date.now(), constructed: new Date().getTime() };
}
`,
  };
}

describe('the replay sandbox', () => {
  const requests: string[] = [];
  let server: http.Server;
  let url: string;
  let project: Project;
  let blocked: CliResult;
  let report: ReportJson;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requests.push(request.url ?? '');
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    project = createProject({ files: networkEvals(url) });
    await recordGreeterTrace({ dir: path.join(project.dir, 'traces', 'carol'), names: ['Carol'] });
    // The run without --allow-network, whose results the first two tests read.
    blocked = await project.run([]);
    report = project.json<ReportJson>(REPORT_JSON);
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  });

  it('blocks fetch and node:http with an error naming the eval and the trace', async () => {
    expect(blocked.code, blocked.output).toBe(3);
    expect(requests).toEqual([]);
    const fetches = report.outcomes.find((outcome) => outcome.name === 'eval_fetches');
    expect(fetches).toMatchObject({
      status: 'error',
      error: { kind: 'threw', name: 'NetworkDisabledError' },
    });
    expect(fetches?.error?.message).toContain(
      `network access to ${url} is disabled while evals replay recorded runs in eval_fetches › carol`,
    );
    expect(fetches?.error?.message).toContain('--allow-network');
    const viaHttp = report.outcomes.find((outcome) => outcome.name === 'eval_http_get');
    expect(viaHttp).toMatchObject({ status: 'error', error: { name: 'NetworkDisabledError' } });
    expect(viaHttp?.error?.message).toContain('in eval_http_get › carol');
    // The terminal says it too.
    expect(blocked.stdout).toContain('! eval_fetches › carol  threw: network access to');
  });

  it('freezes the clock evals see at 2025-01-01T00:00:00Z', () => {
    const clock = report.outcomes.find((outcome) => outcome.name === 'eval_clock');
    expect(clock).toMatchObject({ status: 'reported' });
    expect(clock?.metrics).toEqual({ now: Date.UTC(2025, 0, 1), constructed: Date.UTC(2025, 0, 1) });
  });

  it('--allow-network lets the calls through', async () => {
    const allowed = await project.run(['--allow-network']);
    expect(allowed.code, allowed.output).toBe(0);
    expect(requests.sort()).toEqual(['/fetch', '/http']);
    const report = project.json<ReportJson>(REPORT_JSON);
    expect(
      report.outcomes
        .filter((outcome) => outcome.status === 'passed')
        .map((outcome) => outcome.name)
        .sort(),
    ).toEqual(['eval_fetches', 'eval_http_get']);
    // The clock stays frozen: replays must see the recorded time whatever the network setting.
    expect(report.outcomes.find((outcome) => outcome.name === 'eval_clock')?.metrics.now).toBe(
      Date.UTC(2025, 0, 1),
    );
  });
});

/** The names of the greet tool calls that failed in greet/carol's run, as the HTML report embeds it. */
function carolToolErrors(html: string): string[] {
  const json = (id: string) =>
    JSON.parse(new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's').exec(html)![1]!);
  const page = json('looplet-page') as { runs: Array<{ id: string; blob?: number }> };
  const blob = page.runs.find((run) => run.id === 'greet/carol')!.blob!;
  const run = json(`looplet-run-${blob}`) as {
    steps: Array<{ calls: Array<{ args: { name?: string }; error?: unknown }> }>;
  };
  return run.steps.flatMap((step) =>
    step.calls.filter((call) => call.error).map((call) => call.args.name ?? ''),
  );
}

describe('looplet-eval --watch', () => {
  it('re-runs when a trace or an eval file changes', async () => {
    const project = createProject({ files: { 'evals/eval_finish.mjs': GREETER_EVALS_MJS } });
    project.write(
      'evals/eval_gate.mjs',
      "import { mark } from 'looplet/evals';\nexport const eval_gate = mark(['required'], (ctx) => ctx.toolErrors.length === 0);\n",
    );
    await recordGreeterTraces({ project });
    // Two workers: two chunks, so a trace change re-runs one of them and the report still covers both.
    const watch = project.start(['--watch', '--workers', '2']);
    try {
      await watch.waitFor(/^PASS: 6 passed/m);
      // A tool regression re-recorded into one trace: the gate fails on it.
      let from = watch.output().length;
      await recordGreeterTrace({
        dir: path.join(project.dir, 'traces', 'greet', 'carol'),
        names: ['Carol'],
        broken: ['Carol'],
      });
      await watch.waitFor(/^FAIL: 1 failed \(1 required\) \(2 evals × 3 runs\)/m, { from });
      expect(watch.output().slice(from)).toContain('✗ eval_gate › greet/carol (required)');
      // The HTML report shows the re-recorded run, not the one from the first run.
      await watch.waitFor(/^reports: /m, { from });
      expect(carolToolErrors(project.read('.looplet/report/looplet-report.html'))).toEqual(['Carol']);
      // An edit to an eval file re-runs with the new code.
      from = watch.output().length;
      project.write(
        'evals/eval_gate.mjs',
        "import { mark } from 'looplet/evals';\nexport const eval_gate = mark(['required'], (ctx) => ctx.stepCount > 0);\n",
      );
      await watch.waitFor(/^PASS: 6 passed/m, { from });
      expect(watch.child.exitCode).toBeNull();
    } finally {
      await watch.stop();
    }
  });
});
