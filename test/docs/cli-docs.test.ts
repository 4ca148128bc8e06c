// docs/cli.md is generated from the CLI's own --help, so the reference cannot drift from the
// code: this test fails when they differ. `npm run docs:cli` rewrites the file.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const CLI = new URL('../../bin/looplet.js', import.meta.url).pathname;
const DOC = new URL('../../docs/cli.md', import.meta.url);

function help(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  })
    .replace(/[ \t]+$/gm, '')
    .trim();
}

/** The commands `--help` lists (all but the default one), so a new command is documented without a list to keep. */
function commands(mainHelp: string): string[] {
  const block = /\nCommands:\n([\s\S]*?)\n\n/.exec(mainHelp)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => /^[a-z]/.test(name));
}

function render(): string {
  const mainHelp = help(['--help']);
  const sections = [
    '# CLI reference',
    '',
    "<!-- Generated from the CLI's --help by `npm run docs:cli`; test/docs/cli-docs.test.ts keeps it in sync. Do not edit by hand. -->",
    '',
    '`looplet-eval` and `looplet` are the same program. With no command it runs evals; the other',
    'commands read, compare and record traces and cases.',
    '',
    'Exit codes: 0 ok · 1 eval failures, diverged replays, regressions, differences or invalid files ·',
    '2 usage or configuration error · 3 infrastructure error (unreadable trace, crashed eval or agent,',
    'failed re-recording).',
    '',
    '## looplet-eval [paths…] (run evals)',
    '',
    '```text',
    mainHelp,
    '```',
  ];
  for (const command of commands(mainHelp))
    sections.push('', `## looplet ${command}`, '', '```text', help([command, '--help']), '```');
  return `${sections.join('\n')}\n`;
}

describe('docs/cli.md', () => {
  it('is the CLI’s own --help output', () => {
    const expected = render();
    if (process.env.UPDATE_DOCS) writeFileSync(DOC, expected);
    expect(readFileSync(DOC, 'utf8')).toBe(expected);
  });
});
