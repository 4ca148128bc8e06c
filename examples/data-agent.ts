/**
 * A data agent: it queries a sales table, computes aggregates and writes a report. Three hooks
 * keep it in bounds — an async reviewer must approve the report before it is written, context
 * compaction prunes old query results when the conversation grows, and a token budget stops
 * the run if it gets expensive.
 *
 *   npx tsx examples/data-agent.ts --scripted         # no model needed (also when OPENAI_BASE_URL is unset)
 *   OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_MODEL=llama3.1 npx tsx examples/data-agent.ts
 *
 * `--max-tokens N` sets the token budget (default 50000); `--out DIR` keeps the report in DIR.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ApprovalAnswer,
  agentLoop,
  compaction,
  defineTool,
  estimateTokens,
  type Hook,
  type LLMBackend,
  type LLMRequest,
  OpenAIBackend,
  type PermissionRequest,
  permissionHook,
  pruneToolResults,
  ScriptedLLM,
  type ScriptedTurn,
  summarize,
  type Tool,
  tokenBudget,
  truncate,
} from 'looplet';

export interface SaleRow {
  region: string;
  month: string;
  product: string;
  units: number;
  revenue: number;
}

const REGIONS = ['north', 'south', 'east', 'west'];
const PRODUCTS = { widget: 12, gadget: 30, gizmo: 7, doohickey: 19, sprocket: 4 };

/** The in-memory table: 4 regions × 12 months × 5 products = 240 rows, the same every run. */
export const SALES: readonly SaleRow[] = REGIONS.flatMap((region, r) =>
  Array.from({ length: 12 }, (_, m) => `2024-${String(m + 1).padStart(2, '0')}`).flatMap((month, m) =>
    Object.entries(PRODUCTS).map(([product, price], p) => {
      const units = 20 + ((r * 7 + m * 13 + p * 5) % 40);
      return { region, month, product, units, revenue: units * price };
    }),
  ),
);

type Metric = 'units' | 'revenue';
type GroupBy = 'region' | 'month' | 'product';

/** Sums a metric over the table, in total and per group. */
export function aggregate({ metric, by }: { metric: Metric; by: GroupBy }) {
  const groups: Record<string, number> = {};
  for (const row of SALES) groups[row[by]] = (groups[row[by]] ?? 0) + row[metric];
  return { total: SALES.reduce((sum, row) => sum + row[metric], 0), groups };
}

export function dataTools({ outDir }: { outDir: string }): Tool[] {
  return [
    defineTool({
      name: 'query_rows',
      description:
        'Rows of the 2024 sales table (region, month, product, units, revenue), filtered by equality',
      parameters: {
        type: 'object',
        properties: {
          region: { type: 'string', enum: REGIONS },
          product: { type: 'string', enum: Object.keys(PRODUCTS) },
          month: { type: 'string', description: 'YYYY-MM' },
        },
      },
      run: (filter) =>
        SALES.filter((row) =>
          Object.entries(filter).every(([key, value]) => row[key as keyof SaleRow] === value),
        ),
    }),
    defineTool({
      name: 'aggregate',
      description:
        'Sum units or revenue over the whole table, in total and grouped by region, month or product',
      parameters: {
        type: 'object',
        properties: {
          metric: { type: 'string', enum: ['units', 'revenue'] },
          by: { type: 'string', enum: ['region', 'month', 'product'] },
        },
        required: ['metric', 'by'],
      },
      run: ({ metric, by }) => aggregate({ metric: metric as Metric, by: by as GroupBy }),
    }),
    defineTool({
      name: 'write_report',
      description: 'Write the final report (Markdown) to report.md; a reviewer must approve it',
      parameters: { type: 'object', properties: { markdown: { type: 'string' } }, required: ['markdown'] },
      run: ({ markdown }) => {
        writeFileSync(path.join(outDir, 'report.md'), String(markdown));
        return 'report.md written';
      },
    }),
  ];
}

/**
 * An async reviewer, as a chat or web approval would be: it approves a report only when the
 * report states the year's total revenue (checked against the table, not against the agent).
 */
export async function reviewReport({ call }: PermissionRequest): Promise<ApprovalAnswer> {
  await new Promise((resolve) => setTimeout(resolve, 10)); // the reviewer takes a moment
  const total = aggregate({ metric: 'revenue', by: 'region' }).total;
  const approved = String(call.args.markdown).replace(/[,\s]/g, '').includes(String(total));
  console.log(`   ? reviewer: report ${approved ? 'approved' : 'rejected (no total revenue)'}`);
  return { approved, reason: 'rejected by the reviewer: the report must state the total revenue for 2024' };
}

/** A scripted turn that reports token usage as a server would (about four characters a token). */
function turn(name: string, args: Record<string, unknown>): ScriptedTurn {
  return (request: LLMRequest) => {
    const promptTokens = Math.ceil(JSON.stringify([request.messages, request.tools]).length / 4);
    const completionTokens = Math.ceil(JSON.stringify(args).length / 4);
    return {
      toolCalls: [{ id: '', name, args }],
      usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
    };
  };
}

/** What a model would answer, so the example runs with no network. */
export function scriptedModel(): ScriptedLLM {
  const byRegion = aggregate({ metric: 'revenue', by: 'region' });
  const lines = Object.entries(byRegion.groups).map(([region, revenue]) => `| ${region} | ${revenue} |`);
  const table = ['| region | revenue |', '|---|---|', ...lines].join('\n');
  return new ScriptedLLM([
    ...REGIONS.map((region) => turn('query_rows', { region })),
    turn('aggregate', { metric: 'revenue', by: 'region' }),
    turn('write_report', { markdown: `# Sales 2024\n\n${table}\n` }),
    turn('write_report', { markdown: `# Sales 2024\n\nTotal revenue: ${byRegion.total}\n\n${table}\n` }),
    turn('done', { summary: 'report.md written and approved' }),
  ]);
}

/** What the run did, for tests and readers. */
export interface DataOutcome {
  endReason: string;
  stopReason: string | undefined;
  /** One entry per compaction: the step it ran before, and the estimated tokens before and after. */
  compactions: Array<{ step: number; before: number; after: number }>;
  /** The report as written (undefined when none was approved). */
  report: string | undefined;
  totalTokens: number;
}

export async function main(args: string[]): Promise<DataOutcome> {
  const { values } = parseArgs({
    args,
    options: { scripted: { type: 'boolean' }, 'max-tokens': { type: 'string' }, out: { type: 'string' } },
  });
  const scripted = values.scripted === true || !process.env.OPENAI_BASE_URL;
  const llm: LLMBackend = scripted ? scriptedModel() : OpenAIBackend.fromEnv();
  const maxTotalTokens = Number(values['max-tokens'] ?? 50_000);
  const outDir = values.out ?? mkdtempSync(path.join(tmpdir(), 'looplet-data-'));
  mkdirSync(outDir, { recursive: true });

  const compactions: DataOutcome['compactions'] = [];
  // A hook with only `compact` runs right after the compaction hook's, when it fires: a log of it.
  const compactionLog: Hook = {
    name: 'compaction-log',
    compact({ state, step, messages }) {
      const before = estimateTokens({ messages: state.messages, state });
      const after = estimateTokens({ messages, state });
      compactions.push({ step, before, after });
      console.log(`   ⇣ context compacted before step ${step}: ~${before} → ~${after} tokens`);
      return undefined;
    },
  };
  const run = agentLoop({
    llm,
    tools: dataTools({ outDir }),
    task: {
      goal: 'Look at the 2024 sales of each region, compute revenue per region, then write a short Markdown report with the total revenue and a per-region table, and call done.',
    },
    hooks: [
      permissionHook({ ask: ['write_report'], allow: ['query_rows', 'aggregate'], approve: reviewReport }),
      compaction({
        thresholdTokens: 2_500,
        // Cheapest first: drop old query results, then summarise with the model, then cut.
        strategies: [
          pruneToolResults({ keepLast: 1 }),
          summarize({ keepLast: 1 }),
          truncate({ keepLast: 1 }),
        ],
      }),
      compactionLog,
      tokenBudget({ maxTotalTokens }),
    ],
    maxSteps: 15,
  });
  for await (const step of run) console.log(step.pretty());
  const result = await run.result;
  const reportFile = path.join(outDir, 'report.md');
  const report = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : undefined;
  console.log(`end reason: ${result.endReason}${result.stopReason ? ` (${result.stopReason})` : ''}`);
  console.log(`tokens used: ${result.usage.totalTokens} of a ${maxTotalTokens} budget`);
  console.log(report === undefined ? 'no report was written' : `report.md:\n${report}`);
  if (values.out === undefined) rmSync(outDir, { recursive: true, force: true });
  return {
    endReason: result.endReason,
    stopReason: result.stopReason,
    compactions,
    report,
    totalTokens: result.usage.totalTokens,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await main(process.argv.slice(2));
  process.exitCode = outcome.endReason === 'done' ? 0 : 1;
}
