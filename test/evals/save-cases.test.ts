import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCaseFile } from '../../src/evals/cases.js';
import {
  type CaseData,
  CaseFileError,
  type CaseFormat,
  type EvalCase,
  loadCases,
  saveCase,
  saveCases,
} from '../../src/evals/index.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { params, TIMEOUT } from '../property/settings.js';

const temp = useTempDir('looplet-save-cases-');

/** A loaded case without where it was read from: what must survive a save. */
const content = ({ file: _file, line: _line, ...rest }: EvalCase) => rest;

describe('saveCase', () => {
  it('writes YAML that loadCases reads back as the same case, and the same bytes when saved again', async () => {
    const file = await saveCase({
      dir: join(temp.path, 'cases'),
      case: {
        id: 'refund_twice',
        task: { goal: 'Refund order 17 once.', order: 17 },
        expected: { refunds: 1 },
        marks: ['regression'],
        notes: 'Seen in production: the agent refunded twice.',
        trace: join(temp.path, 'traces', 'refund_twice'),
      },
    });
    expect(file).toBe(join(temp.path, 'cases', 'refund_twice.yaml'));
    const text = await readFile(file, 'utf8');
    expect(text).toBe(
      [
        'id: refund_twice',
        'task:',
        '  goal: Refund order 17 once.',
        '  order: 17',
        'expected:',
        '  refunds: 1',
        'marks:',
        '  - regression',
        'notes: "Seen in production: the agent refunded twice."',
        'trace: ../traces/refund_twice',
        '',
      ].join('\n'),
    );
    const [loaded] = await loadCases({ dir: join(temp.path, 'cases') });
    expect(loaded).toEqual({
      id: 'refund_twice',
      task: { goal: 'Refund order 17 once.', order: 17 },
      expected: { refunds: 1 },
      marks: ['regression'],
      notes: 'Seen in production: the agent refunded twice.',
      trace: join(temp.path, 'traces', 'refund_twice'),
      file,
      line: 1,
    });
    await saveCase({ dir: join(temp.path, 'cases'), case: loaded! });
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('writes JSON as Python looplet does (one case per <id>.json), leaving empty fields out', async () => {
    const file = await saveCase({
      dir: temp.path,
      case: { id: 'only id', expected: {}, marks: [] },
      format: 'json',
    });
    expect(file).toBe(join(temp.path, 'only id.json'));
    expect(await readFile(file, 'utf8')).toBe('{\n  "id": "only id"\n}\n');
    expect((await loadCaseFile({ file }))[0]).toMatchObject({ id: 'only id', task: { goal: '' } });
  });

  it("round-trips Python looplet's own case files through JSON, case for case", async () => {
    const python = await loadCases({
      dir: fileURLToPath(new URL('../../fixtures/python-cases', import.meta.url)),
    });
    const files = await saveCases({ dir: join(temp.path, 'copy'), cases: python, format: 'json' });
    expect(files.map((file) => file.slice(temp.path.length))).toEqual([
      '/copy/add_basic.json',
      '/copy/fix bug 42.json',
      '/copy/j1.json',
      '/copy/j2.json',
      '/copy/only_id.json',
    ]);
    const copies = await loadCases({ dir: join(temp.path, 'copy') });
    expect(copies.map(content)).toEqual(python.map(content));
  });

  it('refuses what loadCases would refuse, naming the field, and writes nothing', async () => {
    const refused = async (item: CaseData) => {
      const error = await saveCase({ dir: temp.path, case: item }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CaseFileError);
      return error as CaseFileError;
    };
    const slash = await refused({ id: '../escape', task: 't' });
    expect(slash.field).toBe('id');
    expect(slash.message).toContain('must be one path component');
    const leak = await refused({ id: 'x', task: { goal: 'g', expected: { answer: 42 } } });
    expect(leak.field).toBe('task/expected');
    expect((await refused({ id: 'x', task: 't', marks: [''] })).field).toBe('marks/0');
    expect(await readdir(temp.path)).toEqual([]);
  });

  it('refuses to save a case already saved under another extension, and duplicate ids in one batch', async () => {
    await saveCase({ dir: temp.path, case: { id: 'twice', task: 't' }, format: 'json' });
    const error = await saveCase({ dir: temp.path, case: { id: 'twice', task: 't' } }).catch(
      (caught) => caught,
    );
    expect(error).toBeInstanceOf(CaseFileError);
    expect((error as Error).message).toContain(`already saved as ${join(temp.path, 'twice.json')}`);
    const batch = await saveCases({
      dir: join(temp.path, 'batch'),
      cases: [
        { id: 'a', task: 'one' },
        { id: 'a', task: 'two' },
      ],
    }).catch((caught: unknown) => caught);
    expect((batch as Error).message).toContain('case id "a" is given twice');
    expect(await readdir(temp.path)).toEqual(['twice.json']);
  });
});

describe('saveCase → loadCases → saveCase, for any case', () => {
  const key = fc.string({ minLength: 1, maxLength: 8 }).filter((text) => text !== '__proto__');
  const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string({ maxLength: 12 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((value) => !Object.is(value, -0)),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(key, tie('value'), { maxKeys: 3 }),
    ),
  })).value;
  /** What Python looplet takes as an id: one non-blank path component. */
  const pathSafe = (text: string) =>
    text.trim() !== '' &&
    text !== '.' &&
    text !== '..' &&
    [...text].every((char) => char !== '/' && char !== '\\' && char >= ' ' && char !== '\u007f');
  const id = fc.string({ minLength: 1, maxLength: 20 }).filter(pathSafe);
  const task = fc.oneof(
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.record({ goal: fc.string({ minLength: 1, maxLength: 20 }) }),
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.dictionary(key, json, { maxKeys: 3 }))
      .map(([goal, extra]) => {
        const { goal: _goal, expected: _expected, description: _description, ...rest } = extra;
        return { goal, ...rest };
      }),
  );
  const item = fc.record(
    {
      id,
      task,
      expected: fc.dictionary(key, json, { maxKeys: 3 }),
      marks: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 3 }),
      notes: fc.string({ minLength: 1, maxLength: 40 }),
    },
    { requiredKeys: ['id'] },
  );

  it(
    'reads back the same case and writes the same bytes again (YAML and JSON)',
    async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(item, fc.constantFrom<CaseFormat>('yaml', 'json'), async (generated, format) => {
          const dir = join(temp.path, String(round++));
          const file = await saveCase({ dir, case: generated, format });
          const text = await readFile(file, 'utf8');
          const [loaded] = await loadCases({ dir });
          expect(loaded?.id).toBe(generated.id);
          expect(loaded?.expected).toEqual(generated.expected ?? {});
          expect(loaded?.marks).toEqual(generated.marks ?? []);
          expect(loaded?.task).toEqual(generated.task ?? { goal: '' });
          await saveCase({ dir, case: loaded!, format });
          expect(await readFile(file, 'utf8')).toBe(text);
        }),
        params('light'),
      );
    },
    TIMEOUT,
  );
});
