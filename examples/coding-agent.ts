/**
 * A coding agent on a throwaway workspace: it reads, writes and runs code there, and a permission
 * hook decides what it may do — writes outside the workspace are denied, every command needs
 * approval. The scripted model fixes a bug in `math.js` and runs the tests.
 *
 *   npx tsx examples/coding-agent.ts --scripted        # no model needed (also when OPENAI_BASE_URL is unset)
 *   OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.1 npx tsx examples/coding-agent.ts
 *
 * With a model, the commands are approved at a terminal prompt when one is attached.
 * `--workspace DIR` works in DIR (and keeps it) instead of a temporary directory.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import {
  type Approver,
  agentLoop,
  defineTool,
  type LLMBackend,
  OpenAIBackend,
  permissionHook,
  ScriptedLLM,
  type Tool,
} from 'looplet';

/** The project the agent is asked to fix: `add` subtracts. */
export const BUGGY_PROJECT: Record<string, string> = {
  'package.json': '{ "type": "module" }\n',
  'math.js': 'export function add(a, b) {\n  return a - b;\n}\n',
  'math.test.js': [
    "import assert from 'node:assert/strict';",
    "import { test } from 'node:test';",
    "import { add } from './math.js';",
    '',
    "test('add adds', () => assert.equal(add(2, 3), 5));",
    '',
  ].join('\n'),
};

const FIXED_MATH = 'export function add(a, b) {\n  return a + b;\n}\n';
const COMMAND_TIMEOUT_MS = 10_000;
/** Node's readable test output (it prints TAP when not writing to a terminal). */
const SPEC = '--test-reporter=spec';

/** True when `file` (relative to the workspace or absolute) lies inside the workspace. */
export function insideWorkspace({ workspace, file }: { workspace: string; file: string }): boolean {
  const relative = path.relative(workspace, path.resolve(workspace, file));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** `node --test`, or `node <file>.js` for a file in the workspace: the only commands the agent may run. */
const ALLOWED_COMMANDS = [/^node --test$/, /^node [\w./-]+\.m?js$/];

/** The agent's tools, bound to one workspace directory. */
export function workspaceTools({ workspace }: { workspace: string }): Tool[] {
  const resolve = (file: string) => {
    // Defence in depth: the permission hook denies outside writes first, with a reason the model sees.
    if (!insideWorkspace({ workspace, file })) throw new Error(`${file} is outside the workspace`);
    return path.resolve(workspace, file);
  };
  return [
    defineTool({
      name: 'list_files',
      description: 'List the files in the workspace',
      parameters: { type: 'object', properties: {} },
      run: () => readdirSync(workspace, { recursive: true, encoding: 'utf8' }).sort(),
    }),
    defineTool({
      name: 'read_file',
      description: 'Read a file of the workspace',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      run: ({ path: file }) => readFileSync(resolve(String(file)), 'utf8'),
    }),
    defineTool({
      name: 'write_file',
      description: 'Create or replace a file of the workspace',
      parameters: {
        type: 'object',
        properties: { path: { type: 'string' }, content: { type: 'string' } },
        required: ['path', 'content'],
      },
      run: ({ path: file, content }) => {
        const target = resolve(String(file));
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, String(content));
        return `wrote ${String(content).length} characters to ${String(file)}`;
      },
    }),
    defineTool({
      name: 'run_command',
      description: `Run a command in the workspace. Allowed: "node --test", "node <file>.js". Times out after ${COMMAND_TIMEOUT_MS / 1000}s.`,
      parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
      run: ({ command }, { signal }) => {
        const text = String(command).trim();
        if (!ALLOWED_COMMANDS.some((allowed) => allowed.test(text)))
          throw new Error(`"${text}" is not allowed; run "node --test" or "node <file>.js"`);
        const [, target] = text.split(' ');
        if (target === '--test') return runNode({ cwd: workspace, args: ['--test', SPEC], signal });
        return runNode({ cwd: workspace, args: [resolve(target!)], signal });
      },
    }),
  ];
}

/** Runs `node ...args` without a shell, with a timeout and an environment holding no secrets. */
function runNode({
  cwd,
  args,
  signal,
}: {
  cwd: string;
  args: string[];
  signal: AbortSignal;
}): Promise<string> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      args,
      { cwd, signal, timeout: COMMAND_TIMEOUT_MS, env: { PATH: process.env.PATH ?? '' } },
      (error, stdout, stderr) => {
        const code = error ? (error.killed ? `killed (timeout ${COMMAND_TIMEOUT_MS}ms)` : error.code) : 0;
        done(`exit code ${code}\n${stdout}${stderr}`);
      },
    );
  });
}

/** What a model would answer, so the example runs with no network. */
export function scriptedModel(): ScriptedLLM {
  return new ScriptedLLM([
    { toolCalls: [{ name: 'list_files', args: {} }] },
    { toolCalls: [{ name: 'run_command', args: { command: 'node --test' } }] },
    { toolCalls: [{ name: 'read_file', args: { path: 'math.js' } }] },
    // A slip the permission hook catches: the path leaves the workspace.
    { toolCalls: [{ name: 'write_file', args: { path: '../math.js', content: FIXED_MATH } }] },
    { toolCalls: [{ name: 'write_file', args: { path: 'math.js', content: FIXED_MATH } }] },
    { toolCalls: [{ name: 'run_command', args: { command: 'node --test' } }] },
    {
      toolCalls: [
        { name: 'done', args: { summary: 'add() subtracted; it now adds and node --test passes' } },
      ],
    },
  ]);
}

/** Approves every command, saying so: for scripted runs and runs with no terminal attached. */
const approveAll: Approver = ({ call }) => {
  console.log(`   ? run_command(${String(call.args.command)}) → approved (no terminal: auto-approve)`);
  return true;
};

/** Asks the person at the terminal. */
const askAtTerminal: Approver = async ({ call }) => {
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await terminal.question(`   ? run_command(${String(call.args.command)})  allow? [y/N] `);
  terminal.close();
  return { approved: /^y(es)?$/i.test(answer.trim()), reason: 'the user said no' };
};

/** What the run did, for tests and readers. */
export interface CodingOutcome {
  endReason: string;
  /** `node --test` run in the workspace after the agent finished (not the agent's own claim). */
  testsPass: boolean;
  /** Why each denied call was denied. */
  denials: string[];
}

export async function main(args: string[]): Promise<CodingOutcome> {
  const { values } = parseArgs({
    args,
    options: { scripted: { type: 'boolean' }, workspace: { type: 'string' } },
  });
  const scripted = values.scripted === true || !process.env.OPENAI_BASE_URL;
  const llm: LLMBackend = scripted ? scriptedModel() : OpenAIBackend.fromEnv();
  const workspace = values.workspace ?? mkdtempSync(path.join(tmpdir(), 'looplet-coding-'));
  mkdirSync(workspace, { recursive: true });
  for (const [file, content] of Object.entries(BUGGY_PROJECT))
    writeFileSync(path.join(workspace, file), content);
  console.log(`workspace: ${workspace}`);

  const permissions = permissionHook({
    deny: [
      {
        tool: 'write_file',
        when: ({ call }) => !insideWorkspace({ workspace, file: String(call.args.path) }),
        reason: 'writes are allowed only inside the workspace: use a path relative to it',
      },
    ],
    ask: ['run_command'],
    allow: ['list_files', 'read_file', 'write_file'],
    approve: !scripted && process.stdin.isTTY ? askAtTerminal : approveAll,
  });
  const run = agentLoop({
    llm,
    tools: workspaceTools({ workspace }),
    task: { goal: 'The tests in this workspace fail. Find the bug, fix it, run the tests, then call done.' },
    hooks: [permissions],
    maxSteps: 15,
  });
  const denials: string[] = [];
  for await (const step of run) {
    console.log(step.pretty());
    for (const result of step.results)
      if (result.error?.kind === 'denied') denials.push(result.error.message);
  }
  const result = await run.result;
  const check = await runNode({
    cwd: workspace,
    args: ['--test', SPEC],
    signal: AbortSignal.timeout(30_000),
  });
  const testsPass = check.startsWith('exit code 0');
  console.log(`end reason: ${result.endReason}${result.stopReason ? ` (${result.stopReason})` : ''}`);
  console.log(`math.js now:\n${readFileSync(path.join(workspace, 'math.js'), 'utf8')}`);
  console.log(`tests after the run: ${testsPass ? 'pass' : 'FAIL'}`);
  if (values.workspace === undefined) rmSync(workspace, { recursive: true, force: true });
  return { endReason: result.endReason, testsPass, denials };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await main(process.argv.slice(2));
  process.exitCode = outcome.endReason === 'done' && outcome.testsPass ? 0 : 1;
}
