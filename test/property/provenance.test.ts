import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LoopletError, ReplayLLM, readTrace, TraceReadError, TraceVersionError } from '../../src/index.js';
import { arbitraries as arb, recordTrace, writeCorruptedTrace } from '../../src/testing/index.js';
import { traceFiles } from '../../src/testing/trace-arbitraries.js';
import { params, TIMEOUT } from './settings.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'looplet-property-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let made = 0;
/** A fresh directory path under the suite's temporary root (not created: the sink creates it). */
function freshDir(): string {
  return path.join(root, `t${++made}`);
}

/** Every file of a trace but volatile.json (times, host, run id), as text. */
function stableFiles(dir: string): Record<string, string> {
  return Object.fromEntries(
    traceFiles(dir)
      .filter((file) => file !== 'volatile.json')
      .map((file) => [file, readFileSync(path.join(dir, file), 'utf8')]),
  );
}

describe('record → replay → re-record', () => {
  it(
    'gives byte-identical traces for any generated script and hooks, and replay reproduces the steps',
    () =>
      fc.assert(
        fc.asyncProperty(arb.trace(), async (recipe) => {
          const first = freshDir();
          const recorded = await recordTrace({ dir: first, recipe });
          const second = freshDir();
          const replayed = await recordTrace({ dir: second, recipe, llm: ReplayLLM.fromTrace(first) });
          expect(stableFiles(second)).toEqual(stableFiles(first));
          expect(replayed.endReason).toBe(recorded.endReason);

          // The trace's steps are the run's steps, and replaying gives them again.
          const trace = await readTrace(first);
          const fromTrace = [];
          for await (const step of trace.steps()) fromTrace.push(step);
          expect(fromTrace).toEqual(JSON.parse(JSON.stringify(recorded.steps)));
          expect(JSON.parse(JSON.stringify(replayed.steps))).toEqual(fromTrace);
          expect(trace.meta.endReason).toBe(recorded.endReason);
          rmSync(first, { recursive: true });
          rmSync(second, { recursive: true });
        }),
        params('heavy'),
      ),
    TIMEOUT,
  );
});

/** Reads everything a trace holds, the way `show`, `diff` and evals do. */
async function readEverything(dir: string): Promise<void> {
  const trace = await readTrace(dir);
  void trace.meta.task;
  void trace.artifacts;
  void trace.expected;
  trace.readVolatile();
  for await (const _ of trace.steps());
  for await (const _ of trace.calls());
  for (let index = 1; index <= Math.min(trace.meta.stepCount, 3); index++) trace.readStep(index);
}

describe('the trace reader on corrupted directories', () => {
  it(
    'returns a typed error naming the file (or reads what is still valid), never crashes',
    () =>
      fc.assert(
        fc.asyncProperty(arb.corruptedTrace(), async (spec) => {
          const dir = freshDir();
          await writeCorruptedTrace({ dir, spec });
          try {
            await readEverything(dir);
          } catch (error) {
            // Anything else (TypeError, RangeError…) is the reader crashing on bad input.
            expect(error).toBeInstanceOf(LoopletError);
            expect([TraceReadError, TraceVersionError].some((type) => error instanceof type)).toBe(true);
            expect((error as Error).message).toContain(dir);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        params('heavy'),
      ),
    TIMEOUT,
  );
});
