import type { EvalOutcome } from '../evals/types.js';
import { describeOutcome } from './format.js';
import type { RunSummary } from './summary.js';

/**
 * JUnit XML for CI test views: one `<testsuite>` per eval, one `<testcase>` per context.
 * Failed outcomes are `<failure>`, errors `<error>`, skipped `<skipped>`; metric-only outcomes
 * pass. Scores, thresholds and metrics go in `<properties>`. Infrastructure errors get a
 * `looplet` suite of their own so CI shows them too.
 */
export function renderJUnit({ summary }: { summary: RunSummary }): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const { totals } = summary;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const totalTime = summary.outcomes.reduce((sum, outcome) => sum + outcome.durationMs, 0);
  out.push(
    `<testsuites name="looplet-eval" tests="${totals.outcomes + totals.infrastructureErrors}" failures="${totals.failed}" errors="${totals.errors + totals.infrastructureErrors}" skipped="${totals.skipped}" time="${seconds(totalTime)}">`,
  );
  const byEval = new Map<string, EvalOutcome[]>();
  for (const outcome of summary.outcomes) {
    const list = byEval.get(outcome.name);
    if (list) list.push(outcome);
    else byEval.set(outcome.name, [outcome]);
  }
  for (const item of summary.evals) {
    const outcomes = byEval.get(item.name) ?? [];
    const file = item.file === undefined ? '' : ` file="${attr(item.file)}"`;
    out.push(
      `  <testsuite name="${attr(item.name)}" tests="${item.total}" failures="${item.failed}" errors="${item.errors}" skipped="${item.skipped}" time="${seconds(item.durationMs)}"${file}>`,
    );
    for (const outcome of outcomes) out.push(...testcase(outcome, seconds));
    out.push('  </testsuite>');
  }
  if (summary.infrastructureErrors.length > 0) {
    const count = summary.infrastructureErrors.length;
    out.push(
      `  <testsuite name="looplet" tests="${count}" failures="0" errors="${count}" skipped="0" time="0.000">`,
    );
    for (const error of summary.infrastructureErrors) {
      out.push(
        `    <testcase name="${attr(error.source)}" classname="looplet.${attr(error.kind)}" time="0.000">`,
      );
      out.push(
        `      <error message="${attr(error.message)}" type="${attr(error.kind)}">${text(error.message)}</error>`,
      );
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function testcase(outcome: EvalOutcome, seconds: (ms: number) => string): string[] {
  const lines = [
    `    <testcase name="${attr(outcome.context)}" classname="${attr(outcome.name)}" time="${seconds(outcome.durationMs)}">`,
  ];
  const properties: Array<[string, string]> = [['status', outcome.status]];
  if (outcome.score !== undefined) properties.push(['score', String(outcome.score)]);
  properties.push(['threshold', String(outcome.threshold)]);
  if (outcome.label !== undefined) properties.push(['label', outcome.label]);
  if (outcome.required) properties.push(['required', 'true']);
  for (const [key, value] of Object.entries(outcome.metrics))
    properties.push([`metric.${key}`, String(value)]);
  lines.push('      <properties>');
  for (const [name, value] of properties)
    lines.push(`        <property name="${attr(name)}" value="${attr(value)}"/>`);
  lines.push('      </properties>');
  const message = describeOutcome(outcome);
  if (outcome.status === 'failed') {
    lines.push(
      `      <failure message="${attr(message)}" type="${outcome.required ? 'required' : 'failed'}">${text(detailText(outcome))}</failure>`,
    );
  } else if (outcome.status === 'error') {
    const body = outcome.error?.stack ?? outcome.error?.message ?? '';
    lines.push(
      `      <error message="${attr(message)}" type="${attr(outcome.error?.kind ?? 'error')}">${text(body)}</error>`,
    );
  } else if (outcome.status === 'skipped') {
    lines.push(`      <skipped message="${attr(outcome.reason ?? 'skipped')}"/>`);
  } else if (Object.keys(outcome.details).length > 0) {
    lines.push(`      <system-out>${text(JSON.stringify(outcome.details, null, 2))}</system-out>`);
  }
  lines.push('    </testcase>');
  return lines;
}

function detailText(outcome: EvalOutcome): string {
  const parts = [describeOutcome(outcome)];
  if (Object.keys(outcome.details).length > 0) parts.push(JSON.stringify(outcome.details, null, 2));
  return parts.join('\n');
}

/**
 * Replaces what XML 1.0 cannot hold at all — control characters other than tab, newline and
 * carriage return, lone surrogates, U+FFFE/U+FFFF — with U+FFFD: escaping does not help for these.
 */
function clean(value: string): string {
  let out = '';
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += value[index]! + value[index + 1]!;
        index++;
      } else out += '\uFFFD';
      continue;
    }
    const invalid =
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) ||
      (code >= 0xdc00 && code <= 0xdfff) ||
      code === 0xfffe ||
      code === 0xffff;
    out += invalid ? '\uFFFD' : value[index]!;
  }
  return out;
}

/** Escapes element text. */
function text(value: string): string {
  return clean(value).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Escapes an attribute value (quotes, and newlines so parsers keep them). */
function attr(value: string): string {
  return text(value)
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;')
    .replaceAll('\t', '&#9;');
}
