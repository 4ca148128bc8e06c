import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import {
  type AgentLoopOptions,
  agentLoop,
  defineTool,
  fixedClock,
  type Hook,
  type LLMBackend,
  ProvenanceSink,
  type ProvenanceSinkOptions,
  type RunResult,
  ScriptedLLM,
  type ScriptedTurn,
  sequentialIds,
} from '../../src/index.js';

const dirs: string[] = [];

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'looplet-prov-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export const greet = defineTool({
  name: 'greet',
  description: 'Greet someone',
  parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  run: ({ name }) => ({ greeting: `Hello, ${String(name)}!` }),
});

/** Alice and Bob greeted in parallel, then done. */
export const GREETER_SCRIPT: ScriptedTurn[] = [
  {
    text: 'Greeting both.',
    toolCalls: [
      { name: 'greet', args: { name: 'Alice' } },
      { name: 'greet', args: { name: 'Bob' } },
    ],
    usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
  },
  { toolCalls: [{ name: 'done', args: { summary: 'greeted Alice and Bob' } }] },
];

export const GREETER_TASK = { goal: 'Greet Alice and Bob' };

/** Runs a loop to the end, recording it with a sink into `dir`; returns the result. */
export async function recordRun({
  dir,
  llm,
  deterministic = true,
  sink: sinkOptions = {},
  hooks = [],
  ...loop
}: {
  dir: string;
  llm: LLMBackend;
  deterministic?: boolean;
  sink?: Partial<ProvenanceSinkOptions>;
  hooks?: Hook[];
} & Partial<Omit<AgentLoopOptions, 'llm' | 'hooks'>>): Promise<{ result: RunResult; sink: ProvenanceSink }> {
  const sink = new ProvenanceSink({ dir, ...sinkOptions });
  const run = agentLoop({
    tools: [greet],
    task: GREETER_TASK,
    ...(deterministic ? { clock: fixedClock(), ids: sequentialIds() } : {}),
    ...loop,
    llm: sink.wrapLLM(llm),
    hooks: [...hooks, sink.hook()],
  });
  const result = await run.result;
  await sink.flush();
  return { result, sink };
}

/** Records the greeter script into a new temporary directory. */
export async function recordGreeter(options: { deterministic?: boolean } = {}): Promise<string> {
  const dir = path.join(tempDir(), 'trace');
  await recordRun({ dir, llm: new ScriptedLLM(GREETER_SCRIPT), ...options });
  return dir;
}

/** Every file under `dir` (relative path → content), skipping `volatile.json` unless asked. */
export function dirFiles(
  dir: string,
  { volatile = false }: { volatile?: boolean } = {},
): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const relative = path.relative(dir, full);
        if (relative === 'volatile.json' && !volatile) continue;
        files[relative] = readFileSync(full, 'utf8');
      }
    }
  };
  walk(dir);
  return files;
}

/** Parses a JSON file of a trace. */
export function readJson(dir: string, file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
}

/** What `run` throws (the test fails when it returns). */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but it returned');
}
