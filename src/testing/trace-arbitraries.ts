import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { LLMBackend } from '../core/llm.js';
import type { Tool } from '../core/state.js';
import { ScriptedLLM } from '../llm/scripted.js';
import { agentLoop } from '../loop/agent-loop.js';
import type { RunResult } from '../loop/result.js';
import { fixedClock, sequentialIds } from '../loop/runtime.js';
import { ProvenanceSink } from '../provenance/sink.js';
import { hookSpec } from './hook-arbitraries.js';
import { type HookSpec, hookFromSpec } from './hook-spec.js';
import { defaultLawTools } from './observe.js';
import { type ScriptTurn, script } from './script-arbitraries.js';

/** What a generated trace is recorded from: a script and (non-throwing) generated hooks. */
export interface TraceRecipe {
  script: ScriptTurn[];
  hooks: HookSpec[];
}

/** The task every generated trace records. */
export const TRACE_TASK = { goal: 'answer from the generated script' };

/**
 * Recipes for traces: a terminating script (model failures included unless `failures: false`)
 * and up to two generated hooks that inject context, block, rewrite arguments or stop (they never
 * throw, so every recipe records a complete trace). Record one with {@link recordTrace}.
 */
export function traceRecipe({
  tools = defaultLawTools(),
  hooks = true,
  failures = true,
}: {
  tools?: readonly Tool[];
  hooks?: boolean;
  failures?: boolean;
} = {}): fc.Arbitrary<TraceRecipe> {
  return fc.record({
    script: script({ tools, failures, maxTurns: 4 }),
    hooks: hooks
      ? fc
          .array(
            hookSpec({
              throws: false,
              methods: ['prePrompt', 'preDispatch', 'postDispatch', 'onStep', 'shouldStop'],
            }),
            {
              maxLength: 2,
            },
          )
          .map((specs) => specs.map((spec, index) => ({ ...spec, id: `g${index + 1}` })))
      : fc.constant([]),
  });
}

/**
 * Records a recipe into a trace directory with `ProvenanceSink`, deterministically (fixed clock,
 * sequential ids), and returns the run's result. `llm` replaces the recipe's scripted model,
 * e.g. with a `ReplayLLM` of an earlier recording.
 */
export async function recordTrace({
  dir,
  recipe,
  tools = defaultLawTools(),
  llm,
}: {
  dir: string;
  recipe: TraceRecipe;
  tools?: readonly Tool[];
  llm?: LLMBackend;
}): Promise<RunResult> {
  const sink = new ProvenanceSink({ dir, clock: fixedClock() });
  const run = agentLoop({
    llm: sink.wrapLLM(llm ?? new ScriptedLLM(recipe.script)),
    tools,
    task: TRACE_TASK,
    hooks: [...recipe.hooks.map(hookFromSpec), sink.hook()],
    maxSteps: recipe.script.length + 1,
    clock: fixedClock(),
    ids: sequentialIds(),
  });
  const result = await run.result;
  await sink.flush();
  return result;
}

/** A value that does not belong where it is put: wrong types, and values too big to be sane. */
export type OddValue =
  | null
  | boolean
  | number
  | string
  | unknown[]
  | Record<string, unknown>
  | { huge: 'string' | 'array' | 'object' | 'depth' };

/** One way to damage a written trace directory. Files are picked by index (modulo) in sorted order. */
export type TraceCorruption =
  | { kind: 'truncate'; file: number; keep: number }
  | { kind: 'delete'; file: number }
  | { kind: 'empty'; file: number }
  | { kind: 'garbage'; file: number; text: string }
  | { kind: 'setValue'; file: number; at: number; value: OddValue }
  | { kind: 'schemaVersion'; version: number }
  | { kind: 'deleteDir'; dir: 'steps' | 'calls' }
  | { kind: 'rename'; file: number; to: string };

const oddValues: fc.Arbitrary<OddValue> = fc.oneof(
  fc.constantFrom<OddValue>(null, true, -1, 0, 1.5, 1e308, -0, 2 ** 53 + 1, '', 'surprise', [], {}),
  fc.constantFrom<OddValue>({ huge: 'string' }, { huge: 'array' }, { huge: 'object' }, { huge: 'depth' }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<OddValue>,
);

/**
 * Damage to apply to a trace directory: truncated files, missing files and directories, empty
 * files, garbage bytes, fields of the wrong type or absurd size (a 2 MB string, 200,000-item
 * arrays, 100,000-deep nesting), future or nonsense schema versions, renamed step files.
 */
export function traceCorruption(): fc.Arbitrary<TraceCorruption> {
  const file = fc.nat();
  return fc.oneof(
    fc.record({
      kind: fc.constant('truncate' as const),
      file,
      keep: fc.double({ min: 0, max: 0.999, noNaN: true }),
    }),
    fc.record({ kind: fc.constant('delete' as const), file }),
    fc.record({ kind: fc.constant('empty' as const), file }),
    fc.record({
      kind: fc.constant('garbage' as const),
      file,
      text: fc.string({ unit: 'binary', maxLength: 40 }),
    }),
    fc.record({ kind: fc.constant('setValue' as const), file, at: fc.nat(), value: oddValues }),
    fc.record({
      kind: fc.constant('schemaVersion' as const),
      version: fc.oneof(fc.integer({ min: 2, max: 1_000_000 }), fc.constantFrom(0, -1, 1.5)),
    }),
    fc.record({
      kind: fc.constant('deleteDir' as const),
      dir: fc.constantFrom('steps' as const, 'calls' as const),
    }),
    fc.record({
      kind: fc.constant('rename' as const),
      file,
      to: fc.constantFrom('1.json', '0000.json', 'x.json'),
    }),
  );
}

/** A recipe and one to three corruptions to apply once it is recorded (see {@link writeCorruptedTrace}). */
export interface CorruptedTraceSpec {
  recipe: TraceRecipe;
  corruptions: TraceCorruption[];
}

/** Trace directories to damage: a recipe to record, then the corruptions to apply. */
export function corruptedTrace(
  options: Parameters<typeof traceRecipe>[0] = {},
): fc.Arbitrary<CorruptedTraceSpec> {
  return fc.record({
    recipe: traceRecipe(options),
    corruptions: fc.array(traceCorruption(), { minLength: 1, maxLength: 3 }),
  });
}

/** Records the spec's recipe into `dir`, then damages it; returns what was done, in order. */
export async function writeCorruptedTrace({
  dir,
  spec,
  tools,
}: {
  dir: string;
  spec: CorruptedTraceSpec;
  tools?: readonly Tool[];
}): Promise<string[]> {
  await recordTrace({ dir, recipe: spec.recipe, ...(tools ? { tools } : {}) });
  return spec.corruptions.map((corruption) => corruptTrace({ dir, corruption }));
}

/** Every file under `dir`, as sorted paths relative to it. */
export function traceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out;
}

const HUGE_MARKER = '"__looplet_huge__"';
const HUGE_KINDS = ['string', 'array', 'object', 'depth'] as const;
const MAX_PATHS = 10_000;
const MAX_PATH_DEPTH = 64;

function hugeText(kind: 'string' | 'array' | 'object' | 'depth'): string {
  switch (kind) {
    case 'string':
      return JSON.stringify('x'.repeat(2_000_000));
    case 'array':
      return `[${new Array(200_000).fill('0').join(',')}]`;
    case 'object':
      return `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    case 'depth':
      return `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  }
}

/** The JSON text for an odd value (huge ones written directly: they would be slow or impossible to build). */
function withOddValue(document: unknown, at: number, value: OddValue): string {
  const kind = typeof value === 'object' && value !== null && 'huge' in value ? value.huge : undefined;
  const huge = HUGE_KINDS.find((candidate) => candidate === kind);
  const placed = huge === undefined ? value : '__looplet_huge__';
  // Iterative, and capped: the document may be one an earlier corruption made absurdly deep or wide.
  const paths: Array<Array<string | number>> = [[]];
  const pending: Array<[unknown, Array<string | number>]> = [[document, []]];
  while (pending.length > 0 && paths.length < MAX_PATHS) {
    const [node, at] = pending.pop()!;
    if (typeof node !== 'object' || node === null || at.length >= MAX_PATH_DEPTH) continue;
    const entries: Array<[string | number, unknown]> = Array.isArray(node)
      ? node.map((item, index) => [index, item])
      : Object.entries(node);
    for (const [key, item] of entries) {
      paths.push([...at, key]);
      pending.push([item, [...at, key]]);
    }
  }
  const target = paths[at % paths.length]!;
  let root: unknown = document;
  if (target.length === 0) root = placed;
  else {
    let parent = document as Record<string | number, unknown>;
    for (const key of target.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[target.at(-1)!] = placed;
  }
  let text: string;
  try {
    text = JSON.stringify(root, null, 2);
  } catch {
    // Too deep to serialise (an earlier corruption nested it): the odd value replaces the whole file.
    text = JSON.stringify(placed);
  }
  return huge === undefined ? text : text.replace(HUGE_MARKER, hugeText(huge));
}

/** Applies one corruption to a trace directory; returns what it did, for counterexamples. */
export function corruptTrace({ dir, corruption }: { dir: string; corruption: TraceCorruption }): string {
  const files = traceFiles(dir);
  if (corruption.kind === 'deleteDir') {
    rmSync(path.join(dir, corruption.dir), { recursive: true, force: true });
    return `deleted ${corruption.dir}/`;
  }
  if (corruption.kind === 'schemaVersion') {
    const file = path.join(dir, 'trace.json');
    try {
      const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...meta, schemaVersion: corruption.version }, null, 2));
      return `set trace.json schemaVersion to ${corruption.version}`;
    } catch {
      return 'trace.json was already unreadable';
    }
  }
  if (files.length === 0) return 'nothing left to corrupt';
  const name = files[corruption.file % files.length]!;
  const full = path.join(dir, name);
  switch (corruption.kind) {
    case 'truncate': {
      const text = readFileSync(full);
      const keep = Math.floor(text.length * corruption.keep);
      writeFileSync(full, text.subarray(0, keep));
      return `truncated ${name} to ${keep} of ${text.length} bytes`;
    }
    case 'delete':
      rmSync(full);
      return `deleted ${name}`;
    case 'empty':
      writeFileSync(full, '');
      return `emptied ${name}`;
    case 'garbage':
      writeFileSync(full, Buffer.from(corruption.text, 'latin1'));
      return `replaced ${name} with ${corruption.text.length} garbage bytes`;
    case 'rename': {
      const to = path.join(path.dirname(full), corruption.to);
      renameSync(full, to);
      return `renamed ${name} to ${path.relative(dir, to)}`;
    }
    case 'setValue': {
      let document: unknown;
      try {
        document = JSON.parse(readFileSync(full, 'utf8'));
      } catch {
        document = null;
      }
      writeFileSync(full, withOddValue(document, corruption.at, corruption.value));
      const shown = JSON.stringify(corruption.value);
      return `put ${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown} at value #${corruption.at} of ${name}`;
    }
  }
}
