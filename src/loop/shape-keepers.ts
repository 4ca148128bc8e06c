// One object of each class the loop makes per run, step or call, kept for the life of the process.
//
// V8 forgets an object shape (its hidden class) once no live object has it and a full GC runs to
// reduce memory (a forced `gc()`; V8's memory reducer, once a process goes idle, e.g. between
// runs), and it then discards the optimised code of every function compiled for that shape. The
// next run would start over in the interpreter, and a long run would spend its first thousands
// of steps there (the loop benchmark forces a GC before each 10,000-step run: without these
// objects, ~140 functions were deoptimised at each). Normal GCs keep such shapes anyway.
//
// A kept object must have the very shape the loop's objects get: the same fields, set in the
// same order, and number fields that hold fractions where the loop's do (a shape whose field
// first held an integer is replaced, not kept, when a fraction arrives). Hence the clock.
import type { LLMBackend } from '../core/llm.js';
import type { LoopState } from '../core/state.js';
import { Step } from '../core/step.js';
import { emptyUsage } from '../core/types.js';
import { CallDispatch } from './call-dispatch.js';
import type { DispatchContext } from './dispatch.js';
import { groupHooks, type RunContext } from './run-context.js';
import { defaultClock, sequentialIds } from './runtime.js';
import { StepRunner } from './step-runner.js';

const idleLLM: LLMBackend = {
  generate: () => Promise.reject(new Error('the loop never calls this backend')),
};
const idle = new AbortController();
const state: LoopState = {
  runId: '',
  task: '',
  messages: [],
  steps: [],
  usage: emptyUsage(),
  maxSteps: 1,
  tools: new Map(),
  llm: idleLLM,
  data: {},
  signal: idle.signal,
};
const run: RunContext = {
  unlinkSignal: () => {},
  options: { llm: idleLLM, task: '' },
  state,
  tools: new Map(),
  hooks: groupHooks([]),
  maxSteps: 1,
  maxToolErrors: 1,
  clock: defaultClock,
  ids: sequentialIds(),
  controller: idle,
  settle: { resolve: () => {}, reject: () => {} },
};
// Fields in the order StepRunner sets them, so both objects share one shape.
const dispatch: DispatchContext = {
  state,
  tools: run.tools,
  preDispatchHooks: [],
  permissionHooks: [],
  postDispatchHooks: [],
  clock: defaultClock,
  signal: idle.signal,
  abort: { aborted: false },
  raceAbort: false,
};

export const SHAPE_KEEPERS: readonly object[] = [
  // Holds an AbortFlag and a dispatch context too.
  new StepRunner(run),
  new CallDispatch(dispatch, 1, { id: '', name: '', args: {} }),
  new Step({
    index: 1,
    text: undefined,
    toolCalls: [],
    results: [],
    usage: state.usage,
    context: [],
    metadata: {},
    startedAt: 0.5,
    durationMs: 0.5,
  }),
];
