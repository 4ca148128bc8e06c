// defineAgent and agent scopes: one suite can hold several agents, and two agents covering the
// same trace or case id are a configuration error naming both files.
import { describe, expect, it } from 'vitest';
import { agentDefinitionOf, agentFor } from '../../src/evals/agent.js';
import {
  type AgentFactory,
  AgentScopeError,
  defineAgent,
  EvalDefinitionError,
} from '../../src/evals/index.js';
import { agentLoop, ScriptedLLM } from '../../src/index.js';

const create: AgentFactory = ({ llm, task, hooks }) => agentLoop({ llm, task, hooks, tools: [] });

describe('defineAgent', () => {
  it('keeps the scope (one pattern or several), the factory and the live model', () => {
    const llm = () => new ScriptedLLM([]);
    const agent = defineAgent({ scope: 'greeter/**', create, llm });
    expect(agent).toMatchObject({ kind: 'looplet-agent', scope: ['greeter/**'], create, llm });
    expect(defineAgent({ scope: ['a/*', 'b_*'], create }).scope).toEqual(['a/*', 'b_*']);
    expect(defineAgent({ create }).scope).toBeUndefined();
  });

  it('rejects a missing factory, an empty scope, an unknown option and an llm that is not a function', () => {
    expect(() => defineAgent({} as never)).toThrow(EvalDefinitionError);
    expect(() => defineAgent({ scope: [], create })).toThrow(
      /scope must be a glob pattern or a non-empty list/,
    );
    expect(() => defineAgent({ create, scpoe: 'x' } as never)).toThrow(/unknown option "scpoe"/);
    expect(() => defineAgent({ create, llm: 'gpt' as never })).toThrow(/`llm` must be a function/);
  });
});

describe('agent scopes', () => {
  const greeter = { definition: defineAgent({ scope: 'greeter/**', create }), file: 'evals/eval_greeter.ts' };
  const weather = { definition: defineAgent({ scope: 'weather/**', create }), file: 'evals/eval_weather.ts' };

  it('finds the one agent whose scope covers an id, or none', () => {
    expect(agentFor({ agents: [greeter, weather], id: 'weather/two-cities' })).toBe(weather);
    expect(agentFor({ agents: [greeter, weather], id: 'python-report' })).toBeUndefined();
  });

  it('a plain factory export covers every id; another export is an error naming the file', () => {
    const plain = agentDefinitionOf({ value: create, file: 'evals/eval_all.ts' });
    expect(plain).toEqual({ kind: 'looplet-agent', create });
    expect(agentDefinitionOf({ value: undefined, file: 'x.ts' })).toBeUndefined();
    expect(() => agentDefinitionOf({ value: 'agent', file: 'evals/eval_x.ts' })).toThrow(
      /evals\/eval_x\.ts: `agent` must be an agent factory or defineAgent/,
    );
  });

  it('two agents covering one id: AgentScopeError naming the id and both files (a configuration error)', () => {
    const everything = {
      definition: agentDefinitionOf({ value: create, file: 'x' })!,
      file: 'evals/eval_all.ts',
    };
    let error: unknown;
    try {
      agentFor({ agents: [greeter, weather, everything], id: 'greeter/alice' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AgentScopeError);
    expect((error as AgentScopeError).code).toBe('AGENT_SCOPE');
    expect((error as AgentScopeError).files).toEqual(['evals/eval_greeter.ts', 'evals/eval_all.ts']);
    expect((error as Error).message).toBe(
      'two agents cover "greeter/alice": the one exported by evals/eval_greeter.ts and the one exported by evals/eval_all.ts; give them scopes that do not overlap, e.g. defineAgent({ scope: \'greeter/**\', create })',
    );
  });
});
