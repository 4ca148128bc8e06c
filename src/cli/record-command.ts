import { existsSync } from 'node:fs';
import path from 'node:path';
import type { LLMBackend } from '../core/llm.js';
import { type AgentFactory, agentDefinitionOf, agentFor, type ScopedAgent } from '../evals/agent.js';
import { runCase } from '../evals/case-runner.js';
import { type EvalCase, loadCases } from '../evals/cases.js';
import type { Collector } from '../evals/collectors.js';
import { findEvalFiles } from '../evals/discover.js';
import { MissingEnvError } from '../llm/errors.js';
import { OpenAIBackend } from '../llm/openai.js';
import { ScriptedLLM } from '../llm/scripted.js';
import { ProvenanceSink } from '../provenance/sink.js';
import type { RecordFlags } from './commands/record.js';
import { unreadCaseDirs } from './discovery-hints.js';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';
import { importUserModule } from './import-module.js';

/**
 * `looplet record`: runs one case's agent with a recording sink and writes the trace (also when
 * the run fails — a trace of a failure is worth reviewing). Grader-only `expected` goes to
 * `expected.json`, collector outputs to `artifacts.json`; the agent never sees `expected`.
 */
export async function recordCommandAction({
  caseId,
  flags,
}: {
  caseId: string;
  flags: RecordFlags;
}): Promise<ExitCode> {
  const cwd = process.cwd();
  const testCase = await findCase({ caseId, dir: flags.cases ?? 'cases', cwd });
  const out = path.resolve(cwd, flags.out ?? path.join('traces', caseId));
  if (existsSync(out) && !flags.force)
    throw new UsageError(
      `${path.relative(cwd, out)} exists; pass --force to replace it (the old trace is replaced atomically)`,
    );
  const { agent, liveModel, collectors, file } = await findAgent({ agentFile: flags.agent, caseId, cwd });
  const llm: LLMBackend = flags.scripted ? scriptedModel(testCase) : await (liveModel ?? openAIFromEnv)();
  const sink = new ProvenanceSink({ dir: out });
  const run = await runCase({
    case: testCase,
    agent,
    mode: 'live',
    llm: sink.wrapLLM(llm),
    hooks: [sink.hook()],
    collectors,
  });
  if (run.result === undefined) {
    console.error(
      `the agent (${path.relative(cwd, file)}) failed before finishing: ${run.error?.message ?? 'unknown error'}`,
    );
    return EXIT.infrastructure;
  }
  sink.artifacts = run.context?.artifacts ?? {};
  sink.expected = testCase.expected;
  const written = await sink.flush();
  console.log(
    `recorded ${caseId}: ${run.result.endReason}, ${run.result.steps.length} steps → ${path.relative(cwd, written)}`,
  );
  console.log(
    `next: looplet show ${path.relative(cwd, written)}   ·   looplet-eval replays it through the agent whose scope covers its id (or add "trace: ${path.relative(path.dirname(testCase.file), written)}" to ${path.relative(cwd, testCase.file)})`,
  );
  return run.result.endReason === 'llm_error' ? EXIT.infrastructure : EXIT.ok;
}

async function findCase({
  caseId,
  dir,
  cwd,
}: {
  caseId: string;
  dir: string;
  cwd: string;
}): Promise<EvalCase> {
  if (!existsSync(path.resolve(cwd, dir))) {
    const elsewhere = unreadCaseDirs({ cwd });
    throw new UsageError(
      `no case directory ${dir}; pass --cases <dir>${elsewhere.length > 0 ? ` (found ${elsewhere.join(', ')})` : ''}`,
    );
  }
  const cases = await loadCases({ dir, cwd });
  const found = cases.find((item) => item.id === caseId);
  if (!found)
    throw new UsageError(
      `no case "${caseId}" in ${dir}; cases there: ${cases.map((item) => item.id).join(', ') || 'none'}`,
    );
  return found;
}

async function findAgent({
  agentFile,
  caseId,
  cwd,
}: {
  agentFile: string | undefined;
  caseId: string;
  cwd: string;
}): Promise<{
  agent: AgentFactory;
  liveModel: (() => LLMBackend | Promise<LLMBackend>) | undefined;
  collectors: Collector[];
  file: string;
}> {
  const candidates = agentFile
    ? [path.resolve(cwd, agentFile)]
    : existsSync(path.join(cwd, 'evals'))
      ? await findEvalFiles({ paths: ['evals'], cwd })
      : [];
  const agents: Array<ScopedAgent & { collectors: Collector[]; absolute: string }> = [];
  for (const file of candidates) {
    const module = await importUserModule({ file, cwd });
    const relative = path.relative(cwd, file);
    const definition = agentDefinitionOf({ value: module.agent, file: relative });
    if (!definition) continue;
    const collectors = Array.isArray(module.collectors) ? (module.collectors as Collector[]) : [];
    // --agent names the file: its agent records the case whatever its scope.
    agents.push({
      definition: agentFile ? { ...definition, scope: undefined } : definition,
      file: relative,
      collectors,
      absolute: file,
    });
  }
  // The same agent looplet-eval would replay the case's trace through: the one whose scope covers it.
  const found = agentFor({ agents, id: caseId });
  if (found) {
    const { collectors, absolute } = agents.find((agent) => agent.file === found.file)!;
    return { agent: found.definition.create, liveModel: found.definition.llm, collectors, file: absolute };
  }
  throw new UsageError(
    agentFile
      ? `${agentFile} does not export \`agent\` (an AgentFactory: ({ llm, task, hooks }) => agentLoop({ llm, task, tools, hooks }), or defineAgent({ scope, create }))`
      : agents.length === 0
        ? 'no eval file under evals/ exports `agent`; export one, or pass --agent <file>'
        : `no agent's scope covers case "${caseId}" (agents: ${agents.map((agent) => agent.file).join(', ')}); widen a scope, or pass --agent <file>`,
  );
}

/** The default live model; without one configured, a UsageError (exit 2) saying what to set. */
function openAIFromEnv(): LLMBackend {
  try {
    return OpenAIBackend.fromEnv();
  } catch (error) {
    if (!(error instanceof MissingEnvError)) throw error;
    throw new UsageError(
      `looplet record calls a live model and none is configured: ${error.message}. Set OPENAI_MODEL (and OPENAI_BASE_URL for a local server, or OPENAI_API_KEY for OpenAI), give the agent its own model with defineAgent({ create, llm: () => AnthropicBackend.fromEnv() }), or pass --scripted to answer from the case's script`,
    );
  }
}

function scriptedModel(testCase: EvalCase): ScriptedLLM {
  if (!testCase.script)
    throw new UsageError(
      `case "${testCase.id}" has no script; --scripted answers from the case's "script" turns`,
    );
  return new ScriptedLLM(testCase.script);
}
