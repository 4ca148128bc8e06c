import type { RunnerTask, RunnerTestCase, RunnerTestFile, RunnerTestSuite } from 'vitest';
import type { SelectedEval } from '../evals/marks.js';
import { replayTestName, testName } from './meta.js';
import type { ChunkPlan } from './plan.js';
import { escapeRegExp } from './plan-run.js';

/** The suite of a chunk's `replay › id` tests (under --ui, in the eval file that exports the agent). */
export const REPLAY_SUITE = 'replay';

/**
 * The shape of a chunk's tests, as reporters and @vitest/ui show them: what users wrote, not how
 * looplet split the work. One suite per eval, in it one test per trace or case (`eval_name › id`);
 * the `replay › id` tests sit in a `replay` suite. Under `--ui` the vitest file *is* the eval file
 * (so the list reads eval file › eval › test), and each suite and test points at the line that
 * defines its eval, so the Code tab opens there.
 *
 * Test names stay `eval_name › id`. `-t` matches vitest's full name (file, suites, test): the
 * suites add only the eval's name, which the test name holds already, and a chunk file is named
 * `looplet evals` (not its generated path), so a pattern picks the tests it picked before.
 */
export class ChunkTree {
  readonly #file: RunnerTestFile;
  readonly #timeout: number;
  /** The evals' suites (and `replay`) by name. */
  readonly #suites = new Map<string, RunnerTestSuite>();
  /** `--ui`: the source of the eval file the vitest file is. */
  readonly #ownSource: string | undefined;

  constructor({
    file,
    plan,
    timeout,
    ownSource,
  }: {
    file: RunnerTestFile;
    plan: Pick<ChunkPlan, 'index' | 'count'>;
    timeout: number;
    /** Set when the vitest file is an eval file (`--ui`): that file's source. */
    ownSource?: string;
  }) {
    this.#file = file;
    this.#timeout = timeout;
    this.#ownSource = ownSource;
    if (ownSource !== undefined) return;
    // Named for people, not after the generated file vitest runs (`.looplet/cache/run-…/evals-1-of-3.looplet.mjs`).
    file.name = plan.count === 1 ? 'looplet evals' : `looplet evals ${plan.index}/${plan.count}`;
    file.fullName = file.name;
  }

  /**
   * Where an eval is defined in the vitest file (1-based line and column), when the vitest file
   * is its eval file and the definition is an `export function`/`export const` of that name.
   */
  locate(evalName: string): { line: number; column: number } | undefined {
    if (this.#ownSource === undefined) return undefined;
    const pattern = new RegExp(
      `^([ \\t]*export\\s+(?:async\\s+)?(?:function\\*?|const|let|var)\\s+)${escapeRegExp(evalName)}\\b`,
      'm',
    );
    const match = pattern.exec(this.#ownSource);
    if (!match) return undefined;
    const before = this.#ownSource.slice(0, match.index);
    const line = before.split('\n').length;
    return { line, column: (match[1]?.length ?? 0) + 1 };
  }

  /** Adds the test of one eval on one trace or case, in its eval's suite. */
  evalTest({ choice, contextId }: { choice: SelectedEval; contextId: string }): RunnerTestCase {
    const definition = choice.eval;
    const suite = this.#suite(definition.name);
    const skip = definition.marks.skip !== undefined && !definition.marks.required;
    const test = this.#test({ suite, name: testName({ evalName: definition.name, contextId }), skip });
    const location = this.locate(definition.name);
    if (location) {
      suite.location = location;
      test.location = location;
    }
    return test;
  }

  /** Adds the `replay › id` test of a replayed run, in the `replay` suite. */
  replayTest({ contextId }: { contextId: string }): RunnerTestCase {
    return this.#test({
      suite: this.#suite(REPLAY_SUITE),
      name: replayTestName(contextId),
      skip: false,
    });
  }

  /**
   * Every suite, with the result its tests give it: failed when one failed, skipped when all
   * were, passed otherwise (vitest sends a suite's result once, when all its tests finished).
   */
  finish({ startTime }: { startTime: number }): RunnerTestSuite[] {
    const suites = [...this.#suites.values()];
    for (const suite of suites) {
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
    }
    return suites;
  }

  /** The suite `name`, created (in the order evals come) on first use; `replay` comes first. */
  #suite(name: string): RunnerTestSuite {
    let suite = this.#suites.get(name);
    if (!suite) {
      suite = newSuite({ parent: this.#file, name });
      this.#suites.set(name, suite);
      // The replays come first: they are what every eval scores.
      if (name === REPLAY_SUITE) this.#file.tasks.unshift(suite);
      else this.#file.tasks.push(suite);
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

function newSuite({ parent, name }: { parent: RunnerTestFile; name: string }): RunnerTestSuite {
  return {
    id: '',
    name,
    fullName: `${parent.fullName} > ${name}`,
    fullTestName: name,
    type: 'suite',
    mode: 'run',
    suite: parent,
    file: parent.file,
    tasks: [] as RunnerTask[],
    meta: Object.create(null),
    tags: [],
  } as RunnerTestSuite;
}
