import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type LLMRequest,
  type Message,
  readTrace,
  ScriptedLLM,
  TraceReadError,
  TraceVersionError,
} from '../../src/index.js';
import { GREETER_SCRIPT, greet, recordGreeter, recordRun, tempDir, thrownBy } from './helpers.js';

function edit(dir: string, file: string, change: (json: Record<string, unknown>) => void): void {
  const full = path.join(dir, file);
  const json = JSON.parse(readFileSync(full, 'utf8')) as Record<string, unknown>;
  change(json);
  writeFileSync(full, JSON.stringify(json));
}

describe('readTrace (format v1)', () => {
  it('reads back the metadata, artifacts, expected data and every step as the run produced them', async () => {
    const dir = path.join(tempDir(), 'trace');
    const { result, sink } = await recordRun({ dir, llm: new ScriptedLLM(GREETER_SCRIPT) });
    expect(sink.result).toBe(result);
    const trace = await readTrace(dir);
    expect(trace.meta).toMatchObject({
      source: 'looplet',
      endReason: result.endReason,
      stepCount: 2,
      callCount: 2,
      finalOutput: result.finalOutput,
    });
    expect(trace.artifacts).toEqual({});
    expect(trace.expected).toEqual({});
    const steps = [];
    for await (const step of trace.steps()) steps.push(step);
    // Durations come back from volatile.json.
    expect(steps).toEqual(result.steps.map((step) => step.toJSON()));
    expect(await trace.readStep(2)).toEqual(trace.readStep(2));
  });

  it('reconstructs the full request of every call, equal to what the model was sent', async () => {
    const sent: Message[][] = [];
    const dir = path.join(tempDir(), 'trace');
    const turns = GREETER_SCRIPT.map((turn) => (request: LLMRequest) => {
      sent.push(structuredClone([...request.messages]));
      return new ScriptedLLM([turn]).generate(request);
    });
    await recordRun({ dir, llm: new ScriptedLLM(turns) });
    const trace = await readTrace(dir);
    const calls = [];
    for await (const call of trace.calls()) calls.push(call);
    expect(calls.map((call) => call.request.messages)).toEqual(sent);
    expect(calls[0]!.request.tools.map((tool) => tool.name)).toEqual(['greet', 'done']);
    expect(calls[0]!.response?.toolCalls).toHaveLength(2);
    expect(calls[1]!.step).toBe(2);
    // Random access follows the base links back to the full request.
    const fresh = await readTrace(dir);
    expect(fresh.readCall(2).request.messages).toEqual(sent[1]);
  });

  it('reads steps lazily: a damaged step file fails only when that step is read', async () => {
    const dir = await recordGreeter();
    rmSync(path.join(dir, 'steps/0002.json'));
    const trace = await readTrace(dir);
    expect(trace.readStep(1).index).toBe(1);
    expect(() => trace.readStep(2)).toThrow(TraceReadError);
    expect(() => trace.readStep(2)).toThrow(/steps\/0002\.json: is missing/);
    expect(() => trace.readStep(3)).toThrow(/there is no step 3: the trace has 2 step/);
  });

  it('rejects a directory without trace.json, naming what is missing', async () => {
    const dir = await recordGreeter();
    rmSync(path.join(dir, 'trace.json'));
    expect(() => readTrace(dir)).toThrow(/trace\.json: is missing: the directory holds part of a trace/);
    expect(() => readTrace(path.join(dir, 'nowhere'))).toThrow(/does not exist/);
    expect(() => readTrace(tempDir())).toThrow(/not a trace directory/);
  });

  it('tells a truncated file from a corrupt one', async () => {
    const dir = await recordGreeter();
    const file = path.join(dir, 'trace.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length / 2));
    expect(() => readTrace(dir)).toThrow(/trace\.json: is truncated/);
    writeFileSync(file, `${text}}`);
    expect(() => readTrace(dir)).toThrow(/trace\.json: is not valid JSON/);
    writeFileSync(file, '');
    expect(() => readTrace(dir)).toThrow(/trace\.json: is empty/);
  });

  it('names the file and the field of a value of the wrong type', async () => {
    const dir = await recordGreeter();
    edit(dir, 'steps/0001.json', (step) => {
      (step.results as Array<Record<string, unknown>>)[1]!.name = 42;
    });
    const trace = await readTrace(dir);
    const error = (() => {
      try {
        trace.readStep(1);
      } catch (caught) {
        return caught as TraceReadError;
      }
    })();
    expect(error).toBeInstanceOf(TraceReadError);
    expect(error?.file).toBe(path.join(dir, 'steps/0001.json'));
    expect(error?.field).toBe('results[1].name');
    expect(error?.message).toMatch(/results\[1\]\.name\): must be string/);

    edit(dir, 'trace.json', (meta) => {
      meta.endReason = 'finished';
    });
    expect(() => readTrace(dir)).toThrow(/field endReason.*must be one of done, max_steps/);
  });

  it('rejects counts that are not finite integers (1e999 parses as Infinity)', async () => {
    const dir = await recordGreeter();
    const file = path.join(dir, 'trace.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"callCount": 2', '"callCount": 1e999'));
    expect(() => readTrace(dir)).toThrow(/field callCount\): must be integer/);
  });

  it('rejects a trace written by a newer looplet with an upgrade hint', async () => {
    const dir = await recordGreeter();
    edit(dir, 'trace.json', (meta) => {
      meta.schemaVersion = 2;
    });
    const error = thrownBy(() => readTrace(dir));
    expect(error).toBeInstanceOf(TraceVersionError);
    expect((error as TraceVersionError).message).toMatch(/written by a newer looplet.*upgrade/);
  });

  it('migrates an older version through the registered migrations, file by file', async () => {
    const dir = await recordGreeter();
    // A made-up version 0 that called the step index "number".
    edit(dir, 'trace.json', (meta) => {
      meta.schemaVersion = 0;
    });
    edit(dir, 'steps/0001.json', (step) => {
      step.number = step.index;
      delete step.index;
    });
    expect(() => readTrace(dir)).toThrow(/no migration from it is registered/);
    const migrations = [
      {
        from: 0,
        meta: (raw: Record<string, unknown>) => ({ ...raw, schemaVersion: 1 }),
        step: ({ number, ...rest }: Record<string, unknown>) => ({ ...rest, index: number }),
      },
    ];
    const trace = await readTrace({ dir, migrations });
    expect(trace.meta.schemaVersion).toBe(1);
    expect(trace.readStep(1).index).toBe(1);
  });

  it('rejects a step whose index does not match its file', async () => {
    const dir = await recordGreeter();
    edit(dir, 'steps/0002.json', (step) => {
      step.index = 7;
    });
    const trace = await readTrace(dir);
    expect(() => trace.readStep(2)).toThrow(/field index\): is 7, but the file is step 2/);
  });

  it('numbers files with more digits when a trace has 10,000 steps or more', async () => {
    const { stepFile, callFile } = await import('../../src/provenance/layout.js');
    expect(stepFile(7, 12)).toBe('steps/0007.json');
    expect(stepFile(7, 10_000)).toBe('steps/00007.json');
    expect(callFile(12_345, 12_345)).toBe('calls/12345.json');
    void greet;
  });
});
