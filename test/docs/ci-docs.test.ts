// docs/ci.md's workflows are copied into users' repositories as they are: each must be a workflow
// whose jobs can run (a job's event condition is one of the triggers), and each looplet-eval
// command must use flags the CLI has, a shard exiting 0 on its partial results.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI } from '../vitest/support.js';

const doc = readFileSync(new URL('../../docs/ci.md', import.meta.url), 'utf8');

interface Job {
  if?: string;
  needs?: string | string[];
  steps?: Array<{ run?: string }>;
}

interface Workflow {
  on?: string | string[] | Record<string, unknown>;
  jobs: Record<string, Job>;
}

/**
 * The YAML blocks as workflows. A block of bare jobs ("one more job") is added to the workflow
 * before it, as a reader would paste it.
 */
function workflows(): Workflow[] {
  const found: Workflow[] = [];
  for (const [, block = ''] of doc.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const parsed = parse(block) as Record<string, unknown>;
    if ('jobs' in parsed) found.push(parsed as unknown as Workflow);
    else {
      const last = found.at(-1);
      if (!last) throw new Error(`a block of jobs before any workflow:\n${block}`);
      Object.assign(last.jobs, parsed);
    }
  }
  return found;
}

function triggers(workflow: Workflow): string[] {
  const on = workflow.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on;
  return Object.keys(on ?? {});
}

/** Every `npx looplet-eval …` command in the workflows. */
function commands(): string[] {
  return workflows().flatMap((workflow) =>
    Object.values(workflow.jobs).flatMap((job) =>
      (job.steps ?? []).flatMap((step) =>
        (step.run ?? '').split('\n').filter((line) => line.includes('npx looplet-eval')),
      ),
    ),
  );
}

describe('docs/ci.md', () => {
  it('has workflows whose jobs can all run: an event a job waits for is a trigger of its workflow', () => {
    const all = workflows();
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const workflow of all) {
      const events = triggers(workflow);
      expect(events.length).toBeGreaterThan(0);
      for (const [name, job] of Object.entries(workflow.jobs)) {
        for (const [, event] of (job.if ?? '').matchAll(/github\.event_name\s*==\s*'([a-z_]+)'/g))
          expect(events, `job ${name} runs on ${event} only`).toContain(event);
        for (const needed of [job.needs ?? []].flat())
          expect(Object.keys(workflow.jobs), `job ${name} needs ${needed}`).toContain(needed);
      }
    }
  });

  it('uses only flags looplet-eval has; each shard exits 0 on its part (--fail-on never) and writes a blob', () => {
    const help = [
      execFileSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }),
      execFileSync(process.execPath, [CLI, 'baseline', '--help'], { encoding: 'utf8' }),
    ].join('\n');
    const lines = commands();
    expect(lines.some((line) => line.includes('--shard'))).toBe(true);
    for (const line of lines) {
      for (const [flag] of line.matchAll(/--[a-z-]+/g)) expect(help, line).toContain(` ${flag} `);
      if (line.includes('--shard')) {
        expect(line).toContain('--reporter blob');
        expect(line).toContain('--fail-on never');
      }
    }
  });
});
