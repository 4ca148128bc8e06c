import type { LLMBackend } from '../core/llm.js';
import { JudgeAnswerError } from './errors.js';

/** What a judge concluded; return it from an eval as is (it is a valid `EvalResult`). */
export interface JudgeScore {
  /** 0..1. */
  score: number;
  /** The judge's explanation. */
  reason: string;
  /** The judge's raw answer, kept for reports. */
  details: { judgeAnswer: string };
}

/** The arguments of {@link Judge.score}. */
export interface JudgeScoreArgs {
  /** What to grade, in plain words: "Is every claim in the answer supported by the tool results?" */
  rubric: string;
  /** The material to grade (a string, or any JSON-serialisable value). */
  input: unknown;
  /** Reference data the judge may compare against (grader-only, e.g. `ctx.expected`). */
  reference?: unknown;
}

/** An LLM used as a grader, wrapped so evals ask one question and get a score back. */
export interface Judge {
  /** The backend it calls (OpenAI-compatible, scripted, replayed…). */
  readonly llm: LLMBackend;
  /** Asks the judge to grade `input` against `rubric`; resolves to a score in 0..1 with its reason. */
  score(args: JudgeScoreArgs): Promise<JudgeScore>;
}

/** The system prompt of {@link createJudge}. */
export const JUDGE_SYSTEM_PROMPT = [
  'You are a strict, fair grader. Read the rubric and the material, and grade only what the rubric asks.',
  'Answer with a single JSON object and nothing else:',
  '{"score": <a number from 0 to 1, where 1 fully meets the rubric>, "reason": "<one or two sentences>"}',
].join('\n');

/**
 * Wraps any {@link LLMBackend} as a {@link Judge}.
 *
 * @example
 * const judge = createJudge({ llm: OpenAIBackend.fromEnv({ model: 'gpt-4o-mini' }) });
 * export async function eval_supported(ctx: EvalContext, { judge }: EvalTools) {
 *   return judge.score({ rubric: 'Is the summary supported by the tool results?', input: ctx.finalOutput });
 * }
 */
export function createJudge({
  llm,
  system = JUDGE_SYSTEM_PROMPT,
}: {
  llm: LLMBackend;
  system?: string;
}): Judge {
  return {
    llm,
    async score({ rubric, input, reference }: JudgeScoreArgs): Promise<JudgeScore> {
      const parts = [`Rubric:\n${rubric}`, `Material:\n${asText(input)}`];
      if (reference !== undefined) parts.push(`Reference:\n${asText(reference)}`);
      const response = await llm.generate({
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: parts.join('\n\n') },
        ],
        tools: [],
        step: 0,
      });
      const answer = response.text ?? '';
      const { score, reason } = parseJudgeAnswer({ text: answer });
      return { score, reason, details: { judgeAnswer: answer } };
    },
  };
}

/** True when a value is a {@link Judge} (rather than a bare backend). */
export function isJudge(value: unknown): value is Judge {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Judge).score === 'function' &&
    typeof (value as Judge).llm === 'object'
  );
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2) ?? String(value);
}

const FENCE = /```(?:json)?\s*([\s\S]*?)```/i;
const SCORE_FIELD = /["']?score["']?\s*[:=]\s*["']?(-?\d+(?:\.\d+)?)(\s*%)?/i;
const REASON_KEYS = ['reason', 'reasoning', 'explanation', 'rationale'] as const;

/**
 * Reads `{score, reason}` out of a judge's answer, tolerating what models do: a ```json fence,
 * prose around the object, the score as a string or a percentage ("80%"), `reasoning` or
 * `explanation` instead of `reason`, or no JSON at all but a `score: 0.8` line. A score outside
 * 0..1 or no score at all is a {@link JudgeAnswerError}, never a guess.
 */
export function parseJudgeAnswer({ text }: { text: string }): { score: number; reason: string } {
  const object = findJsonObject(text);
  let raw: unknown;
  let reason = '';
  if (object) {
    raw = object.score;
    for (const key of REASON_KEYS) {
      const value = object[key];
      if (typeof value === 'string') {
        reason = value;
        break;
      }
    }
  }
  if (raw === undefined) {
    const match = SCORE_FIELD.exec(text);
    if (match) raw = match[2] ? `${match[1]}%` : match[1];
  }
  if (raw === undefined) throw new JudgeAnswerError({ answer: text, problem: 'no "score" field' });
  const score = toScore(raw);
  if (score === undefined)
    throw new JudgeAnswerError({ answer: text, problem: `score ${JSON.stringify(raw)} is not a number` });
  if (score < 0 || score > 1)
    throw new JudgeAnswerError({ answer: text, problem: `score ${score} is outside 0..1` });
  return { score, reason };
}

function toScore(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  const percent = trimmed.endsWith('%');
  const number = Number(percent ? trimmed.slice(0, -1).trim() : trimmed);
  if (trimmed === '' || !Number.isFinite(number)) return undefined;
  return percent ? number / 100 : number;
}

function findJsonObject(text: string): Record<string, unknown> | undefined {
  const candidates = [FENCE.exec(text)?.[1], text];
  for (const candidate of candidates) {
    if (!candidate) continue;
    const start = candidate.indexOf('{');
    const end = candidate.lastIndexOf('}');
    if (start < 0 || end <= start) continue;
    try {
      const parsed: unknown = JSON.parse(candidate.slice(start, end + 1));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // Not JSON; the `score:` pattern below may still find it.
    }
  }
  return undefined;
}
