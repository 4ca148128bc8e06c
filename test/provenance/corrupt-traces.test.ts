import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoopletError, readTrace } from '../../src/index.js';
import { diffTraces } from '../../src/provenance/diff.js';
import { validateTraceDir } from '../../src/provenance/validate.js';
import { tempDir } from './helpers.js';

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => statSync(path.join(dir, file)).isFile())
    .sort();
}

/** Reads everything a trace holds, the way show, diff and replay do. */
async function readAll(dir: string): Promise<void> {
  const trace = await readTrace(dir);
  for await (const _ of trace.steps());
  for await (const _ of trace.calls());
  trace.readVolatile();
  for await (const _ of diffTraces({ a: trace, b: trace, includeVolatile: true }));
}

const damage = fc.record({
  file: fc.nat(),
  at: fc.nat({ max: 1_000_000 }),
  kind: fc.constantFrom('cut', 'flip', 'insert', 'retype'),
  text: fc.constantFrom('', '"', '{', ']', 'null', '-1', '1e999', '"x"', '[]', '{"a":'),
});

describe('damaged traces', () => {
  for (const source of ['traces/greeter/alice', 'traces/python-report']) {
    it(`never crash the reader or validate with anything but a typed error (${source})`, async () => {
      const files = filesOf(source);
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 3 }), async (damages) => {
          const dir = path.join(tempDir(), 'trace');
          cpSync(source, dir, { recursive: true });
          for (const { file, at, kind, text } of damages) {
            const target = path.join(dir, files[file % files.length]!);
            const content = readFileSync(target, 'utf8');
            const cut = at % (content.length + 1);
            const damaged =
              kind === 'cut'
                ? content.slice(0, cut)
                : kind === 'flip'
                  ? `${content.slice(0, cut)}${String.fromCharCode((content.charCodeAt(cut) || 32) ^ 1)}${content.slice(cut + 1)}`
                  : kind === 'insert'
                    ? `${content.slice(0, cut)}${text}${content.slice(cut)}`
                    : content.replace(/: (\d+|"[^"]*"|true|false|null)/, `: ${text || '{}'}`);
            writeFileSync(target, damaged);
          }
          let failed = false;
          try {
            await readAll(dir);
          } catch (error) {
            failed = true;
            refused++;
            // A damaged trace is a LoopletError (TraceReadError, TraceVersionError), never a crash.
            expect(error, String((error as Error).stack)).toBeInstanceOf(LoopletError);
            expect((error as Error).message).toContain(dir);
          }
          // validate rejects whatever the reader refused, saying why.
          const validation = validateTraceDir({ dir });
          if (failed) {
            expect(validation.valid).toBe(false);
            expect(validation.problems.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: 150, seed: 20250101 },
      );
      // The damage reached the reader: some runs were refused (else the checks above never ran).
      expect(refused).toBeGreaterThan(0);
    });
  }
});
