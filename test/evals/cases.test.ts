import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCaseFile, parseCases } from '../../src/evals/cases.js';
import { CaseFileError, EvalPathError, loadCases } from '../../src/evals/index.js';
import { useTempDir } from '../helpers/temp-dir.js';

const temp = useTempDir('looplet-cases-');

const write = temp.write;

function caseError(text: string, file = '/cases/bad.yaml'): CaseFileError {
  try {
    parseCases({ text, file });
  } catch (error) {
    if (error instanceof CaseFileError) return error;
    throw error;
  }
  throw new Error('expected a CaseFileError');
}

describe('loadCases', () => {
  it('loads YAML and JSON cases (one per file or a list), sorted by path, with defaults', async () => {
    const yaml = await write(
      'profit.yaml',
      `# a case from a real failure
id: profit_math
task:
  goal: Publish report.json for revenue 120 and cost 80, then finish.
expected:
  profit: 40
marks: [smoke, regression]
notes: The expected profit is grader-only.
script:
  - toolCalls:
      - name: publish_report
        args: { revenue: 120, cost: 80 }
  - toolCalls: [{ name: done, args: { summary: published } }]
trace: ../traces/profit_math
`,
    );
    await write(
      'more/list.json',
      JSON.stringify(
        [
          { id: 'a1', task: 'Say hi' },
          { id: 'a2', task: { goal: 'Say bye', tone: 'warm' } },
        ],
        null,
        2,
      ),
    );
    await write('README.md', '# not a case');

    const cases = await loadCases({ dir: temp.path });
    expect(cases.map((item) => item.id)).toEqual(['a1', 'a2', 'profit_math']);
    const [a1, a2, profit] = cases;
    expect(a1).toMatchObject({ task: 'Say hi', expected: {}, marks: [], line: 2 });
    expect(a1?.notes).toBeUndefined();
    expect(a2?.task).toEqual({ goal: 'Say bye', tone: 'warm' });
    expect(a2?.line).toBe(6);
    expect(profit).toMatchObject({
      file: yaml,
      line: 2,
      expected: { profit: 40 },
      marks: ['smoke', 'regression'],
      notes: 'The expected profit is grader-only.',
      trace: join(dirname(temp.path), 'traces', 'profit_math'),
    });
    expect(profit?.script?.[0]?.toolCalls?.[0]).toEqual({
      name: 'publish_report',
      args: { revenue: 120, cost: 80 },
    });
  });

  it('reads a Python looplet case.json as is', async () => {
    const [item] = await loadCaseFile({
      file: fileURLToPath(new URL('../../fixtures/python-trace/case.json', import.meta.url)),
    });
    expect(item).toMatchObject({
      id: 'profit_math',
      task: { goal: 'Publish report.json for revenue 120 and cost 80, then finish.' },
      expected: { profit: 40 },
      marks: ['smoke', 'regression'],
    });
  });

  it("reads Python looplet's case files as its save_cases wrote them, and its JSON Lines", async () => {
    const dir = fileURLToPath(new URL('../../fixtures/python-cases', import.meta.url));
    const cases = await loadCases({ dir });
    expect(cases.map(({ id, task, expected, marks, line }) => ({ id, task, expected, marks, line }))).toEqual(
      [
        {
          id: 'add_basic',
          task: { goal: 'Create math_utils.add() with a regression test' },
          expected: { tests_passing: true },
          marks: ['smoke'],
          line: 1,
        },
        {
          id: 'fix bug 42',
          task: { goal: 'Fix the off-by-one in paginate()', files: ['src/page.py'] },
          expected: { tests_passing: true },
          marks: ['regression'],
          line: 1,
        },
        { id: 'j1', task: { goal: 'first' }, expected: {}, marks: [], line: 2 },
        { id: 'j2', task: { goal: 'second' }, expected: {}, marks: ['regression'], line: 4 },
        { id: 'only_id', task: { goal: '' }, expected: {}, marks: [], line: 1 },
      ],
    );
    expect(cases[0]?.notes).toBe('Seed case; the simplest end-to-end coder run.');
    expect(cases[2]?.file).toBe(join(dir, 'more.jsonl'));
  });

  it('takes a case with only an id, as Python looplet does: its goal is empty', () => {
    expect(parseCases({ text: '{"id": "x"}', file: '/c/x.json' })[0]).toMatchObject({
      id: 'x',
      task: { goal: '' },
      expected: {},
      marks: [],
    });
    // A goal wins over a description, which then stays an ordinary field.
    expect(
      parseCases({ text: 'id: y\ntask: { goal: g, description: d }\n', file: '/c/y.yaml' })[0]?.task,
    ).toEqual({
      goal: 'g',
      description: 'd',
    });
  });

  it('names the line of a bad case in a .jsonl file', async () => {
    const file = await write(
      'grown.jsonl',
      '# first line is a comment\n{"id": "ok", "task": {"description": "fine"}}\n\n{"id": "second", "task": "t",}\n',
    );
    const broken = await loadCases({ dir: temp.path }).catch((caught: unknown) => caught);
    expect(broken).toBeInstanceOf(CaseFileError);
    expect((broken as CaseFileError).line).toBe(4);
    expect((broken as Error).message).toContain(`${file}:4: not valid JSON: `);
    expect(caseError('{"id": "a", "task": "t"}\n{"task": "no id"}\n', '/c/x.jsonl').message).toBe(
      '/c/x.jsonl:2: field "id": missing required field "id"',
    );
    expect(caseError('\n[{"id": "a"}]\n', '/c/x.jsonl').message).toBe(
      '/c/x.jsonl:2: must be a JSON object (one case per line), got a list',
    );
    expect(caseError('{"id": "a", "marks": [3]}\n', '/c/x.jsonl').message).toBe(
      '/c/x.jsonl:1: field "marks/0": must be string',
    );
  });

  it('refuses grader-only data inside the task, which the agent would read', () => {
    const error = caseError('id: x\ntask:\n  goal: g\n  expected:\n    profit: 40\n');
    expect(error.line).toBe(4);
    expect(error.field).toBe('task/expected');
    expect(error.message).toContain('move it to the top-level "expected" field');
  });

  it('refuses an unknown field that Python looplet would have ignored, saying why and what to do', () => {
    const error = caseError('{"id": "x", "task": {"goal": "g"}, "owner": "team-a"}', '/c/x.json');
    expect(error.field).toBe('owner');
    expect(error.message).toContain('Python looplet ignored unknown fields');
    expect(error.message).toContain('delete the field, or keep its text in "notes"');
  });

  it('reports malformed YAML with the file and line', () => {
    const error = caseError('id: broken\ntask: t\nexpected:\n  profit: 40\n bad: 1\n');
    expect(error.file).toBe('/cases/bad.yaml');
    expect(error.line).toBe(5);
    expect(error.message).toBe(
      '/cases/bad.yaml:5: not valid YAML/JSON: All mapping items must start at the same column',
    );
    expect(caseError('id: x\n\tbad: tab\n').line).toBe(2);
  });

  it('reports malformed JSON with the line', () => {
    const error = caseError('{\n  "id": "x",\n  "task": "t",,\n}\n', '/cases/bad.json');
    expect(error.line).toBe(3);
    expect(error.message).toContain('/cases/bad.json:3');
  });

  it('reports a case without id at the line where the case starts, naming the field', () => {
    const error = caseError('# header\n\ntask: Greet Alice\nmarks: [smoke]\n');
    expect(error.field).toBe('id');
    expect(error.line).toBe(3);
    expect(error.message).toBe('/cases/bad.yaml:3: field "id": missing required field "id"');
  });

  it('reports the case number in a list, and the line of a wrong field', () => {
    const error = caseError('- id: ok\n  task: a\n- id: second\n  task: b\n  marks:\n    - smoke\n    - 3\n');
    expect(error.line).toBe(7);
    expect(error.field).toBe('marks/1');
    expect(error.message).toBe('/cases/bad.yaml:7: field "marks/1": case #2: must be string');
  });

  it('reports an unknown field (a typo) at its own line and lists the known ones', () => {
    const error = caseError('id: x\ntask: t\nexpect:\n  profit: 40\n');
    expect(error.line).toBe(3);
    expect(error.field).toBe('expect');
    expect(error.message).toContain(
      'unknown field "expect" (case fields: id, task, expected, marks, notes, script, trace, replay)',
    );
  });

  it('rejects an id that is not one path component, an empty goal and an empty file, saying what is allowed', () => {
    for (const id of ['a/b', '"a\\\\b"', '..', '"  "', '"tab\\there"'])
      expect(caseError(`id: ${id}\ntask: t\n`).message).toContain('must be one path component');
    expect(caseError('id: x\ntask:\n  goal: ""\n').field).toBe('task/goal');
    expect(caseError('').message).toContain('the file is empty');
    expect(caseError('id: x\ntask: 42\n').message).toContain('field "task": must be string or object');
  });

  it('reads replay: lenient, and names the allowed values of a wrong one', () => {
    const [lenient] = parseCases({
      text: 'id: x\ntask: t\ntrace: ../t\nreplay: lenient\n',
      file: '/cases/ok.yaml',
    });
    expect(lenient?.replay).toBe('lenient');
    const error = caseError('id: x\ntask: t\nreplay: loose\n');
    expect(error.message).toBe('/cases/bad.yaml:3: field "replay": must be one of strict, lenient');
  });

  it('lists further problems of the same case in the message', () => {
    const error = caseError('id: x\ntask: t\nmarks: smoke\nnotes: [1]\n');
    expect(error.line).toBe(3);
    expect(error.message).toContain('also /cases/bad.yaml:4: field "notes": must be string');
  });

  it('rejects the same id in two files, naming both places', async () => {
    const first = await write('a.yaml', 'id: dup\ntask: one\n');
    const second = await write('b.json', '{"id": "dup", "task": "two"}');
    const error = await loadCases({ dir: temp.path }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CaseFileError);
    expect((error as Error).message).toBe(
      `${second}:1: field "id": duplicate case id "dup" (also at ${first}:1); case ids must be unique`,
    );
  });

  it('reads case files whose name starts with a dot (an id may), never hidden directories', async () => {
    await write('.early.yaml', 'id: .early\ntask: t\n');
    await write('.git/x.yaml', 'id: in_git\ntask: t\n');
    await write('sub/.cache/y.json', '{"id": "cached", "task": "t"}');
    expect((await loadCases({ dir: temp.path })).map((item) => item.id)).toEqual(['.early']);
  });

  it('rejects a cases directory that does not exist', async () => {
    const error = await loadCases({ dir: 'nope', cwd: temp.path }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EvalPathError);
    expect((error as Error).message).toBe('cases path not found: nope');
  });
});
