// Shared by the looplet-eval end-to-end tests: fresh temporary projects with traces recorded for
// real (ProvenanceSink + ScriptedLLM + agentLoop), eval files, and the built CLI run as a child
// process in them — what a user gets after `npm install looplet`.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import {
  agentLoop,
  defineTool,
  doneTool,
  fixedClock,
  ProvenanceSink,
  ScriptedLLM,
  sequentialIds,
} from '../../src/index.js';

/** The repository root: `node_modules/looplet` in each project points here. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI (`looplet-eval` and `looplet`). */
export const CLI = path.join(REPO, 'bin', 'looplet.js');
/** vitest's own CLI, for projects that run looplet from their vitest config. */
export const VITEST_CLI = path.join(REPO, 'node_modules', 'vitest', 'vitest.mjs');

const projects: string[] = [];

/**
 * CLI processes left running (watch sessions, the UI). A test that times out never reaches its
 * `stop()`: its session is killed after the test file (or when this process exits), or it would
 * outlive the run — holding its file watches, which every process of the user shares.
 */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

afterAll(() => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of projects.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What a finished CLI run printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages that may go to either. */
  output: string;
}

/** A temporary project directory with `looplet` installed (a symlink to this repo). */
export interface Project {
  dir: string;
  /** Writes a file (relative to the project), creating its directory. */
  write(file: string, content: string): void;
  read(file: string): string;
  json<T = Record<string, unknown>>(file: string): T;
  remove(file: string): void;
  /** Runs `node bin/looplet.js …args` in the project and waits for it to exit. */
  run(args: readonly string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  /** Runs `node <vitest.mjs> …args` in the project (projects with their own vitest config). */
  vitest(args: readonly string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  /** Starts the CLI without waiting (watch mode, the UI): stop it with `stop()`. */
  start(args: readonly string[], options?: { env?: NodeJS.ProcessEnv }): LiveProcess;
}

/**
 * Creates an empty project under the OS temp directory: `package.json` (ESM) and
 * `node_modules/looplet` linked to this repository, so eval files `import { mark } from 'looplet/evals'`
 * as users' files do. Removed after the test file.
 */
export function createProject({ files = {} }: { files?: Record<string, string> } = {}): Project {
  const dir = newProjectDir();
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(REPO, path.join(dir, 'node_modules', 'looplet'), 'dir');
  const project = projectAt(dir);
  project.write(
    'package.json',
    `${JSON.stringify({ name: 'e2e-project', private: true, type: 'module' })}\n`,
  );
  for (const [file, content] of Object.entries(files)) project.write(file, content);
  return project;
}

/** A copy of a project (its own directory, removed after the test file): for tests that change files. */
export function cloneProject(template: Project): Project {
  const dir = newProjectDir();
  cpSync(template.dir, dir, { recursive: true, verbatimSymlinks: true });
  return projectAt(dir);
}

function newProjectDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'looplet-eval-e2e-'));
  projects.push(dir);
  return dir;
}

function projectAt(dir: string): Project {
  return {
    dir,
    write(file, content) {
      const target = path.join(dir, file);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content);
    },
    read: (file) => readFileSync(path.join(dir, file), 'utf8'),
    json: <T>(file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as T,
    remove: (file) => rmSync(path.join(dir, file), { recursive: true, force: true }),
    run: (args, options) => runNode({ cwd: dir, args: [CLI, ...args], ...options }),
    vitest: (args, options) => runNode({ cwd: dir, args: [VITEST_CLI, ...args], ...options }),
    start: (args, options) => startNode({ cwd: dir, args: [CLI, ...args], ...options }),
  };
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // The child is a user's shell, not this vitest run: drop what vitest sets for its own workers.
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('VITEST') && key !== 'NODE_OPTIONS' && key !== 'TEST') env[key] = value;
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1', ...extra };
}

/** Runs `node …args` in `cwd`, killing it after `timeoutMs` (the result then says so in stderr). */
export function runNode({
  cwd,
  args,
  timeoutMs = 60_000,
  env,
}: {
  cwd: string;
  args: readonly string[];
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd, env: childEnv(env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      stderr += `\n[test harness] killed after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}

/** A CLI process left running (watch mode, the UI). */
export interface LiveProcess {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output (from `from` on) matches `pattern`; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<RegExpMatchArray>;
  /** Kills the process (its pid only) and waits for it to exit. */
  stop(): Promise<void>;
}

export function startNode({
  cwd,
  args,
  env,
}: {
  cwd: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}): LiveProcess {
  const child = spawn(process.execPath, [...args], { cwd, env: childEnv(env), stdio: 'pipe' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: string) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let done = false;
  child.once('exit', () => {
    done = true;
    for (const listener of listeners) listener();
  });
  return {
    child,
    output: () => output,
    waitFor(pattern, { timeoutMs = 30_000, from = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.slice(from).match(pattern);
          if (match) {
            finish();
            resolve(match);
          } else if (done) {
            finish();
            reject(new Error(`process exited before printing ${pattern}; output:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (!done) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * The greeter agent's `greet` tool. `broken` names make it throw, as a buggy tool would; a
 * "tool fix" is recording the same script again with no broken names.
 */
function greetTool(broken: readonly string[]) {
  return defineTool({
    name: 'greet',
    description: 'Greet someone by name',
    parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    run: ({ name }) => {
      if (broken.includes(String(name))) throw new Error(`greet is broken for ${String(name)}`);
      return { greeting: `Hello, ${String(name)}!` };
    },
  });
}

const greeterDone = doneTool({
  parameters: {
    type: 'object',
    properties: { greeted: { type: 'array', items: { type: 'string' } } },
    required: ['greeted'],
  },
});

/**
 * Records a real greeter run into `dir` (a trace directory): the scripted model greets every
 * name in one step, then calls done with the names. Deterministic clock and ids.
 */
export async function recordGreeterTrace({
  dir,
  names,
  broken = [],
  expected = {},
}: {
  dir: string;
  names: readonly string[];
  broken?: readonly string[];
  expected?: Record<string, unknown>;
}): Promise<void> {
  const sink = new ProvenanceSink({ dir, clock: fixedClock() });
  const llm = new ScriptedLLM([
    { text: 'Greeting everyone.', toolCalls: names.map((name) => ({ name: 'greet', args: { name } })) },
    { toolCalls: [{ name: 'done', args: { greeted: [...names] } }] },
  ]);
  const run = agentLoop({
    llm: sink.wrapLLM(llm),
    tools: [greetTool(broken), greeterDone],
    task: { goal: `Greet ${names.join(' and ')}` },
    clock: fixedClock(),
    ids: sequentialIds(),
    hooks: [sink.hook()],
  });
  await run.result;
  sink.expected = expected;
  sink.artifacts = { greeted_count: names.length - broken.filter((name) => names.includes(name)).length };
  await sink.flush();
}

/** Evals for the greeter traces: a TypeScript file using `looplet/evals` marks and types. */
export const GREETER_EVALS_TS = `import { mark, type EvalContext } from 'looplet/evals';

type Output = { greeted: string[] };

/** Every name in the task was greeted. */
export function eval_greeted_everyone(ctx: EvalContext<Output>) {
  return (ctx.finalOutput?.greeted.length ?? 0) === ctx.calls('greet').length;
}

/** Share of greet calls that succeeded: a score. */
export function eval_greet_success(ctx: EvalContext<Output>): number {
  const calls = ctx.calls('greet');
  return calls.length === 0 ? 0 : calls.filter((call) => call.error === undefined).length / calls.length;
}

/** Release gate: no tool may fail. */
export const eval_no_tool_errors = mark(['required', 'smoke'], (ctx: EvalContext) => ctx.toolErrors.length === 0);

/** Metrics only: reported, never pass or fail. */
export function eval_step_stats(ctx: EvalContext) {
  return { steps: ctx.stepCount, calls: ctx.toolCalls.length };
}
`;

/** A plain JavaScript eval file (`.mjs`), tagged `smoke`. */
export const GREETER_EVALS_MJS = `import { mark } from 'looplet/evals';

export const eval_finished = mark(['smoke'], (ctx) => ctx.endReason === 'done');
`;

/** Names each greeter trace greets, by trace id. */
export const GREETER_TRACES: Record<string, readonly string[]> = {
  'greet/alice-bob': ['Alice', 'Bob'],
  'greet/carol': ['Carol'],
  'greet/dave-erin': ['Dave', 'Erin'],
};

/** Records {@link GREETER_TRACES} (all healthy unless `broken` names a name) under `<project>/traces`. */
export async function recordGreeterTraces({
  project,
  broken = [],
  root = 'traces',
}: {
  project: Project;
  broken?: readonly string[];
  root?: string;
}): Promise<void> {
  for (const [id, names] of Object.entries(GREETER_TRACES))
    await recordGreeterTrace({ dir: path.join(project.dir, root, id), names, broken });
}

/**
 * Re-records the greeter trace `id` under `traces` with one of its names broken (so the re-run's
 * output names the trace) and resolves with what the watch session printed for the re-run it starts.
 */
export async function breakTraceAndWait({
  watch,
  traces,
  id = 'greet/carol',
}: {
  watch: LiveProcess;
  traces: string;
  id?: keyof typeof GREETER_TRACES & string;
}): Promise<string> {
  const from = watch.output().length;
  const names = GREETER_TRACES[id]!;
  await recordGreeterTrace({ dir: path.join(traces, id), names, broken: [names.at(-1)!] });
  await watch.waitFor(/^reports: /m, { from });
  return watch.output().slice(from);
}

/** A greeter project: the TypeScript and `.mjs` eval files and the recorded traces. */
export async function greeterProject({ broken = [] }: { broken?: readonly string[] } = {}): Promise<Project> {
  const project = createProject({
    files: { 'evals/eval_greeter.ts': GREETER_EVALS_TS, 'evals/eval_finish.mjs': GREETER_EVALS_MJS },
  });
  await recordGreeterTraces({ project, broken });
  return project;
}

/** The parts of `looplet-report.json` the tests read. */
export interface ReportJson {
  schemaVersion: number;
  kind: string;
  totals: Record<string, number>;
  outcomes: Array<{
    name: string;
    context: string;
    status: string;
    score?: number;
    required: boolean;
    metrics: Record<string, number>;
    error?: { kind: string; message: string; name?: string; location?: string };
    reason?: string;
  }>;
  infrastructureErrors: Array<{ source: string; message: string; kind: string }>;
  runs: Array<{
    id: string;
    origin: string;
    trace?: string;
    agentFile?: string;
    replay?: {
      mode: string;
      check: string;
      diverged?: { callIndex: number; summary: string[]; diff: string };
      warnings: Array<{ callIndex: number; summary: string[]; diff: string }>;
    };
    replayedTrace?: string;
    endReason: string;
    steps: number;
    updated?: {
      stepsBefore: number;
      stepsAfter: number;
      endReasonBefore: string;
      endReasonAfter: string;
      changedEvals: string[];
    };
    error?: { kind: string; message: string };
  }>;
  obsolete: string[];
  verdict: { exitCode: number; status: string; headline: string; reasons: string[] };
  comparison?: {
    newFailures: Array<{ eval: string; context: string; before?: string; after: string }>;
    fixed: Array<{ eval: string; context: string; before?: string; after: string }>;
    scoreDrops: Array<{ eval: string; before: number; after: number }>;
    regressions: number;
  };
}

export const REPORT_JSON = '.looplet/report/looplet-report.json';
export const REPORT_MD = '.looplet/report/looplet-report.md';
export const REPORT_JUNIT = '.looplet/report/looplet-junit.xml';

/** Outcomes as `eval › trace: status`, sorted: what two runs are compared by. */
export function outcomeLines(report: ReportJson): string[] {
  return report.outcomes
    .map((outcome) => `${outcome.name} › ${outcome.context}: ${outcome.status}${scoreText(outcome.score)}`)
    .sort();
}

function scoreText(score: number | undefined): string {
  return score === undefined ? '' : ` ${score}`;
}

/**
 * Why `xml` is not well-formed XML (an empty list when it is): unbalanced or crossed tags,
 * unquoted attributes, raw `<` or `&` in text, several roots. Enough to check a JUnit file.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const badEntity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const token =
    /(<\?xml[^?]*\?>)|(<!--[\s\S]*?-->)|(<!\[CDATA\[[\s\S]*?\]\]>)|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+)|(<)/g;
  for (const match of xml.matchAll(token)) {
    const [, declaration, , , closing, name, attributes, selfClosing, text, stray] = match;
    if (declaration !== undefined && match.index !== 0) problems.push('XML declaration not at the start');
    if (stray !== undefined) problems.push(`stray "<" at ${match.index}`);
    if (text !== undefined) {
      if (stack.length === 0 && text.trim() !== '') problems.push(`text outside the root at ${match.index}`);
      if (badEntity.test(text)) problems.push(`raw "&" in text at ${match.index}`);
    }
    if (name === undefined) continue;
    if (attributes !== undefined && badEntity.test(attributes))
      problems.push(`raw "&" in attributes of <${name}>`);
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClosing) stack.push(name);
    }
  }
  if (stack.length > 0) problems.push(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

/** A hash of every file under a directory (paths and bytes): equal hashes, untouched files. */
export function hashTree(dir: string): string {
  const hash = createHash('sha256');
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const full = path.join(current, entry.name);
      hash.update(`${path.relative(dir, full)}\0`);
      if (entry.isDirectory()) walk(full);
      else hash.update(readFileSync(full));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/**
 * The golden greeter agent as a project module (`agent.mjs`): what `record.mjs` records through
 * and what the eval file exports as its agent. Tests change the tool by writing it again.
 */
export function greeterAgentModule({
  greeting = 'Hello',
  description = 'Greet someone by name',
  throws = false,
}: {
  greeting?: string;
  description?: string;
  /** The factory itself throws (a broken agent). */
  throws?: boolean;
} = {}): string {
  return `import { agentLoop, defineTool, doneTool } from 'looplet';

export const greet = defineTool({
  name: 'greet',
  description: ${JSON.stringify(description)},
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: \`${greeting}, \${name}!\` }),
});

const done = doneTool({
  parameters: {
    type: 'object',
    properties: { greeted: { type: 'array', items: { type: 'string' } } },
    required: ['greeted'],
  },
});

export function createAgent({ llm, task, hooks = [], clock, ids }) {
  ${throws ? "throw new Error('cannot build the greeter: missing configuration');" : ''}
  return agentLoop({ llm, task, tools: [greet, done], hooks, ...(clock ? { clock } : {}), ...(ids ? { ids } : {}) });
}
`;
}

/** Records {@link GREETER_TRACES} through the project's `agent.mjs` with a scripted model (run with node in the project). */
export const RECORD_GREETER_SCRIPT = `import { fixedClock, ProvenanceSink, ScriptedLLM, sequentialIds } from 'looplet';
import { createAgent } from './agent.mjs';

const traces = ${JSON.stringify(GREETER_TRACES)};
for (const [id, names] of Object.entries(traces)) {
  const sink = new ProvenanceSink({ dir: 'traces/' + id, clock: fixedClock() });
  const llm = new ScriptedLLM(
    [
      { text: 'Greeting everyone.', toolCalls: names.map((name) => ({ name: 'greet', args: { name } })) },
      { toolCalls: [{ name: 'done', args: { greeted: names } }] },
    ],
    { model: 'scripted-greeter' },
  );
  const run = createAgent({ llm: sink.wrapLLM(llm), task: { goal: 'Greet ' + names.join(' and ') }, hooks: [sink.hook()], clock: fixedClock(), ids: sequentialIds() });
  await run.result;
  sink.expected = { greeted: names };
  await sink.flush();
}
`;

/** Evals of the golden greeter project; the eval file exports the agent the traces replay through. */
export const GOLDEN_EVALS_TS = `import { defineAgent, type EvalContext, mark } from 'looplet/evals';
import { createAgent } from '../agent.mjs';

export const agent = defineAgent({ scope: 'greet/**', create: createAgent });

export const eval_finished = mark({ scope: 'greet/**' }, (ctx: EvalContext) => ctx.endReason === 'done');

/** Checks the tool's results: every greeting says hello to the name it was given. */
export const eval_greetings = mark({ scope: 'greet/**' }, (ctx: EvalContext) => {
  const calls = ctx.calls('greet');
  return calls.length > 0 && calls.every((call) => (call.data as { greeting?: string } | undefined)?.greeting === \`Hello, \${String(call.args.name)}!\`);
});

export const eval_greeted_expected = mark({ scope: 'greet/**' }, (ctx: EvalContext<{ greeted: string[] }>) =>
  JSON.stringify(ctx.finalOutput?.greeted) === JSON.stringify(ctx.expected.greeted),
);
`;

/**
 * A project whose three greeter traces were recorded through its own agent (`agent.mjs`) with a
 * scripted model, and whose eval file exports that agent: the golden-trace loop of a user.
 */
export async function goldenGreeterProject(): Promise<Project> {
  const project = createProject({
    files: {
      'agent.mjs': greeterAgentModule(),
      'record.mjs': RECORD_GREETER_SCRIPT,
      'evals/eval_greeter.ts': GOLDEN_EVALS_TS,
    },
  });
  const recorded = await runNode({ cwd: project.dir, args: ['record.mjs'] });
  if (recorded.code !== 0) throw new Error(`record.mjs failed:\n${recorded.output}`);
  return project;
}
