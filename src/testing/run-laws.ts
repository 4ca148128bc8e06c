import type { HookDecision } from '../loop/decision.js';
import { DECISION_METHODS } from '../loop/hooks.js';
import { DONE_TOOL_NAME } from '../tools/done-tool.js';
import { type HookLaw, type LawContext, leafName, leavesOf, observe, unexpectedError } from './law.js';
import type { HookSource, Observation, RunEvent } from './observe.js';
import { lawScenario } from './scenario.js';

type HookEvent = Extract<RunEvent, { kind: 'hook' }>;

const DECISION_METHOD_SET: ReadonlySet<string> = new Set(DECISION_METHODS);

const DISPATCH_METHODS = new Set(['preDispatch', 'checkPermission', 'postDispatch']);

/** Methods whose `additionalContext` the loop sends to the model (checkDone's is not sent). */
const CONTEXT_METHODS = new Set([
  'preLoop',
  'prePrompt',
  'preDispatch',
  'checkPermission',
  'postDispatch',
  'onStep',
  'shouldStop',
]);

function hookEvents(observation: Observation): HookEvent[] {
  return observation.events.filter((event): event is HookEvent => event.kind === 'hook');
}

/** The decision a hook call answered, if it answered one. */
function decisionOf(event: HookEvent): HookDecision | undefined {
  if (event.threw !== undefined || !DECISION_METHOD_SET.has(event.method)) return undefined;
  const answer = event.answer;
  return typeof answer === 'object' && answer !== null ? (answer as HookDecision) : undefined;
}

function scenariosWith(options: Partial<Parameters<typeof lawScenario>[0]>) {
  return (context: LawContext) =>
    lawScenario({ userHooks: context.hooks.length, tools: context.tools, ...options });
}

/**
 * When hooks block a call (or a done), the first block decides: hooks after it at that point are
 * not asked, permission is not asked after a `preDispatch` block, the tool never runs, and the
 * model is told the first blocker's reason (unless a `postDispatch` hook explicitly replaced it).
 */
export const firstBlockWinsLaw: HookLaw = {
  name: 'firstBlockWins',
  statement:
    'the first block wins: later hooks at that point are not asked, the tool never runs, and the model sees the first reason',
  scenarios: scenariosWith({
    methods: ['preDispatch', 'checkPermission', 'postDispatch', 'checkDone'],
    minGenerated: 1,
  }),
  async verify(scenario, context) {
    const observation = await observe(scenario, context);
    const broken = unexpectedError(observation);
    if (broken) return broken;
    const events = hookEvents(observation);
    const points = new Map<string, HookEvent[]>();
    for (const event of events) {
      if (!['preDispatch', 'checkPermission', 'checkDone'].includes(event.method)) continue;
      const key = `${event.method} at step ${event.step}${event.callId ? ` for call ${event.callId} (${event.callName})` : ''}`;
      points.set(key, [...(points.get(key) ?? []), event]);
    }
    for (const [point, calls] of points) {
      const blockAt = calls.findIndex((event) => decisionOf(event)?.block !== undefined);
      if (blockAt < 0) continue;
      const blocker = calls[blockAt]!;
      const reason = decisionOf(blocker)!.block!;
      const who = leafName(scenario, context, blocker.leaf);
      const later = calls[blockAt + 1];
      if (later)
        return `${leafName(scenario, context, later.leaf)} was still asked in ${point} after ${who} blocked it ("${reason}")`;
      if (blocker.method === 'checkDone') {
        const stopped = calls.slice(0, blockAt + 1).some((event) => decisionOf(event)?.stop !== undefined);
        const step = observation.steps.find((s) => s.index === blocker.step);
        if (!stopped && step && step.doneRejected !== reason)
          return `${who} blocked the done call in ${point} with "${reason}", but the step records doneRejected = ${JSON.stringify(step.doneRejected)}`;
        continue;
      }
      const callId = blocker.callId;
      const ran = observation.events.find((event) => event.kind === 'tool' && event.callId === callId);
      if (ran) return `the tool ran for call ${callId} although ${who} blocked it in ${point} ("${reason}")`;
      if (blocker.method === 'preDispatch') {
        const asked = events.find((event) => event.method === 'checkPermission' && event.callId === callId);
        if (asked)
          return `${leafName(scenario, context, asked.leaf)} was asked checkPermission for call ${callId} after ${who} blocked it in preDispatch`;
      }
      const replaced = events.some(
        (event) =>
          event.method === 'postDispatch' &&
          event.callId === callId &&
          decisionOf(event)?.updatedResult !== undefined,
      );
      const result = observation.steps
        .find((s) => s.index === blocker.step)
        ?.results.find((r) => r.callId === callId);
      if (!replaced && result && result.error?.message !== reason)
        return `${who} blocked call ${callId} in ${point} with "${reason}", but the model was told ${JSON.stringify(result.error ?? result.data)}`;
    }
    return undefined;
  },
};

/**
 * Once a hook says stop, the run is over: the model is not called again, no tool runs except
 * the remaining calls of that step's response, no hook is called for a later step, and the run
 * ends `hook_stop` with the first stop's reason (or with the `HookError` of a hook that threw).
 */
export const stopIsFinalLaw: HookLaw = {
  name: 'stopIsFinal',
  statement:
    'once a hook says stop, nothing un-stops: no model call or tool run after it, no later step, and the run ends hook_stop with the first reason',
  scenarios: scenariosWith({ exits: true, failures: true, minGenerated: 1 }),
  async verify(scenario, context) {
    const observation = await observe(scenario, context);
    const broken = unexpectedError(observation);
    if (broken) return broken;
    const first = hookEvents(observation).find((event) => decisionOf(event)?.stop !== undefined);
    if (!first) return undefined;
    const reason = decisionOf(first)!.stop!;
    const who = `${leafName(scenario, context, first.leaf)} said stop ("${reason}") in ${first.method} at step ${first.step}`;
    // A stop during dispatch lets the rest of that response's calls run (each once); nothing else may.
    let dispatching = DISPATCH_METHODS.has(first.method);
    const ranBefore = new Set<string | undefined>();
    for (const event of observation.events) {
      if (event.kind === 'tool' && event.seq < first.seq) ranBefore.add(event.callId);
      if (event.seq <= first.seq) continue;
      if (event.kind === 'model') return `the model was called again (call #${event.index + 1}) after ${who}`;
      if (event.kind === 'hook' && !DISPATCH_METHODS.has(event.method)) dispatching = false;
      if (event.kind === 'tool') {
        const pending = dispatching && event.step === first.step && !ranBefore.has(event.callId);
        if (!pending) return `tool ${event.name} ran after ${who}`;
        ranBefore.add(event.callId);
      }
      if (event.kind === 'hook' && event.method !== 'onLoopEnd' && event.step > first.step)
        return `${leafName(scenario, context, event.leaf)}.${event.method} was called at step ${event.step} after ${who}`;
    }
    const last = observation.steps.at(-1);
    if (last && last.index > first.step) return `step ${last.index} ran after ${who}`;
    const { outcome } = observation;
    if (outcome.kind === 'result' && (outcome.endReason !== 'hook_stop' || outcome.stopReason !== reason))
      return `${who}, but the run ended ${outcome.endReason}${outcome.stopReason ? ` ("${outcome.stopReason}")` : ''}`;
    return undefined;
  },
};

/**
 * Context hooks add reaches the model in the order the hooks added it: every model request holds
 * all context added before it, each piece once, in hook-call order.
 */
export const contextOrderLaw: HookLaw = {
  name: 'contextOrder',
  statement:
    'injected context keeps hook order: each request holds every piece of context added before it, once, in the order hooks added it',
  scenarios: scenariosWith({ minGenerated: 1 }),
  async verify(scenario, context) {
    const observation = await observe(scenario, context);
    const broken = unexpectedError(observation);
    if (broken) return broken;
    const added = hookEvents(observation).flatMap((event) => {
      const text = CONTEXT_METHODS.has(event.method) ? decisionOf(event)?.additionalContext : undefined;
      return text === undefined ? [] : [{ seq: event.seq, text, event }];
    });
    const known = new Set(added.flatMap(({ text }) => text.split('\n')));
    const models = observation.events.filter((event) => event.kind === 'model');
    for (const [index, model] of models.entries()) {
      const request = observation.requests[index] ?? [];
      const expected = added.filter(({ seq }) => seq < model.seq).flatMap(({ text }) => text.split('\n'));
      const seen = request
        .flatMap((message) => (message.role === 'user' ? message.content.split('\n') : []))
        .filter((line) => known.has(line));
      if (JSON.stringify(seen) !== JSON.stringify(expected))
        return `model call #${index + 1} saw context ${JSON.stringify(seen)}, but hooks had added ${JSON.stringify(expected)} (in this order)`;
    }
    return undefined;
  },
};

function hasOnLoopEnd(source: HookSource): boolean {
  const hook = typeof source === 'function' ? source() : source;
  return typeof hook.onLoopEnd === 'function';
}

/**
 * `onLoopEnd` runs exactly once per run, as the hook's last call, on every exit path: done, max
 * steps, stops, aborts, a hook/tool/model throwing, the consumer breaking out or only awaiting.
 */
export const loopEndOnceLaw: HookLaw = {
  name: 'loopEndOnce',
  statement: 'onLoopEnd runs exactly once, after every other call of that hook, on every exit path',
  scenarios: scenariosWith({ abort: true, exits: true, failures: true }),
  async verify(scenario, context) {
    const observation = await observe(scenario, context);
    const broken = unexpectedError(observation);
    if (broken) return broken;
    const events = hookEvents(observation);
    const leaves = leavesOf(scenario, context);
    for (const [leaf, source] of leaves.entries()) {
      if (!hasOnLoopEnd(source)) continue;
      const mine = events.filter((event) => event.leaf === leaf);
      const ends = mine.filter((event) => event.method === 'onLoopEnd');
      const how = describeEnd(observation);
      if (ends.length !== 1)
        return `${leafName(scenario, context, leaf)}.onLoopEnd ran ${ends.length} times in a run that ${how}`;
      const after = mine.find((event) => event.seq > ends[0]!.seq);
      if (after)
        return `${leafName(scenario, context, leaf)}.${after.method} was called after its onLoopEnd, in a run that ${how}`;
    }
    return undefined;
  },
};

function describeEnd(observation: Observation): string {
  const { outcome } = observation;
  if (outcome.kind === 'result') return `ended ${outcome.endReason}`;
  if (outcome.kind === 'hook_error')
    return `failed with a HookError in ${outcome.method} at step ${outcome.step}`;
  return `failed: ${outcome.message}`;
}

/**
 * After an abort, dispatch stops within the step it happened in: no tool starts, the model is not
 * called, no hook runs for a later step, no later step is recorded, and the run ends `aborted` —
 * unless that step had already finished it (a successful done, or a hook's stop).
 */
export const abortLaw: HookLaw = {
  name: 'abortStopsDispatch',
  statement:
    'abort stops dispatch within one step: no tool run or model call after it, no later step, and the run ends aborted',
  scenarios: (context) =>
    lawScenario({
      userHooks: context.hooks.length,
      tools: context.tools,
      abort: true,
      failures: true,
    }).filter((scenario) => scenario.plan.abort !== undefined),
  async verify(scenario, context) {
    const observation = await observe(scenario, context);
    const broken = unexpectedError(observation);
    if (broken) return broken;
    const abort = observation.events.find((event) => event.kind === 'abort');
    if (!abort) return undefined;
    const trigger = observation.events.find((event) => event.seq === abort.seq - 1);
    if (!trigger || trigger.kind === 'abort' || (trigger.kind === 'hook' && trigger.method === 'onLoopEnd'))
      return undefined;
    const abortStep = trigger.step;
    const during =
      trigger.kind === 'model'
        ? 'the model call'
        : trigger.kind === 'tool'
          ? `tool ${trigger.name}`
          : `${leafName(scenario, context, trigger.leaf)}.${trigger.method}`;
    const when = `the abort during ${during} at step ${abortStep}`;
    for (const event of observation.events) {
      if (event.seq <= abort.seq) continue;
      if (event.kind === 'tool') return `tool ${event.name} ran after ${when}`;
      if (event.kind === 'model') return `the model was called (call #${event.index + 1}) after ${when}`;
      if (event.kind === 'hook' && event.method !== 'onLoopEnd' && event.step > abortStep)
        return `${leafName(scenario, context, event.leaf)}.${event.method} ran at step ${event.step} after ${when}`;
    }
    const last = observation.steps.at(-1);
    if (last && last.index > abortStep) return `step ${last.index} was recorded after ${when}`;
    const { outcome } = observation;
    if (outcome.kind !== 'result' || outcome.endReason === 'aborted') return undefined;
    const stopped = hookEvents(observation).some((event) => decisionOf(event)?.stop !== undefined);
    const lastStep = observation.steps.find((s) => s.index === abortStep);
    const finished =
      lastStep !== undefined &&
      (lastStep.toolCalls.length === 0 ||
        lastStep.results.some((result) => result.name === DONE_TOOL_NAME && result.error === undefined));
    if ((outcome.endReason === 'hook_stop' && stopped) || (outcome.endReason === 'done' && finished))
      return undefined;
    return `the run ended ${outcome.endReason}${outcome.stopReason ? ` ("${outcome.stopReason}")` : ''} instead of aborted after ${when}`;
  },
};
