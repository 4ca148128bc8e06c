import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CaseInfo, ScopedAgent } from '../evals/agent.js';
import { type RunScoring, runAndScore, type ScoredRun } from '../evals/agent-run.js';
import type { Collector } from '../evals/collectors.js';
import type { EvalSource } from '../evals/types.js';
import { ReplayLLM } from '../provenance/replay.js';
import { ProvenanceSink } from '../provenance/sink.js';
import type { RecordedTrace } from '../provenance/types.js';
import type { ReplayStrictness, RunRecord } from '../report/run-record.js';

/** What a replay runs: a trace (or a case's trace) with the task, case info and expectations the agent and evals get. */
export interface ReplayTarget {
  /** Trace or case id. */
  id: string;
  trace: RecordedTrace;
  info: CaseInfo;
  expected: Record<string, unknown>;
  source: EvalSource;
}

/** Where replayed runs are written (when they diverged or had warnings), under the project root. */
export function replaysDir(root: string): string {
  return path.join(root, '.looplet', 'replays');
}

/** A project-relative path with `/` separators, as reports show it. */
export function relativePath({ root, file }: { root: string; file: string }): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/**
 * Replays a recorded run through the agent as it is now: the recorded model answers, fresh
 * tools, hooks and collectors, scored by the evals. A run that diverged or had warnings is
 * written as a trace under `.looplet/replays/<id>` for `looplet diff` (recording costs little
 * beside the run; writing is kept for the runs someone will look at).
 */
export async function replayThroughAgent({
  target,
  agent,
  mode,
  collectors,
  scoring,
  root,
}: {
  target: ReplayTarget;
  agent: ScopedAgent;
  mode: ReplayStrictness;
  collectors: readonly Collector[];
  scoring: RunScoring;
  root: string;
}): Promise<{ scored: ScoredRun; run: RunRecord }> {
  const { trace } = target;
  const llm = ReplayLLM.fromTrace(trace, { mode: 'replay', strictness: mode });
  const outDir = path.join(replaysDir(root), ...target.id.split('/'));
  const sink = new ProvenanceSink({ dir: outDir });
  const scored = await runAndScore({
    ...scoring,
    agent: agent.definition.create,
    llm: sink.wrapLLM(llm),
    info: target.info,
    hooks: [sink.hook()],
    collectors,
    expected: target.expected,
    source: target.source,
    finish: (state) => llm.finish(state),
  });
  const warnings = [...llm.warnings];
  const run: RunRecord = {
    id: target.id,
    origin: 'replayed',
    trace: relativePath({ root, file: trace.dir }),
    agentFile: agent.file,
    replay: { mode, check: llm.check === 'tool-calls' ? 'tool-calls' : 'request', warnings },
    endReason: scored.result?.endReason ?? 'llm_error',
    steps: scored.result?.steps.length ?? 0,
  };
  if (scored.divergence) run.replay!.diverged = scored.divergence;
  if (scored.error && !scored.divergence)
    run.error = {
      kind: 'agent',
      message: `the agent of ${agent.file} failed on ${target.id} (${run.trace}): ${scored.error.message}`,
    };
  if (scored.divergence || warnings.length > 0) {
    const written = await writeReplayedRun({ sink, root });
    if (written) run.replayedTrace = written;
  } else {
    // A replay that matches again leaves no stale copy behind for `looplet diff` to mislead with.
    await rm(outDir, { recursive: true, force: true });
  }
  return { scored, run };
}

/** Writes the replayed run; undefined when it cannot be (an agent factory that dropped the hooks never ends the sink's run). */
async function writeReplayedRun({
  sink,
  root,
}: {
  sink: ProvenanceSink;
  root: string;
}): Promise<string | undefined> {
  if (!sink.result) return undefined;
  const dir = replaysDir(root);
  await mkdir(dir, { recursive: true });
  // Like the cache, the directory ignores itself: replayed runs are for looking at, not committing.
  await writeFile(path.join(dir, '.gitignore'), '# replayed runs written by looplet-eval\n*\n');
  await sink.flush();
  return relativePath({ root, file: sink.dir });
}
