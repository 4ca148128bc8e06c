// A unified diff (what `looplet diff` and a replay divergence produce), parsed with the `diff`
// package and shown unified or side by side; a changed line pair shows the words that changed.
import { type Change, diffWordsWithSpace, parsePatch, type StructuredPatch } from 'diff';
import { useMemo } from 'preact/hooks';

export type PatchLayout = 'unified' | 'split';

type Line = { kind: 'ctx' | 'del' | 'add'; text: string; old?: number; new?: number };
type Row = { left?: Line; right?: Line };

/** Lines longer than this are not word-diffed (the cost grows with the product of lengths). */
const WORD_DIFF_LIMIT = 2_000;

export function PatchView({
  diff,
  layout,
  names,
}: {
  diff: string;
  layout: PatchLayout;
  names?: [string, string];
}) {
  const patches = useMemo(() => parse(diff), [diff]);
  if (!patches) return <pre class="patch-raw">{diff}</pre>;
  return (
    <div class={`patch patch-${layout}`}>
      {patches.map((patch, index) => (
        <div class="patch-file" key={index}>
          <div class="patch-names">
            <span class="del-text">− {names?.[0] ?? patch.oldFileName ?? 'before'}</span>
            <span class="add-text">+ {names?.[1] ?? patch.newFileName ?? 'after'}</span>
          </div>
          {patch.hunks.map((hunk) => {
            const lines = hunkLines(hunk);
            return (
              <table class="patch-hunk" key={`${hunk.oldStart}:${hunk.newStart}`}>
                {layout === 'split' ? (
                  <colgroup>
                    <col class="ln" />
                    <col />
                    <col class="ln" />
                    <col />
                  </colgroup>
                ) : (
                  <colgroup>
                    <col class="ln" />
                    <col class="ln" />
                    <col />
                  </colgroup>
                )}
                <tbody>
                  <tr class="hunk-head">
                    <td colSpan={layout === 'split' ? 4 : 3}>
                      @@ −{hunk.oldStart},{hunk.oldLines} +{hunk.newStart},{hunk.newLines} @@
                    </td>
                  </tr>
                  {layout === 'unified' ? <UnifiedRows lines={lines} /> : <SplitRows lines={lines} />}
                </tbody>
              </table>
            );
          })}
        </div>
      ))}
    </div>
  );
}

function parse(diff: string): StructuredPatch[] | undefined {
  try {
    const patches = parsePatch(diff).filter((patch) => patch.hunks.length > 0);
    return patches.length > 0 ? patches : undefined;
  } catch {
    return undefined;
  }
}

function hunkLines(hunk: StructuredPatch['hunks'][number]): Line[] {
  let old = hunk.oldStart;
  let now = hunk.newStart;
  const lines: Line[] = [];
  for (const raw of hunk.lines) {
    const mark = raw[0];
    const text = raw.slice(1);
    if (mark === '-') lines.push({ kind: 'del', text, old: old++ });
    else if (mark === '+') lines.push({ kind: 'add', text, new: now++ });
    else if (mark === ' ') lines.push({ kind: 'ctx', text, old: old++, new: now++ });
    // "\ No newline at end of file" says nothing a reader needs here.
  }
  return lines;
}

/** Pairs each run of removed lines with the run of added lines after it, line by line. */
function pairRows(lines: readonly Line[]): Row[] {
  const rows: Row[] = [];
  for (let at = 0; at < lines.length; ) {
    const line = lines[at]!;
    if (line.kind === 'ctx') {
      rows.push({ left: line, right: line });
      at++;
      continue;
    }
    const removed: Line[] = [];
    const added: Line[] = [];
    while (lines[at]?.kind === 'del') removed.push(lines[at++]!);
    while (lines[at]?.kind === 'add') added.push(lines[at++]!);
    for (let index = 0; index < Math.max(removed.length, added.length); index++) {
      const row: Row = {};
      if (removed[index]) row.left = removed[index];
      if (added[index]) row.right = added[index];
      rows.push(row);
    }
  }
  return rows;
}

function UnifiedRows({ lines }: { lines: readonly Line[] }) {
  const partners = useMemo(() => {
    const map = new Map<Line, Line>();
    for (const row of pairRows(lines))
      if (row.left && row.right && row.left !== row.right) {
        map.set(row.left, row.right);
        map.set(row.right, row.left);
      }
    return map;
  }, [lines]);
  return (
    <>
      {lines.map((line, index) => (
        <tr class={`line-${line.kind}`} key={index}>
          <td class="ln">{line.old ?? ''}</td>
          <td class="ln">{line.new ?? ''}</td>
          <td class="code">
            <span class="mark">{line.kind === 'del' ? '−' : line.kind === 'add' ? '+' : ' '}</span>
            <LineText line={line} partner={partners.get(line)} />
          </td>
        </tr>
      ))}
    </>
  );
}

function SplitRows({ lines }: { lines: readonly Line[] }) {
  const rows = useMemo(() => pairRows(lines), [lines]);
  return (
    <>
      {rows.map((row, index) => {
        const paired = row.left && row.right && row.left !== row.right;
        return (
          <tr key={index}>
            <td class="ln">{row.left?.old ?? ''}</td>
            <td class={`code side line-${row.left?.kind ?? 'none'}`}>
              {row.left && <LineText line={row.left} partner={paired ? row.right : undefined} />}
            </td>
            <td class="ln">{row.right?.new ?? ''}</td>
            <td class={`code side line-${row.right?.kind ?? 'none'}`}>
              {row.right && <LineText line={row.right} partner={paired ? row.left : undefined} />}
            </td>
          </tr>
        );
      })}
    </>
  );
}

/** A line; when it has a changed partner, the words that differ are marked. */
function LineText({ line, partner }: { line: Line; partner: Line | undefined }) {
  if (!partner || line.text.length > WORD_DIFF_LIMIT || partner.text.length > WORD_DIFF_LIMIT)
    return <span>{line.text}</span>;
  const [before, after] = line.kind === 'del' ? [line.text, partner.text] : [partner.text, line.text];
  const changes: Change[] = diffWordsWithSpace(before, after);
  return (
    <span>
      {changes.map((change, index) => {
        if (line.kind === 'del' && change.added) return null;
        if (line.kind === 'add' && change.removed) return null;
        const changed = change.added || change.removed;
        return changed ? (
          <mark class="word" key={index}>
            {change.value}
          </mark>
        ) : (
          change.value
        );
      })}
    </span>
  );
}
