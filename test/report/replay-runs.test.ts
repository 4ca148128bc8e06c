// Replayed runs in reports: a divergence fails the run once (not once per eval), is a new failure
// against a baseline where the run passed, and every report carries it whole — the terminal shows
// the start of the diff and says where the rest is.
import { describe, expect, it } from 'vitest';
import { compareToBaseline, decideVerdict, type RunRecord, summarizeRun } from '../../src/evals/index.js';
import { baselineFromSummary } from '../../src/report/baseline.js';
import { renderJUnit } from '../../src/report/junit.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { diffExcerpt, renderRunNotes } from '../../src/report/runs-text.js';
import { outcome, outcomes } from './support.js';

/** A diff longer than the terminal excerpt: 30 changed lines. */
const LONG_DIFF = [
  '--- recorded calls/0002.json',
  '+++ new request',
  '@@ -1,31 +1,31 @@',
  ' [system]',
  ...Array.from({ length: 15 }, (_, index) => [`-line ${index} recorded`, `+line ${index} new`]).flat(),
  '',
].join('\n');

const divergedRun: RunRecord = {
  id: 'greet/carol',
  origin: 'replayed',
  trace: 'traces/greet/carol',
  agentFile: 'evals/eval_greeter.ts',
  replay: {
    mode: 'strict',
    check: 'request',
    diverged: { callIndex: 2, summary: ['the result of `greet` at step 1 changed'], diff: LONG_DIFF },
    warnings: [],
  },
  replayedTrace: '.looplet/replays/greet/carol',
  endReason: 'llm_error',
  steps: 1,
};
const matchedRun: RunRecord = {
  id: 'greet/alice',
  origin: 'replayed',
  trace: 'traces/greet/alice',
  agentFile: 'evals/eval_greeter.ts',
  replay: { mode: 'strict', check: 'request', warnings: [] },
  endReason: 'done',
  steps: 2,
};
const recordedRun: RunRecord = {
  id: 'legacy',
  origin: 'recorded',
  trace: 'traces/legacy',
  endReason: 'done',
  steps: 3,
};

const divergedOutcomes = ['eval_a', 'eval_b'].map((name) =>
  outcome({
    name,
    context: 'greet/carol',
    status: 'diverged',
    reason: 'the result of `greet` at step 1 changed',
  }),
);
const summary = summarizeRun({
  outcomes: [
    ...outcomes({ eval_a: { 'greet/alice': 1, legacy: 1 }, eval_b: { 'greet/alice': 1 } }),
    ...divergedOutcomes,
  ],
  runs: [recordedRun, divergedRun, matchedRun],
  obsolete: ['old/one'],
});

describe('diverged runs in the summary and the verdict', () => {
  it('counts runs that diverged apart from failures, and fails the run once for them', () => {
    expect(summary.runs.map((run) => run.id)).toEqual(['greet/alice', 'greet/carol', 'legacy']);
    expect(summary.totals).toMatchObject({ diverged: 1, failed: 0, passed: 3 });
    expect(summary.evals.find((item) => item.name === 'eval_a')).toMatchObject({ diverged: 1, passRate: 1 });
    const verdict = decideVerdict({ summary });
    expect(verdict).toMatchObject({ exitCode: 1, status: 'fail' });
    expect(verdict.headline).toBe('FAIL: 1 diverged (2 evals × 3 runs)');
    expect(decideVerdict({ summary, failOn: 'never' }).exitCode).toBe(0);
  });

  it('a diverged outcome is a new failure where the baseline passed, and fixed once it passes again', () => {
    const before = baselineFromSummary({
      summary: summarizeRun({
        outcomes: outcomes({ eval_a: { 'greet/carol': 1 }, eval_b: { 'greet/carol': 1 } }),
      }),
    });
    const comparison = compareToBaseline({ current: summary, baseline: before });
    expect(comparison.newFailures.map((change) => [change.eval, change.before, change.after])).toEqual([
      ['eval_a', 'passed', 'diverged'],
      ['eval_b', 'passed', 'diverged'],
    ]);
    expect(decideVerdict({ summary, comparison, failOn: 'regression' }).exitCode).toBe(1);
    const stale = baselineFromSummary({ summary });
    const again = compareToBaseline({
      current: summarizeRun({ outcomes: outcomes({ eval_a: { 'greet/carol': 1 } }) }),
      baseline: stale,
    });
    expect(again.fixed.map((change) => [change.eval, change.before])).toEqual([['eval_a', 'diverged']]);
  });

  it('agents whose scopes overlap and traces from a newer looplet are configuration errors (exit 2)', () => {
    for (const kind of ['agent-config', 'trace-version']) {
      const verdict = decideVerdict({
        summary: summarizeRun({
          outcomes: outcomes({ eval_a: { t1: 1 } }),
          infrastructureErrors: [{ source: 't1', kind, message: 'x' }],
        }),
      });
      expect(verdict.exitCode, kind).toBe(2);
      expect(verdict.headline).toMatch(/^ERROR: 1 configuration error /);
    }
  });
});

describe('divergences in the reports', () => {
  it('the terminal shows the run once: where, what changed, the first 20 changed lines and the command for the rest', () => {
    const text = renderRunNotes({ summary, colors: false });
    expect(text.match(/✗ diverged/g)).toHaveLength(1);
    expect(text).toContain('✗ diverged greet/carol at call 2 (replayed through evals/eval_greeter.ts)');
    expect(text).toContain('    the result of `greet` at step 1 changed');
    expect(text).toContain('-line 9 recorded');
    expect(text).toContain('+line 9 new');
    expect(text).not.toContain('-line 10 recorded');
    expect(text).toContain('… 10 more lines: looplet diff traces/greet/carol .looplet/replays/greet/carol');
    expect(text).toContain('obsolete: 1 trace no eval or agent covers: old/one');
    expect(text).toContain('runs: 2 replayed (strict) · 1 recorded');
  });

  it('diffExcerpt counts changed lines only (headers and context lines are free)', () => {
    const excerpt = diffExcerpt({ diff: LONG_DIFF, changedLines: 4 });
    expect(excerpt.shown).toEqual([
      '--- recorded calls/0002.json',
      '+++ new request',
      '@@ -1,31 +1,31 @@',
      ' [system]',
      '-line 0 recorded',
      '+line 0 new',
      '-line 1 recorded',
      '+line 1 new',
    ]);
    expect(excerpt.hidden).toBe(26);
    expect(diffExcerpt({ diff: '--- a\n+++ b\n-x\n+y\n', changedLines: 20 })).toEqual({
      shown: ['--- a', '+++ b', '-x', '+y'],
      hidden: 0,
    });
  });

  it('looplet-report.md folds each divergence with its summary, the diff command and the whole diff', () => {
    const markdown = renderMarkdown({ summary, verdict: decideVerdict({ summary }) });
    expect(markdown).toContain('**1 diverged**');
    expect(markdown).toContain('Runs: 2 replayed (strict) · 1 recorded');
    expect(markdown).toContain(
      '<details><summary>≠ diverged greet/carol at call 2 (replayed through evals/eval_greeter.ts)</summary>',
    );
    expect(markdown).toContain('- the result of `greet` at step 1 changed');
    expect(markdown).toContain(`\`\`\`diff\n${LONG_DIFF.trimEnd()}\n\`\`\``);
    // Diverged outcomes are not listed as failures one by one.
    expect(markdown).not.toContain('<summary>Failures');
  });

  it('a diff holding backticks gets a longer fence, so it cannot close the block', () => {
    const tricky: RunRecord = {
      ...divergedRun,
      replay: { ...divergedRun.replay!, diverged: { callIndex: 1, summary: ['x'], diff: '-```\n+````\n' } },
    };
    const markdown = renderMarkdown({
      summary: summarizeRun({ outcomes: [], runs: [tricky] }),
      verdict: decideVerdict({ summary: summarizeRun({ outcomes: [], runs: [tricky] }) }),
    });
    expect(markdown).toContain('`````diff\n-```\n+````\n`````');
  });

  it('JUnit has a replay › id test case per replayed run; a diverged one fails with the summary and the whole diff', () => {
    const xml = renderJUnit({ summary });
    expect(xml).toContain('<testsuite name="replay" tests="2" failures="1"');
    expect(xml).toContain('<testcase name="replay › greet/alice" classname="replay"');
    const carol = xml.slice(xml.indexOf('<testcase name="replay › greet/carol"'));
    expect(carol.slice(0, carol.indexOf('</testcase>'))).toContain(
      '<failure message="the result of `greet` at step 1 changed" type="diverged">',
    );
    expect(carol).toContain('+line 14 new');
    expect(xml).toContain('type="diverged"/>');
  });

  it('a lenient replay with warnings and a trace re-recorded by -u are reported too', () => {
    const warned: RunRecord = {
      ...matchedRun,
      replay: {
        mode: 'lenient',
        check: 'tool-calls',
        warnings: [{ callIndex: 1, summary: ['the result of `add` at step 1 changed'], diff: '-1\n+2\n' }],
      },
      replayedTrace: '.looplet/replays/greet/alice',
    };
    const updated: RunRecord = {
      id: 'greet/dave',
      origin: 'live',
      trace: 'traces/greet/dave',
      endReason: 'done',
      steps: 3,
      updated: {
        stepsBefore: 2,
        stepsAfter: 3,
        endReasonBefore: 'done',
        endReasonAfter: 'done',
        changedEvals: ['eval_a'],
      },
    };
    const withBoth = summarizeRun({
      outcomes: outcomes({ eval_a: { 'greet/alice': 1 } }),
      runs: [warned, updated],
    });
    const text = renderRunNotes({ summary: withBoth, colors: false });
    expect(text).toContain('! greet/alice replayed with 1 warning (lenient):');
    expect(text).toContain('    step 1: the result of `add` at step 1 changed');
    expect(text).toContain('↻ updated traces/greet/dave: 2 → 3 steps, done → done; verdict changed: eval_a');
    expect(text).toContain('runs: 1 replayed (lenient, tool-calls check) · 1 live');
    const markdown = renderMarkdown({ summary: withBoth, verdict: decideVerdict({ summary: withBoth }) });
    expect(markdown).toContain('Replay warnings (1 run, lenient)');
    expect(markdown).toContain('- `traces/greet/dave`: 2 → 3 steps, done → done; verdict changed: `eval_a`');
  });
});
