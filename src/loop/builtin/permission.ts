import type { LoopState } from '../../core/state.js';
import type { ToolCall } from '../../core/types.js';
import { DONE_TOOL_NAME } from '../../tools/done-tool.js';
import { errorMessage } from '../../util/errors.js';
import { andThen, isPromiseLike, type MaybePromise } from '../../util/maybe-async.js';
import { deny, type HookDecision } from '../decision.js';
import type { Hook } from '../hooks.js';
import { HookConfigError } from './errors.js';

/** What a permission predicate or approver is told about the call being checked. */
export interface PermissionRequest {
  call: ToolCall;
  state: LoopState;
  /** 1-based step number. */
  step: number;
}

/**
 * Which tool calls a rule covers. A string is a tool name, where `*` matches any run of
 * characters (`'fs_*'`, `'*'`). The object form narrows it with a predicate on the call and
 * can give the reason the model is told when the rule denies.
 */
export type PermissionRule =
  | string
  | {
      /** Tool name(s) or `*` glob(s); the rule applies when any of them matches. */
      tool: string | readonly string[];
      /** Further condition on the call (e.g. its arguments); the rule applies only when it returns true. */
      when?: (request: PermissionRequest) => boolean | Promise<boolean>;
      /** The reason shown to the model when this rule denies the call. */
      reason?: string;
    };

/** An approver's answer: `true`/`false`, or an object that can say why. */
export type ApprovalAnswer = boolean | { approved: boolean; reason?: string };

/** Decides an `ask` call, e.g. by prompting a human in the terminal or posting a Slack approval. */
export type Approver = (request: PermissionRequest) => ApprovalAnswer | Promise<ApprovalAnswer>;

/** What happens to a call no rule matches. */
export type PermissionDefault = 'allow' | 'deny' | 'ask';

/** The options of {@link permissionHook}. */
export interface PermissionOptions {
  /** Calls that run without asking. */
  allow?: readonly PermissionRule[];
  /** Calls that are refused; the model is told why and not to retry. Deny rules win over every other rule. */
  deny?: readonly PermissionRule[];
  /** Calls that need `approve` to say yes. Ask rules win over allow rules. */
  ask?: readonly PermissionRule[];
  /** Called for calls an `ask` rule (or `defaultDecision: 'ask'`) covers. */
  approve?: Approver;
  /**
   * What happens to a call no rule matches. Default: `'ask'` when `approve` is given, else
   * `'deny'` when `allow` rules are given (an allow list), else `'allow'` (a deny list). The
   * done tool is allowed unless a rule names it, so an allow list never keeps a run from finishing.
   */
  defaultDecision?: PermissionDefault;
  /** Hook name shown in errors and traces (default `permission`). */
  name?: string;
}

interface CompiledRule {
  matchesName: (name: string) => boolean;
  /** The rule as written, for reasons: `'fs_*'`. */
  label: string;
  when: ((request: PermissionRequest) => boolean | Promise<boolean>) | undefined;
  reason: string | undefined;
}

const HOOK = 'permissionHook';

/**
 * A `checkPermission` hook that allows, denies or asks about each tool call by rules on the
 * tool's name. Precedence: `deny` rules, then `ask` rules, then `allow` rules, then
 * `defaultDecision`. A denial reaches the model as a `denied` tool error (`deny(reason)`), and
 * the tool does not run. An approver that throws or answers something other than a boolean or
 * `{ approved }` denies the call (the error is the reason): a broken approval channel never
 * approves anything.
 *
 * @example
 * permissionHook({
 *   allow: ['read_*', 'search'],
 *   deny: [{ tool: 'shell', when: ({ call }) => String(call.args.cmd).includes('rm -rf'), reason: 'destructive' }],
 *   ask: ['write_file'],
 *   approve: async ({ call }) => askHuman(`Run ${call.name}?`),
 * })
 */
export function permissionHook(options: PermissionOptions = {}): Hook {
  const denyRules = compileRules(options.deny, 'deny');
  const askRules = compileRules(options.ask, 'ask');
  const allowRules = compileRules(options.allow, 'allow');
  const approve = options.approve;
  if (approve !== undefined && typeof approve !== 'function')
    throw new HookConfigError({ hook: HOOK, option: 'approve', problem: 'must be a function' });
  const fallback: PermissionDefault =
    options.defaultDecision ?? (approve ? 'ask' : allowRules.length > 0 ? 'deny' : 'allow');
  if (!['allow', 'deny', 'ask'].includes(fallback))
    throw new HookConfigError({
      hook: HOOK,
      option: 'defaultDecision',
      problem: `must be 'allow', 'deny' or 'ask', got ${JSON.stringify(fallback)}`,
    });
  if (!approve && (askRules.length > 0 || fallback === 'ask'))
    throw new HookConfigError({
      hook: HOOK,
      option: askRules.length > 0 ? 'ask' : 'defaultDecision',
      problem: "calls that need asking need an `approve` function: pass approve, or use 'allow'/'deny'",
    });

  return {
    name: options.name ?? 'permission',
    // Synchronous unless a predicate or the approver is async: most calls cost no promise.
    checkPermission(request: PermissionRequest): MaybePromise<HookDecision | undefined> {
      const name = request.call.name;
      return andThen(firstMatch(denyRules, request), (denied) => {
        if (denied) return deny(denied.reason ?? `tool "${name}" is denied by rule "${denied.label}"`);
        return andThen(firstMatch(askRules, request), (asked) => {
          if (asked) return askApprover(approve!, request);
          return andThen(firstMatch(allowRules, request), (allowed) => {
            if (allowed || name === DONE_TOOL_NAME || fallback === 'allow') return undefined;
            if (fallback === 'ask') return askApprover(approve!, request);
            return deny(`tool "${name}" is not allowed: no permission rule allows it`);
          });
        });
      });
    },
  };
}

/** The first rule that covers the request, checking predicates in rule order. */
function firstMatch(
  rules: readonly CompiledRule[],
  request: PermissionRequest,
  from = 0,
): MaybePromise<CompiledRule | undefined> {
  for (let index = from; index < rules.length; index++) {
    const rule = rules[index]!;
    if (!rule.matchesName(request.call.name)) continue;
    if (rule.when === undefined) return rule;
    const holds = rule.when(request);
    if (isPromiseLike<boolean>(holds))
      return Promise.resolve(holds).then((yes) => (yes ? rule : firstMatch(rules, request, index + 1)));
    if (holds) return rule;
  }
  return undefined;
}

async function askApprover(approve: Approver, request: PermissionRequest): Promise<HookDecision | undefined> {
  const name = request.call.name;
  let answer: unknown;
  try {
    answer = await approve(request);
  } catch (error) {
    return deny(`approval of "${name}" failed, so it was not run: ${errorMessage(error)}`);
  }
  if (answer === true) return undefined;
  if (answer === false) return deny(`"${name}" was not approved`);
  if (
    typeof answer === 'object' &&
    answer !== null &&
    typeof (answer as { approved?: unknown }).approved === 'boolean'
  ) {
    const { approved, reason } = answer as { approved: boolean; reason?: unknown };
    if (approved) return undefined;
    return deny(typeof reason === 'string' && reason !== '' ? reason : `"${name}" was not approved`);
  }
  return deny(
    `approval of "${name}" gave no answer (the approver returned ${describe(answer)} instead of true, false or { approved }), so it was not run`,
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function compileRules(rules: readonly PermissionRule[] | undefined, option: string): CompiledRule[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules))
    throw new HookConfigError({ hook: HOOK, option, problem: 'must be an array of rules' });
  return rules.map((rule, index) => compileRule(rule, `${option}[${index}]`));
}

function compileRule(rule: PermissionRule, option: string): CompiledRule {
  if (typeof rule === 'string')
    return { ...namesMatcher([rule], option), when: undefined, reason: undefined };
  if (typeof rule !== 'object' || rule === null)
    throw new HookConfigError({
      hook: HOOK,
      option,
      problem: `a rule is a tool name, a glob like 'fs_*', or { tool, when?, reason? }; got ${describe(rule)}`,
    });
  const tools = typeof rule.tool === 'string' ? [rule.tool] : rule.tool;
  if (!Array.isArray(tools) || tools.length === 0)
    throw new HookConfigError({ hook: HOOK, option: `${option}.tool`, problem: 'give a tool name or glob' });
  if (rule.when !== undefined && typeof rule.when !== 'function')
    throw new HookConfigError({ hook: HOOK, option: `${option}.when`, problem: 'must be a function' });
  return { ...namesMatcher(tools, option), when: rule.when, reason: rule.reason };
}

function namesMatcher(
  patterns: readonly string[],
  option: string,
): Pick<CompiledRule, 'matchesName' | 'label'> {
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || pattern === '')
      throw new HookConfigError({ hook: HOOK, option, problem: `tool names must be non-empty strings` });
  }
  const regex = new RegExp(`^(?:${patterns.map(globSource).join('|')})$`);
  return { matchesName: (name) => regex.test(name), label: patterns.join('|') };
}

/** A `*` glob as a regular expression source: `*` matches anything, every other character itself. */
function globSource(glob: string): string {
  return glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
}
