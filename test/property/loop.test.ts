import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  fixedClock,
  type Hook,
  HookError,
  type RunResult,
  ScriptedLLM,
  sequentialIds,
  type Tool,
} from '../../src/index.js';
import { arbitraries as arb, hookFromSpec } from '../../src/testing/index.js';
import { defaultLawTools } from '../../src/testing/observe.js';
import { params, TIMEOUT } from './settings.js';

describe('tool calls of one response', () => {
  it(
    'results come back in call order, whatever order concurrent tools finish in',
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(fc.record({ tool: fc.constantFrom('fast', 'slow', 'serial'), n: fc.nat({ max: 99 }) }), {
            minLength: 1,
            maxLength: 6,
          }),
          async (scheduler, calls) => {
            const started: number[] = [];
            const concurrentTool = (name: string): Tool =>
              defineTool({
                name,
                description: name,
                parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
                concurrent: true,
                run: ({ n }) => {
                  started.push(n as number);
                  // The scheduler decides when each call finishes: every interleaving is tried.
                  return scheduler.schedule(Promise.resolve(`${name}:${String(n)}`), `${name}(${String(n)})`);
                },
              });
            const serial = defineTool({
              name: 'serial',
              description: 'serial',
              parameters: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
              run: ({ n }) => `serial:${String(n)}`,
            });
            const llm = new ScriptedLLM([
              { toolCalls: calls.map(({ tool, n }) => ({ name: tool, args: { n } })) },
              { toolCalls: [{ name: 'done', args: { summary: 'ok' } }] },
            ]);
            const seen: string[][] = [];
            const spy = {
              generate: (request: Parameters<ScriptedLLM['generate']>[0]) => {
                seen.push(request.messages.flatMap((m) => (m.role === 'tool' ? [m.content] : [])));
                return llm.generate(request);
              },
            };
            const run = agentLoop({
              llm: spy,
              tools: [concurrentTool('fast'), concurrentTool('slow'), serial],
              task: 't',
              ids: sequentialIds(),
            });
            const result = await scheduler.waitFor(run.result);
            const expected = calls.map(({ tool, n }) => `${tool}:${n}`);
            expect(result.steps[0]?.results.map((r) => r.data)).toEqual(expected);
            expect(result.steps[0]?.results.map((r) => r.callId)).toEqual(
              calls.map((_, i) => `call_${i + 1}`),
            );
            expect(seen[1]).toEqual(expected);
            // Calls start in call order, even when they run together.
            expect(started).toEqual(calls.filter((c) => c.tool !== 'serial').map((c) => c.n));
          },
        ),
        params('normal'),
      ),
    TIMEOUT,
  );
});

describe('onLoopEnd', () => {
  it(
    'runs exactly once for every hook, whatever throws (hooks, tools, the model), and the result says how it ended',
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.array(arb.hookSpec(), { maxLength: 3 }),
          arb.script({ tools: defaultLawTools(), failures: true }),
          fc.array(fc.boolean(), { maxLength: 8 }),
          fc.constantFrom('iterate', 'await', 'break'),
          async (specs, script, toolThrows, exit) => {
            const ends: number[] = specs.map(() => 0);
            const hooks: Hook[] = specs.map((spec, index) => {
              const generated = hookFromSpec({ ...spec, id: `g${index + 1}` });
              const onLoopEnd = generated.onLoopEnd;
              return {
                ...generated,
                onLoopEnd: (args) => {
                  ends[index]!++;
                  return onLoopEnd?.(args);
                },
              } as Hook;
            });
            let toolCalls = 0;
            const tools = defaultLawTools().map(
              (tool): Tool => ({
                ...tool,
                run: (args, ctx) => {
                  if (toolThrows[toolCalls++ % Math.max(1, toolThrows.length)]) throw new Error('tool broke');
                  return tool.run(args, ctx);
                },
              }),
            );
            const run = agentLoop({
              llm: new ScriptedLLM(script),
              tools,
              task: 't',
              hooks,
              clock: fixedClock(),
              ids: sequentialIds(),
            });
            let iterationError: unknown;
            try {
              if (exit === 'iterate') for await (const _ of run);
              if (exit === 'break') for await (const _ of run) break;
            } catch (error) {
              iterationError = error;
            }
            let result: RunResult | undefined;
            let rejection: unknown;
            try {
              result = await run.result;
            } catch (error) {
              rejection = error;
            }
            expect(ends).toEqual(specs.map(() => 1));
            if (rejection !== undefined) {
              // Only a hook throwing rejects the result, and the for-await threw the same error.
              expect(rejection).toBeInstanceOf(HookError);
              if (exit === 'iterate') expect(iterationError).toBe(rejection);
            } else {
              expect(iterationError).toBeUndefined();
              expect(result?.endReason).toBeDefined();
              if (result?.endReason === 'llm_error')
                expect(result.error?.message).toMatch(/overloaded|reset/);
            }
          },
        ),
        params('normal'),
      ),
    TIMEOUT,
  );
});
