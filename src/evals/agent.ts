import type { LLMBackend } from '../core/llm.js';
import type { Task } from '../core/types.js';
import type { AgentRun } from '../loop/agent-loop.js';
import type { Hook } from '../loop/hooks.js';
import { AgentScopeError, EvalDefinitionError } from './errors.js';
import { parseScope, scopeCovers } from './marks.js';

/** What an agent factory is told about the run: everything but the grader-only `expected`. */
export interface CaseInfo {
  /** The case id, or the trace id for a replayed trace. */
  id: string;
  task: Task;
  marks: readonly string[];
  notes?: string;
}

/**
 * Builds and starts the agent under test for one run. Call `agentLoop` with your tools and
 * hooks, the `llm` given here (replayed, scripted or live) and the `task`.
 *
 * @example
 * const agent: AgentFactory = ({ llm, task, hooks }) => agentLoop({ llm, task, hooks, tools: [publishReport] });
 */
export type AgentFactory = (args: {
  llm: LLMBackend;
  task: Task;
  case: CaseInfo;
  /**
   * Hooks looplet needs in the loop — e.g. the `ProvenanceSink` hook that records a replay or a
   * re-recording. Pass them to `agentLoop({ hooks: [...yourHooks, ...hooks] })`; a factory that
   * drops them cannot be recorded.
   */
  hooks: Hook[];
}) => AgentRun | Promise<AgentRun>;

/** The options of {@link defineAgent}. */
export interface DefineAgentOptions {
  /**
   * Which traces and cases this agent runs: glob patterns (picomatch) over their ids, as
   * `mark({ scope })` takes (`'greeter/**'`). Default: every trace and case. Two agents whose
   * scopes both cover an id are a configuration error.
   */
  scope?: string | readonly string[];
  /** Builds the agent for one run. */
  create: AgentFactory;
  /**
   * The live model `looplet-eval -u` re-records this agent's traces with. Default:
   * `OpenAIBackend.fromEnv()` (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL).
   */
  llm?: () => LLMBackend | Promise<LLMBackend>;
}

/** An agent declared by an eval file (`export const agent = defineAgent({ … })`). */
export interface AgentDefinition {
  readonly kind: 'looplet-agent';
  /** Glob patterns over trace and case ids; absent: every one. */
  readonly scope?: readonly string[];
  readonly create: AgentFactory;
  readonly llm?: () => LLMBackend | Promise<LLMBackend>;
}

/**
 * Declares the agent of an eval file with a scope, so one suite can hold several agents, and
 * optionally the live model `-u` re-records with. Export it as `agent`: every trace and case in
 * its scope is then replayed through it by `looplet-eval`.
 *
 * @example
 * export const agent = defineAgent({
 *   scope: 'greeter/**',
 *   create: ({ llm, task, hooks }) => agentLoop({ llm, task, hooks, tools: [greet] }),
 * });
 */
export function defineAgent(options: DefineAgentOptions): AgentDefinition {
  if (typeof options !== 'object' || options === null || typeof options.create !== 'function')
    throw new EvalDefinitionError({
      message:
        'defineAgent({ create }): `create` must be the agent factory, ({ llm, task, hooks }) => agentLoop({ … })',
    });
  const known = new Set(['scope', 'create', 'llm']);
  for (const key of Object.keys(options))
    if (!known.has(key))
      throw new EvalDefinitionError({
        message: `defineAgent(): unknown option "${key}" (known: scope, create, llm)`,
      });
  if (options.llm !== undefined && typeof options.llm !== 'function')
    throw new EvalDefinitionError({
      message:
        'defineAgent({ llm }): `llm` must be a function returning a backend, e.g. () => OpenAIBackend.fromEnv()',
    });
  const definition: { -readonly [K in keyof AgentDefinition]: AgentDefinition[K] } = {
    kind: 'looplet-agent',
    create: options.create,
  };
  if (options.scope !== undefined)
    definition.scope = Object.freeze(parseScope({ scope: options.scope, where: 'defineAgent()' }));
  if (options.llm !== undefined) definition.llm = options.llm;
  return Object.freeze(definition);
}

/**
 * An eval file's `agent` export as a definition: a plain factory covers every id. Undefined when
 * there is no export; an export of another kind is an {@link EvalDefinitionError}.
 */
export function agentDefinitionOf({
  value,
  file,
}: {
  value: unknown;
  file: string;
}): AgentDefinition | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return { kind: 'looplet-agent', create: value as AgentFactory };
  if (typeof value === 'object' && value !== null && (value as AgentDefinition).kind === 'looplet-agent')
    return value as AgentDefinition;
  throw new EvalDefinitionError({
    message: `${file}: \`agent\` must be an agent factory or defineAgent({ scope, create }), got ${typeof value}`,
  });
}

/** An agent with the eval file that exports it. */
export interface ScopedAgent {
  definition: AgentDefinition;
  /** The eval file (as reports name it). */
  file: string;
}

/**
 * The agent whose scope covers a trace or case id, or undefined when none does. Throws
 * {@link AgentScopeError} when two agents cover it: which one should run would be a guess.
 */
export function agentFor({
  agents,
  id,
}: {
  agents: readonly ScopedAgent[];
  id: string;
}): ScopedAgent | undefined {
  let found: ScopedAgent | undefined;
  for (const agent of agents) {
    if (!scopeCovers({ scope: agent.definition.scope, id })) continue;
    if (found) throw new AgentScopeError({ id, files: [found.file, agent.file] });
    found = agent;
  }
  return found;
}
