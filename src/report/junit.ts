import type { EvalOutcome } from '../evals/types.js';
import { describeOutcome } from './format.js';
import { cached, type RenderCache, type Rendered, toBuffers } from './render-cache.js';
import { divergencePlace, divergenceWhere, type RunRecord } from './run-record.js';
import type { RunSummary } from './summary.js';

/**
 * JUnit XML for CI test views: one `<testsuite>` per eval, one `<testcase>` per context.
 * Failed outcomes are `<failure>`, errors `<error>`, skipped `<skipped>`; metric-only outcomes
 * pass; outcomes of a diverged run are `<failure type="diverged">`. Scores, thresholds and
 * metrics go in `<properties>`. Replayed runs get a `replay` suite with a `replay › id` test case
 * each, whose `<failure>` holds the whole divergence when the replay diverged. Infrastructure
 * errors get a `looplet` suite of their own so CI shows them too.
 */
export function renderJUnit({ summary }: { summary: RunSummary }): string {
  const pieces = junitPieces(summary, (_kind, items, render) => casePieces(items, 0, items.length, render));
  return pieces.join('');
}

/**
 * {@link renderJUnit} as the file's bytes (UTF-8), in pieces to write one after another. Through
 * `cache`, each test case is encoded once, and blocks of them are written as they are on every
 * later watch run.
 */
export function renderJUnitBuffers({ summary, cache }: JUnitOptions): Buffer[] {
  return toBuffers(
    junitPieces(summary, (kind, items, render) => {
      const encoded = (item: (typeof items)[number]) =>
        cached(cache, 'junit-bytes', item, (key) => Buffer.from(render(key)));
      return cache
        ? cache.blocks(kind, items, (start, end) => casePieces(items, start, end, encoded))
        : casePieces(items, 0, items.length, encoded);
    }),
  );
}

/** The options of {@link renderJUnitBuffers}. */
interface JUnitOptions {
  summary: RunSummary;
  /** Test cases rendered before, by outcome and run (watch sessions). */
  cache?: RenderCache;
}

/** Renders the test cases of one suite (`kind` names it), or takes them from where they were kept. */
type CasesRenderer = <T extends object>(
  kind: string,
  items: readonly T[],
  render: (item: T) => string,
) => readonly Rendered[];

/** Test cases `start…end` of `items`, each followed by its newline. */
function casePieces<T extends object>(
  items: readonly T[],
  start: number,
  end: number,
  render: (item: T) => Rendered,
): Rendered[] {
  const pieces: Rendered[] = [];
  for (let at = start; at < end; at++) pieces.push(render(items[at]!), '\n');
  return pieces;
}

/** The file in pieces, each ending with a newline (a suite's test cases from `cases`). */
function junitPieces(summary: RunSummary, cases: CasesRenderer): Rendered[] {
  const out: Rendered[] = [];
  const line = (text: string) => out.push(`${text}\n`);
  line('<?xml version="1.0" encoding="UTF-8"?>');
  const { totals } = summary;
  const totalTime = summary.outcomes.reduce((sum, outcome) => sum + outcome.durationMs, 0);
  const replayed = (summary.runs ?? []).filter((run) => run.replay !== undefined);
  const divergedOutcomes = summary.outcomes.filter((outcome) => outcome.status === 'diverged').length;
  const failures = totals.failed + divergedOutcomes + (totals.diverged ?? 0);
  line(
    `<testsuites name="looplet-eval" tests="${totals.outcomes + totals.infrastructureErrors + replayed.length}" failures="${failures}" errors="${totals.errors + totals.infrastructureErrors}" skipped="${totals.skipped}" time="${seconds(totalTime)}">`,
  );
  if (replayed.length > 0) {
    const diverged = replayed.filter((run) => run.replay?.diverged !== undefined).length;
    line(
      `  <testsuite name="replay" tests="${replayed.length}" failures="${diverged}" errors="0" skipped="0" time="0.000">`,
    );
    for (const piece of cases('junit-replay', replayed, replayTestcase)) out.push(piece);
    line('  </testsuite>');
  }
  const byEval = new Map<string, EvalOutcome[]>();
  for (const outcome of summary.outcomes) {
    const list = byEval.get(outcome.name);
    if (list) list.push(outcome);
    else byEval.set(outcome.name, [outcome]);
  }
  summary.evals.forEach((item, index) => {
    const outcomes = byEval.get(item.name) ?? [];
    const file = item.file === undefined ? '' : ` file="${attr(item.file)}"`;
    line(
      `  <testsuite name="${attr(item.name)}" tests="${item.total}" failures="${item.failed + (item.diverged ?? 0)}" errors="${item.errors}" skipped="${item.skipped}" time="${seconds(item.durationMs)}"${file}>`,
    );
    // Kept by place, not name: renamed evals leave nothing behind (an outcome names its eval).
    for (const piece of cases(`junit-eval-${index}`, outcomes, testcase)) out.push(piece);
    line('  </testsuite>');
  });
  if (summary.infrastructureErrors.length > 0) {
    const count = summary.infrastructureErrors.length;
    line(
      `  <testsuite name="looplet" tests="${count}" failures="0" errors="${count}" skipped="0" time="0.000">`,
    );
    for (const error of summary.infrastructureErrors) {
      line(
        `    <testcase name="${attr(error.source)}" classname="looplet.${attr(error.kind)}" time="0.000">`,
      );
      line(
        `      <error message="${attr(error.message)}" type="${attr(error.kind)}">${text(error.message)}</error>`,
      );
      line('    </testcase>');
    }
    line('  </testsuite>');
  }
  line('</testsuites>');
  return out;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** One `<testcase>` element, its lines built as one string (no arrays of lines or property pairs). */
function testcase(outcome: EvalOutcome): string {
  let xml = `    <testcase name="${attr(outcome.context)}" classname="${attr(outcome.name)}" time="${seconds(outcome.durationMs)}">\n      <properties>\n${property('status', outcome.status)}`;
  if (outcome.score !== undefined) xml += property('score', String(outcome.score));
  xml += property('threshold', String(outcome.threshold));
  if (outcome.label !== undefined) xml += property('label', outcome.label);
  if (outcome.required) xml += property('required', 'true');
  for (const [key, value] of Object.entries(outcome.metrics)) xml += property(`metric.${key}`, String(value));
  xml += '      </properties>\n';
  if (outcome.status === 'failed') {
    xml += `      <failure message="${attr(describeOutcome(outcome))}" type="${outcome.required ? 'required' : 'failed'}">${text(detailText(outcome))}</failure>\n`;
  } else if (outcome.status === 'error') {
    const body = outcome.error?.stack ?? outcome.error?.message ?? '';
    xml += `      <error message="${attr(describeOutcome(outcome))}" type="${attr(outcome.error?.kind ?? 'error')}">${text(body)}</error>\n`;
  } else if (outcome.status === 'diverged') {
    xml += `      <failure message="${attr(`not scored: the replay diverged (see replay › ${outcome.context}): ${outcome.reason ?? ''}`)}" type="diverged"/>\n`;
  } else if (outcome.status === 'skipped') {
    xml += `      <skipped message="${attr(outcome.reason ?? 'skipped')}"/>\n`;
  } else if (hasKeys(outcome.details)) {
    xml += `      <system-out>${text(JSON.stringify(outcome.details, null, 2))}</system-out>\n`;
  }
  return `${xml}    </testcase>`;
}

/** One `<property>` line. */
function property(name: string, value: string): string {
  return `        <property name="${attr(name)}" value="${attr(value)}"/>\n`;
}

/** True when `value` has an own enumerable key (without listing them all). */
function hasKeys(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

/** `replay › id`: passes when the replay matched its recording; a diverged replay fails with the whole divergence. */
function replayTestcase(run: RunRecord): string {
  const replay = run.replay!;
  const lines = [`    <testcase name="${attr(`replay › ${run.id}`)}" classname="replay" time="0.000">`];
  const properties: Array<[string, string]> = [
    ['origin', run.origin],
    ['mode', replay.mode],
    ['check', replay.check],
  ];
  if (run.trace) properties.push(['trace', run.trace]);
  if (run.agentFile) properties.push(['agent', run.agentFile]);
  if (run.replayedTrace) properties.push(['replayedTrace', run.replayedTrace]);
  lines.push('      <properties>');
  for (const [name, value] of properties)
    lines.push(`        <property name="${attr(name)}" value="${attr(value)}"/>`);
  lines.push('      </properties>');
  if (replay.diverged) {
    const body = [`diverged ${divergenceWhere(run)}`, ...replay.diverged.summary, '', replay.diverged.diff];
    lines.push(
      `      <failure message="${attr(replay.diverged.summary[0] ?? 'diverged')}" type="diverged">${text(body.join('\n'))}</failure>`,
    );
  } else if (replay.warnings.length > 0) {
    const body = replay.warnings.flatMap((warning) => [
      `${divergencePlace(run, warning)}: ${warning.summary.join('; ')}`,
      warning.diff,
    ]);
    lines.push(`      <system-out>${text(body.join('\n'))}</system-out>`);
  }
  lines.push('    </testcase>');
  return lines.join('\n');
}

function detailText(outcome: EvalOutcome): string {
  const description = describeOutcome(outcome);
  return hasKeys(outcome.details)
    ? `${description}\n${JSON.stringify(outcome.details, null, 2)}`
    : description;
}

/**
 * Replaces what XML 1.0 cannot hold at all — control characters other than tab, newline and
 * carriage return, lone surrogates, U+FFFE/U+FFFF — with U+FFFD: escaping does not help for these.
 */
function clean(value: string): string {
  let out: string | undefined;
  let copied = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 0x20 && code < 0xd800) continue;
    if (code === 0x09 || code === 0x0a || code === 0x0d) continue;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        index++;
        continue;
      }
    } else if (code > 0xdfff && code !== 0xfffe && code !== 0xffff) continue;
    // Only strings that hold an invalid character are copied (almost none are).
    out = `${out ?? ''}${value.slice(copied, index)}\uFFFD`;
    copied = index + 1;
  }
  return out === undefined ? value : out + value.slice(copied);
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};
const TEXT_SPECIALS = /[&<>]/g;
// Newlines and tabs in attributes are escaped so parsers keep them instead of normalising them to spaces.
const ATTR_SPECIALS = /[&<>"'\n\r\t]/g;

// Printable ASCII with nothing to escape — most names and messages: returned as they are.
const PLAIN_TEXT = /^[\x20-\x25\x27-\x3b\x3d\x3f-\x7e]*$/;
const PLAIN_ATTR = /^[\x20\x21\x23-\x25\x28-\x3b\x3d\x3f-\x7e]*$/;

/** Escapes element text. */
function text(value: string): string {
  if (PLAIN_TEXT.test(value)) return value;
  return clean(value).replace(TEXT_SPECIALS, (char) => ENTITIES[char]!);
}

/** Escapes an attribute value. */
function attr(value: string): string {
  if (PLAIN_ATTR.test(value)) return value;
  return clean(value).replace(ATTR_SPECIALS, (char) => ENTITIES[char]!);
}
