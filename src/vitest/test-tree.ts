import path from 'node:path';
import type { RunnerTask, RunnerTestCase, RunnerTestFile, RunnerTestSuite } from 'vitest';
import type { SelectedEval } from '../evals/marks.js';
import { replayTestName, testName } from './meta.js';
import type { ChunkPlan } from './plan.js';
import { escapeRegExp } from './plan-run.js';

/** The suite of a chunk's replay tests, inside the eval file that exports the agent. */
export const REPLAY_SUITE = 'replay';

/**
 * The shape of a chunk's tests, as reporters and @vitest/ui show them: what users wrote, not how
 * looplet split the work. Under the chunk file, one suite per eval file (its path), in it one
 * suite per eval, in that one test per trace or case (`eval_name › id`); the `replay › id` tests
 * sit in a `replay` suite inside the eval file that exports the agent. When the vitest file *is*
 * the eval file (`--ui`), its evals' suites sit directly under it, and each suite and test points
 * at the line that defines its eval, so the Code tab opens there.
 *
 * Test names stay `eval_name › id`, whatever the suites: `-t` matches vitest's full name (file,
 * suites, test), so a pattern that picked a test before still picks it.
 */
export class ChunkTree {
  readonly #file: RunnerTestFile;
  readonly #root: string;
  readonly #timeout: number;
  /** Suites by eval file (relative path), then by name within it. */
  readonly #suites = new Map<string, { suite: RunnerTestSuite; children: Map<string, RunnerTestSuite> }>();
  /** `--ui`: the vitest file is this eval file (relative path), and its source. */
  readonly #own: { file: string; source: string } | undefined;

  constructor({
    file,
    plan,
    timeout,
    ownSource,
  }: {
    file: RunnerTestFile;
    plan: Pick<ChunkPlan, 'root' | 'index' | 'count'>;
    timeout: number;
    /** Set when the vitest file is an eval file (`--ui`): that file's source. */
    ownSource?: string;
  }) {
    this.#file = file;
    this.#root = plan.root;
    this.#timeout = timeout;
    if (ownSource !== undefined) {
      this.#own = { file: this.#relative(file.filepath), source: ownSource };
      return;
    }
    // Named for people, not after the generated file vitest runs (`.looplet/cache/run-…/evals-1-of-3.looplet.mjs`).
    file.name = plan.count === 1 ? 'looplet evals' : `looplet evals ${plan.index}/${plan.count}`;
    file.fullName = file.name;
  }

  /**
   * Where an eval is defined in the vitest file (1-based line and column), when the vitest file
   * is its eval file and the definition is an `export function`/`export const` of that name.
   */
  locate(evalName: string): { line: number; column: number } | undefined {
    if (!this.#own) return undefined;
    const pattern = new RegExp(
      `^([ \\t]*export\\s+(?:async\\s+)?(?:function\\*?|const|let|var)\\s+)${escapeRegExp(evalName)}\\b`,
      'm',
    );
    const match = pattern.exec(this.#own.source);
    if (!match) return undefined;
    const before = this.#own.source.slice(0, match.index);
    const line = before.split('\n').length;
    return { line, column: (match[1]?.length ?? 0) + 1 };
  }

  /** Adds the test of one eval on one trace or case, under its eval file › eval. */
  evalTest({ choice, contextId }: { choice: SelectedEval; contextId: string }): RunnerTestCase {
    const definition = choice.eval;
    const file = definition.file ? this.#relative(definition.file) : '(evals)';
    const suite = this.#suite(file, definition.name);
    const skip = definition.marks.skip !== undefined && !definition.marks.required;
    const test = this.#test({ suite, name: testName({ evalName: definition.name, contextId }), skip });
    const location = this.locate(definition.name);
    if (location) {
      suite.location = location;
      test.location = location;
    }
    return test;
  }

  /** Adds the `replay › id` test of a replayed run, under the agent's eval file › `replay`. */
  replayTest({ agentFile, contextId }: { agentFile: string; contextId: string }): RunnerTestCase {
    return this.#test({
      suite: this.#suite(agentFile, REPLAY_SUITE),
      name: replayTestName(contextId),
      skip: false,
    });
  }

  /**
   * Every suite, innermost first, with the result its tests give it: failed when one failed,
   * skipped when all were, passed otherwise. Only suites whose tests all finished are returned
   * (vitest sends a suite's result once).
   */
  finish({ startTime }: { startTime: number }): RunnerTestSuite[] {
    const done: RunnerTestSuite[] = [];
    const settle = (suite: RunnerTestSuite): void => {
      const states = suite.tasks.map((task) => task.result?.state);
      suite.result = {
        startTime,
        duration: suite.tasks.reduce((sum, task) => sum + (task.result?.duration ?? 0), 0),
        state: states.includes('fail')
          ? 'fail'
          : states.every((state) => state === 'skip' || state === undefined)
            ? 'skip'
            : 'pass',
      };
      done.push(suite);
    };
    for (const { suite, children } of this.#suites.values()) {
      for (const child of children.values()) settle(child);
      // The file itself gets its result from vitest.
      if (suite !== this.#file) settle(suite);
    }
    return done;
  }

  #relative(file: string): string {
    return path.relative(this.#root, file).split(path.sep).join('/');
  }

  /** The suite `name` inside the suite of eval file `file`, created (in that order) on first use. */
  #suite(file: string, name: string): RunnerTestSuite {
    let entry = this.#suites.get(file);
    if (!entry) {
      // The vitest file is this eval file (`--ui`): its evals' suites go directly under it.
      const own = this.#own?.file === file;
      entry = { suite: own ? this.#file : newSuite({ parent: this.#file, name: file }), children: new Map() };
      this.#suites.set(file, entry);
      if (!own) this.#file.tasks.push(entry.suite);
    }
    let suite = entry.children.get(name);
    if (!suite) {
      suite = newSuite({ parent: entry.suite, name });
      entry.children.set(name, suite);
      // The replays come first in their file: they are what every eval there scores.
      if (name === REPLAY_SUITE) entry.suite.tasks.unshift(suite);
      else entry.suite.tasks.push(suite);
    }
    return suite;
  }

  /**
   * A vitest test task, made directly: vitest's `test()` captures a stack trace per call for the
   * test's location; at thousands of traces that, not scoring, would dominate the run — and an
   * eval × trace test has no line of its own in the chunk file anyway.
   */
  #test({ suite, name, skip }: { suite: RunnerTestSuite; name: string; skip: boolean }): RunnerTestCase {
    const test = {
      id: '',
      name,
      fullName: `${suite.fullName} > ${name}`,
      fullTestName: `${suite.fullTestName} > ${name}`,
      suite,
      file: this.#file,
      type: 'test',
      mode: skip ? 'skip' : 'run',
      meta: Object.create(null),
      annotations: [],
      artifacts: [],
      tags: [],
      timeout: this.#timeout,
      retry: 0,
      context: undefined,
    } as unknown as RunnerTestCase;
    suite.tasks.push(test);
    return test;
  }
}

function newSuite({ parent, name }: { parent: RunnerTestSuite; name: string }): RunnerTestSuite {
  const isFile = parent.file === parent;
  return {
    id: '',
    name,
    fullName: `${parent.fullName} > ${name}`,
    fullTestName: isFile ? name : `${parent.fullTestName} > ${name}`,
    type: 'suite',
    mode: 'run',
    suite: parent,
    file: parent.file,
    tasks: [] as RunnerTask[],
    meta: Object.create(null),
    tags: [],
  } as RunnerTestSuite;
}
