import { LoopletError } from '../util/errors.js';

/** One eval file that could not be imported. */
export interface ImportFailure {
  file: string;
  message: string;
  error: unknown;
}

/**
 * Eval files failed to import (a syntax error, a missing module, a throw at top level). Lists
 * every failing file. The runner reports it as an infrastructure error (exit code 3).
 */
export class EvalImportError extends LoopletError {
  readonly failures: readonly ImportFailure[];

  constructor({ failures }: { failures: ImportFailure[] }) {
    const lines = failures.map((failure) => `  ${failure.file}: ${failure.message}`);
    super({
      message: `${failures.length} eval file(s) failed to import:\n${lines.join('\n')}`,
      code: 'EVAL_IMPORT',
      cause: failures[0]?.error,
    });
    this.failures = failures;
  }
}

/** Two different functions share an eval name; results would be ambiguous. */
export class DuplicateEvalError extends LoopletError {
  readonly evalName: string;
  readonly files: readonly string[];

  constructor({ name, files }: { name: string; files: string[] }) {
    super({
      message: `eval "${name}" is defined in more than one file: ${files.join(' and ')}; rename one (eval names are keys in reports and baselines)`,
      code: 'EVAL_DUPLICATE',
    });
    this.evalName = name;
    this.files = files;
  }
}

/** A path given to discovery or to `loadCases` does not exist. */
export class EvalPathError extends LoopletError {
  readonly path: string;

  constructor({ path, what }: { path: string; what: string }) {
    super({ message: `${what} path not found: ${path}`, code: 'EVAL_PATH' });
    this.path = path;
  }
}

/** An eval or a mark is malformed (no name, a threshold outside 0..1, a bad timeout…). */
export class EvalDefinitionError extends LoopletError {
  constructor({ message }: { message: string }) {
    super({ message, code: 'EVAL_DEFINITION' });
  }
}

/** A case file is not valid: bad YAML/JSON, a missing `id`, a field of the wrong type. */
export class CaseFileError extends LoopletError {
  readonly file: string;
  /** 1-based line of the offending node, when known. */
  readonly line?: number;
  /** Path of the offending field (e.g. `marks/0`), when known. */
  readonly field?: string;

  constructor({
    file,
    line,
    field,
    problem,
  }: { file: string; line?: number; field?: string; problem: string }) {
    const where = line === undefined ? file : `${file}:${line}`;
    super({
      message: `${where}: ${field ? `field "${field}": ` : ''}${problem}`,
      code: 'CASE_INVALID',
    });
    this.file = file;
    if (line !== undefined) this.line = line;
    if (field !== undefined) this.field = field;
  }
}

/**
 * Two agents (exported by eval files) both cover a trace or case id: which one should replay it
 * would be a guess. A configuration error (exit code 2).
 */
export class AgentScopeError extends LoopletError {
  /** The trace or case id both agents cover. */
  readonly id: string;
  /** The eval files exporting the two agents. */
  readonly files: readonly string[];

  constructor({ id, files }: { id: string; files: readonly string[] }) {
    super({
      message: `two agents cover "${id}": the one exported by ${files[0]} and the one exported by ${files[1]}; give them scopes that do not overlap, e.g. defineAgent({ scope: 'greeter/**', create })`,
      code: 'AGENT_SCOPE',
    });
    this.id = id;
    this.files = [...files];
  }
}

/** `runCase` was asked for something it cannot do (scripted mode without a script, live without a model…). */
export class CaseRunError extends LoopletError {
  readonly caseId: string;

  constructor({ caseId, message }: { caseId: string; message: string }) {
    super({ message: `case "${caseId}": ${message}`, code: 'CASE_CONFIG' });
    this.caseId = caseId;
  }
}

/** The judge model answered with something that holds no score in 0..1. */
export class JudgeAnswerError extends LoopletError {
  /** The judge's raw answer. */
  readonly answer: string;

  constructor({ answer, problem }: { answer: string; problem: string }) {
    const shown = answer.length > 300 ? `${answer.slice(0, 300)}…` : answer;
    super({
      message: `the judge's answer has no usable score (${problem}); it answered: ${JSON.stringify(shown)}`,
      code: 'JUDGE_ANSWER',
    });
    this.answer = answer;
  }
}

/** An eval used `tools.judge` but no judge is configured. */
export class JudgeNotConfiguredError extends LoopletError {
  constructor() {
    super({
      message:
        'no judge is configured: pass `judge` (createJudge({ llm })) to runEvals/evalHook/runCase, or --judge to looplet-eval',
      code: 'JUDGE_MISSING',
    });
  }
}
