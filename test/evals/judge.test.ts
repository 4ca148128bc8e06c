import { describe, expect, it } from 'vitest';
import {
  contextFromTrace,
  createJudge,
  type EvalContext,
  type EvalTools,
  JudgeAnswerError,
  mark,
  runEvals,
} from '../../src/evals/index.js';
import { JUDGE_SYSTEM_PROMPT, parseJudgeAnswer } from '../../src/evals/judge.js';
import { type LLMRequest, ScriptedLLM } from '../../src/index.js';
import { memoryTrace } from './support.js';

const contexts = [contextFromTrace({ trace: memoryTrace({ finalOutput: { summary: 'profit is 40' } }) })];

async function eval_supported(ctx: EvalContext, { judge }: EvalTools) {
  return judge.score({
    rubric: 'Is the summary supported by the tool results?',
    input: ctx.finalOutput,
    reference: ctx.expected,
  });
}

describe('parseJudgeAnswer', () => {
  it('reads what judge models actually write', () => {
    expect(parseJudgeAnswer({ text: '{"score": 0.8, "reason": "mostly supported"}' })).toEqual({
      score: 0.8,
      reason: 'mostly supported',
    });
    expect(
      parseJudgeAnswer({ text: 'Here is my grade:\n```json\n{ "score": "0.25", "reasoning": "weak" }\n```' }),
    ).toEqual({
      score: 0.25,
      reason: 'weak',
    });
    expect(parseJudgeAnswer({ text: 'Sure! {"explanation": "fine", "score": 1} Hope this helps.' })).toEqual({
      score: 1,
      reason: 'fine',
    });
    expect(parseJudgeAnswer({ text: '{"score": "80%", "rationale": "good"}' })).toEqual({
      score: 0.8,
      reason: 'good',
    });
    expect(parseJudgeAnswer({ text: 'Score: 0.6\nThe claims are partly supported.' })).toEqual({
      score: 0.6,
      reason: '',
    });
    expect(parseJudgeAnswer({ text: '{score: 0.5, reason: "js-ish object"}' })).toEqual({
      score: 0.5,
      reason: '',
    });
  });

  it('refuses to guess: no score, a non-number or a score outside 0..1 is a JudgeAnswerError with the answer', () => {
    const cases: Array<[string, string]> = [
      ['I think it is good.', 'no "score" field'],
      ['{"score": "high"}', 'score "high" is not a number'],
      ['{"score": 8, "reason": "out of ten"}', 'score 8 is outside 0..1'],
      ['{"score": -0.2}', 'outside 0..1'],
    ];
    for (const [text, problem] of cases) {
      const error = (() => {
        try {
          parseJudgeAnswer({ text });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(JudgeAnswerError);
      expect((error as Error).message).toContain(problem);
      expect((error as JudgeAnswerError).answer).toBe(text);
    }
  });
});

describe('judges in evals', () => {
  it('an eval with a second parameter receives the configured judge; its verdict is a valid result', async () => {
    const requests: LLMRequest[] = [];
    const llm = new ScriptedLLM([
      (request) => {
        requests.push(request);
        return { text: '{"score": 0.9, "reason": "the summary matches the report"}' };
      },
    ]);
    const [outcome] = await runEvals({ evals: { eval_supported }, contexts, judge: createJudge({ llm }) });
    expect(outcome).toMatchObject({
      status: 'passed',
      score: 0.9,
      reason: 'the summary matches the report',
      details: { judgeAnswer: '{"score": 0.9, "reason": "the summary matches the report"}' },
    });
    expect(requests[0]?.messages[0]).toEqual({ role: 'system', content: JUDGE_SYSTEM_PROMPT });
    const prompt = requests[0]?.messages[1]?.content ?? '';
    expect(prompt).toContain('Rubric:\nIs the summary supported by the tool results?');
    expect(prompt).toContain('"summary": "profit is 40"');
    expect(prompt).toContain('Reference:\n{\n  "profit": 40\n}');
    expect(requests[0]?.tools).toEqual([]);
  });

  it('a bare backend is wrapped into a judge; a low score fails against the threshold', async () => {
    const llm = new ScriptedLLM([{ text: '{"score": 0.3, "reason": "unsupported claims"}' }]);
    const [outcome] = await runEvals({ evals: { eval_supported }, contexts, judge: llm });
    expect(outcome).toMatchObject({ status: 'failed', score: 0.3 });
  });

  it('with no judge configured, a judge eval is skipped; a required one fails', async () => {
    const outcomes = await runEvals({
      evals: { eval_supported, eval_gate: mark(['required'], eval_supported), eval_plain: () => true },
      contexts,
    });
    expect(outcomes.map((outcome) => [outcome.name, outcome.status, outcome.reason])).toEqual([
      ['eval_supported', 'skipped', 'needs a judge; none is configured'],
      ['eval_gate', 'failed', 'required eval skipped: needs a judge; none is configured'],
      ['eval_plain', 'passed', undefined],
    ]);
  });

  it('mark({ judge: true }) asks for a judge without a second parameter; using a missing judge says how to configure one', async () => {
    const usesTools = mark(
      { judge: true },
      (...args: unknown[]) => (args[1] as EvalTools).judge !== undefined,
    );
    expect((await runEvals({ evals: { eval_rest: usesTools }, contexts }))[0]?.status).toBe('skipped');

    const sneaky = (_ctx: EvalContext, ...rest: EvalTools[]) =>
      rest[0]?.judge.score({ rubric: 'x', input: 'y' });
    const [outcome] = await runEvals({ evals: { eval_sneaky: sneaky }, contexts });
    expect(outcome?.status).toBe('error');
    expect(outcome?.error?.message).toContain('no judge is configured');
  });

  it("an unparseable judge answer is the eval's error, never a pass", async () => {
    const llm = new ScriptedLLM([{ text: 'Looks great to me!' }]);
    const [outcome] = await runEvals({ evals: { eval_supported }, contexts, judge: llm });
    expect(outcome?.status).toBe('error');
    expect(outcome?.error).toMatchObject({ kind: 'threw', name: 'JudgeAnswerError' });
  });
});
