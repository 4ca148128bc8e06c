import { createHash } from 'node:crypto';
import type { Message, ToolCall } from '../core/types.js';
import {
  ASSIGNMENT,
  BUILTIN_SECRET_PATTERNS,
  HEADER_ASSIGNMENT,
  KeyRules,
  redactBlocks,
  type SecretPattern,
  secretScanner,
} from './secret-rules.js';

/**
 * Secret redaction, applied to every request before it leaves the process and to everything a
 * trace writes. On by default; `redact: false` turns it off.
 */
export interface RedactOptions {
  /** More patterns whose matches are replaced (added to the built-in ones unless `defaults: false`). */
  patterns?: readonly RegExp[];
  /** More field names whose whole value is replaced; matched ignoring case, `-` and `_`. */
  keys?: readonly string[];
  /** Keep the built-in patterns and field rules (default true). */
  defaults?: boolean;
  /** What a secret is replaced with (default `[REDACTED]`). */
  replacement?: string;
}

/** `false` turns redaction off; an options object configures it; `undefined` means the defaults. */
export type RedactSetting = RedactOptions | false | undefined;

/** Replaces secrets in strings and in values of sensitive fields. */
export interface Redactor {
  /** False when redaction is off: `value` and `text` return their input. */
  readonly enabled: boolean;
  text(text: string): string;
  /**
   * Redacts a JSON-like value as JSON would see it (through `toJSON`, at any depth: below
   * {@link MAX_REDACT_DEPTH} levels everything is replaced). Returns the same reference when
   * nothing was redacted.
   */
  value<T>(value: T): T;
}

export const REDACTED = '[REDACTED]';

/**
 * How deep a value is followed. Below this many levels of arrays and objects everything is
 * replaced by one marker: nothing deeper reaches the model or the disk, and every writer and
 * reader of a trace stays within a bounded depth.
 */
export const MAX_REDACT_DEPTH = 100;

/**
 * The built-in secret patterns. A pattern with capture groups keeps group 1 (a prefix such as
 * `Bearer `) and replaces the rest. Field names (`password=…`, `"api_key": "…"`) are matched by
 * separate rules, see {@link DEFAULT_REDACT_KEYS}.
 */
export const DEFAULT_REDACT_PATTERNS: readonly RegExp[] = BUILTIN_SECRET_PATTERNS.map((rule) => rule.pattern);

/**
 * Field names whose whole value is replaced (compared lower-cased, without `-` and `_`). Besides
 * these exact names, the built-in rules redact any field whose name has the word `password`,
 * `passwd`, `passphrase`, `secret`, `credential`, `cookie` or `authorization` in it, ends in
 * `token` or `pass`, or ends in `key` after `api`, `private`, `secret`, `access`, `signing` or
 * `encryption` (`db_password`, `clientSecret`, `AWS_SECRET_ACCESS_KEY`, `githubToken`, `x-api-key`).
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'api_key',
  'x-api-key',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'session_token',
  'private_key',
  'cookie',
  'set-cookie',
];

/** What a redactor applies to strings and field names; `snapshotJson` walks values with it. */
interface Rules {
  text(text: string): string;
  /** What to do with a field (names are few and repeat: the answer is cached). */
  field(key: string): Field;
  /** The replacement of a sensitive field's value. */
  sensitiveValue(value: unknown): unknown;
  /** The marker for what lies deeper than {@link MAX_REDACT_DEPTH}. */
  readonly deep: string;
}

/** A field name: how it is written (any secret in it redacted) and whether its value is replaced. */
interface Field {
  readonly name: string;
  readonly sensitive: boolean;
}

const NO_RULES: Rules = {
  text: (text) => text,
  field: (key) => ({ name: key, sensitive: false }),
  sensitiveValue: (value) => value,
  deep: `[nested deeper than ${MAX_REDACT_DEPTH} levels]`,
};

const OFF: Redactor = { enabled: false, text: (text) => text, value: (value) => value };
const rulesOf = new WeakMap<Redactor, Rules>([[OFF, NO_RULES]]);

/**
 * Builds a redactor. `createRedactor(false)` returns one that changes nothing.
 *
 * @example
 * const redactor = createRedactor({ patterns: [/\bACME-[0-9]{6}\b/g] });
 * redactor.text('id ACME-123456'); // 'id [REDACTED]'
 */
export function createRedactor(setting: RedactSetting): Redactor {
  if (setting === false) return OFF;
  // Compiling the patterns costs about as much as redacting a few hundred messages, and every
  // sink makes a redactor: share one per setting (redactors hold no per-run state).
  const key = setting ?? DEFAULT_SETTING;
  let redactor = redactors.get(key);
  if (!redactor) {
    redactor = buildRedactor(key);
    redactors.set(key, redactor);
  }
  return redactor;
}

const DEFAULT_SETTING: RedactOptions = Object.freeze({});
const redactors = new WeakMap<RedactOptions, Redactor>();

/** `[REDACTED:1a2b3c4d]`: the marker of a machine-issued token, with 32 bits of its SHA-256. */
function fingerprintOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}

function buildRedactor(options: RedactOptions): Redactor {
  const defaults = options.defaults ?? true;
  const replacement = options.replacement ?? REDACTED;
  // `[REDACTED]` + detail → `[REDACTED:1a2b3c4d]`; a custom `***` → `***:1a2b3c4d`.
  const withDetail = (detail: string): string =>
    replacement === REDACTED ? `[REDACTED${detail}]` : `${replacement}${detail}`;
  const fingerprinted = (secret: string): string => withDetail(`:${fingerprintOf(secret)}`);
  const isMarker = (text: string): boolean =>
    text.startsWith(replacement === REDACTED ? '[REDACTED' : replacement) && replacement !== '';

  const custom: SecretPattern[] = (options.patterns ?? []).map((pattern) => ({
    pattern: new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
    fingerprint: false,
  }));
  const patterns = [...(defaults ? BUILTIN_SECRET_PATTERNS : []), ...custom];
  const keys = new KeyRules({
    exact: [...(defaults ? DEFAULT_REDACT_KEYS : []), ...(options.keys ?? [])],
    words: defaults,
  });
  const hasKeys = defaults || (options.keys ?? []).length > 0;
  if (patterns.length === 0 && !hasKeys) return OFF;
  // The built-in names are covered by the scanner's own prefixes; configured ones are added.
  const mayHoldSecret = secretScanner(new KeyRules({ exact: options.keys ?? [], words: false }).firstWords());
  // Custom patterns may match anything, so a string is scanned by them whatever the first pass says.
  const alwaysRun = custom.length > 0;

  const replacer =
    (rule: SecretPattern) =>
    (...match: unknown[]): string => {
      const whole = match[0] as string;
      const prefix = typeof match[1] === 'string' ? match[1] : '';
      const secret = whole.slice(prefix.length);
      return `${prefix}${rule.fingerprint ? fingerprinted(secret) : replacement}`;
    };
  const compiled = patterns.map((rule) => ({ pattern: rule.pattern, replace: replacer(rule) }));

  // The value of a sensitive name written as text; an auth scheme before it is kept.
  const assignedValue = (value: string): string => {
    const scheme = /^(?:bearer|basic|token|digest|negotiate)\s+/i.exec(value)?.[0] ?? '';
    const rest = value.slice(scheme.length);
    if (rest === '' || isMarker(rest) || /^(?:null|true|false|undefined|none)$/i.test(rest)) return value;
    return `${scheme}${replacement}`;
  };
  const header = (whole: string, name: string, quote = '', separator: string, scheme = '', value = '') =>
    isMarker(value.trim()) ? whole : `${name}${quote}${separator}${scheme}${replacement}`;
  const assignment = (
    whole: string,
    name: string,
    quote: string | undefined,
    separator: string,
    open: string | undefined,
    quoted: string | undefined,
    bare: string | undefined,
  ): string => {
    // Unquoted header values were handled (to the end of the line) by HEADER_ASSIGNMENT.
    if (!keys.isSensitive(name) || (open === undefined && defaults && HEADER_NAME.test(name))) return whole;
    const head = `${name}${quote ?? ''}${separator}`;
    return open === undefined
      ? `${head}${assignedValue(bare ?? '')}`
      : `${head}${open}${assignedValue(quoted ?? '')}${open}`;
  };

  // The shortest string a built-in rule redacts is a 6-character assignment (`pass=x`).
  const shortest = alwaysRun ? 0 : 6;
  const text = (input: string): string => {
    if (input.length < shortest || (!alwaysRun && !mayHoldSecret(input))) return input;
    let out = input;
    for (const rule of compiled) out = out.replace(rule.pattern, rule.replace);
    if (hasKeys) {
      if (defaults) out = out.replace(HEADER_ASSIGNMENT, header);
      out = out.replace(ASSIGNMENT, assignment);
      out = redactBlocks(out, (name) => keys.isSensitive(name), replacement);
    }
    return out;
  };

  const sensitiveValue = (value: unknown): unknown => {
    if (value === undefined || value === null || value === '' || typeof value === 'boolean') return value;
    if (typeof value === 'string') {
      // A lone machine-issued token keeps its fingerprint; anything else is replaced whole.
      const marker = fingerprinted(value);
      if (text(value) === marker) return marker;
    }
    return replacement;
  };
  const fields = new Map<string, Field>();
  const field = (key: string): Field => {
    let known = fields.get(key);
    if (known === undefined) {
      known = { name: text(key), sensitive: keys.isSensitive(key) };
      if (fields.size < 10_000) fields.set(key, known);
    }
    return known;
  };
  const rules: Rules = {
    text,
    field,
    sensitiveValue,
    deep: withDetail(`: nested deeper than ${MAX_REDACT_DEPTH} levels`),
  };

  const redactor: Redactor = {
    enabled: true,
    text,
    value: <T>(input: T): T => redactValue(rules, input, '', 0, []) as T,
  };
  rulesOf.set(redactor, rules);
  // The plain marker, and the depth marker; not a fingerprinted one.
  if (replacement !== '')
    hiddenMarkers.set(
      redactor,
      replacement === REDACTED
        ? /\[REDACTED(?::\s[^\]]*)?\]/g
        : new RegExp(`${escapeRegExp(replacement)}(?!:[0-9a-f]{8})`, 'g'),
    );
  return redactor;
}

/**
 * {@link Redactor.value} for a conversation message, the hot path of recording (every new message
 * of every model call): the fields the loop sets to ids, names and roles are not scanned, only the
 * text and the tool-call arguments. A message with any other field takes the general path.
 */
export function redactMessage(redactor: Redactor, message: Message): Message {
  const rules = rulesOf.get(redactor);
  if (rules === undefined || rules === NO_RULES) return message;
  let copy: Record<string, unknown> | undefined;
  for (const key in message) {
    switch (key) {
      case 'role':
      case 'name':
      case 'toolCallId':
        continue;
      case 'content': {
        const content = (message as { content?: unknown }).content;
        if (typeof content !== 'string') return redactor.value(message);
        const redacted = rules.text(content);
        if (redacted !== content) {
          copy ??= { ...message };
          copy.content = redacted;
        }
        continue;
      }
      case 'toolCalls': {
        const calls = (message as { toolCalls?: unknown }).toolCalls;
        if (!Array.isArray(calls)) return redactor.value(message);
        const redacted = redactToolCalls(rules, calls as ToolCall[]);
        if (redacted !== calls) {
          copy ??= { ...message };
          copy.toolCalls = redacted;
        }
        continue;
      }
      default:
        return redactor.value(message);
    }
  }
  return (copy as Message | undefined) ?? message;
}

function redactToolCalls(rules: Rules, calls: readonly ToolCall[]): readonly ToolCall[] {
  let copy: ToolCall[] | undefined;
  for (let index = 0; index < calls.length; index++) {
    const call = calls[index]!;
    const args = redactValue(rules, call.args, 'args', 3, []);
    const argsError = call.argsError === undefined ? undefined : rules.text(call.argsError);
    if (args !== call.args || argsError !== call.argsError) {
      copy ??= calls.slice();
      copy[index] = {
        ...call,
        args: args as Record<string, unknown>,
        ...(argsError === undefined ? {} : { argsError }),
      };
    }
  }
  return copy ?? calls;
}

/**
 * How many values in `text` (a redacted value, rendered) were replaced without a fingerprint.
 * Two redacted requests that compare equal may still differ inside those values (a password
 * that changed): a replay comparison can say so. Machine-issued tokens keep a fingerprint
 * (`[REDACTED:1a2b3c4d]`), so a change of one shows as a difference and is not counted.
 */
export function hiddenByRedaction(redactor: Redactor, text: string): number {
  const hidden = hiddenMarkers.get(redactor);
  if (hidden === undefined) return 0;
  hidden.lastIndex = 0;
  let count = 0;
  while (hidden.exec(text) !== null) count++;
  return count;
}

const hiddenMarkers = new WeakMap<Redactor, RegExp>();
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const HEADER_NAME = /^(?:(?:proxy-)?authorization|(?:set-)?cookie)$/i;
// What JSON cannot hold, written as these markers (never with the value: it may hold a secret).
const CIRCULAR = '[Circular]';
const UNSERIALISABLE = '[unserialisable value]';
const UNREADABLE = '[unreadable property]';

/**
 * Redacts `input` keeping every reference that needed no change (the request forwarded to a model
 * is the caller's own objects unless a secret was found). `toJSON` is followed, as the backend's
 * JSON encoder will; a circular reference becomes `"[Circular]"`.
 */
function redactValue(rules: Rules, input: unknown, key: string, depth: number, ancestors: object[]): unknown {
  if (typeof input === 'string') return rules.text(input);
  if (typeof input !== 'object' || input === null) return input;
  if (depth >= MAX_REDACT_DEPTH) return rules.deep;
  try {
    const toJSON = (input as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(input, key);
      if (json !== input) return redactValue(rules, json, key, depth, ancestors);
    }
    if (ancestors.includes(input)) return CIRCULAR;
    ancestors.push(input);
    try {
      return Array.isArray(input)
        ? redactArray(rules, input, depth, ancestors)
        : redactRecord(rules, input as Record<string, unknown>, depth, ancestors);
    } finally {
      ancestors.pop();
    }
  } catch {
    return UNSERIALISABLE;
  }
}

function redactArray(rules: Rules, input: readonly unknown[], depth: number, ancestors: object[]): unknown[] {
  for (let index = 0; index < input.length; index++) {
    const item = input[index];
    const redacted = redactValue(rules, item, String(index), depth + 1, ancestors);
    if (redacted === item) continue;
    // The copy is built from values that all went through the rules (the members before this
    // one are read and redacted again, in case a getter answers differently the second time).
    const copy: unknown[] = [];
    for (let at = 0; at < input.length; at++)
      copy.push(at === index ? redacted : redactValue(rules, input[at], String(at), depth + 1, ancestors));
    return copy;
  }
  return input as unknown[];
}

function redactRecord(
  rules: Rules,
  input: Record<string, unknown>,
  depth: number,
  ancestors: object[],
): Record<string, unknown> {
  for (const key in input) {
    if (!Object.hasOwn(input, key)) continue;
    const item = input[key];
    const field = rules.field(key);
    const redacted = redactMember(rules, field, key, item, depth, ancestors);
    if (redacted === item && field.name === key) continue;
    // As for arrays: every member of the copy went through the rules.
    const copy: Record<string, unknown> = {};
    for (const name in input) {
      if (!Object.hasOwn(input, name)) continue;
      const other = rules.field(name);
      copy[other.name] =
        name === key ? redacted : redactMember(rules, other, name, input[name], depth, ancestors);
    }
    return copy;
  }
  return input;
}

function redactMember(
  rules: Rules,
  field: Field,
  key: string,
  item: unknown,
  depth: number,
  ancestors: object[],
): unknown {
  return field.sensitive ? rules.sensitiveValue(item) : redactValue(rules, item, key, depth + 1, ancestors);
}

/**
 * A redacted snapshot of `input` as plain JSON data — strings, finite numbers, booleans, null,
 * arrays and plain objects, read once — that `canonicalJson` writes as it is and `JSON.parse`
 * reads back equal. What JSON cannot hold is written as JSON.stringify would, or as a marker
 * where it would throw: `toJSON` is followed (one that throws becomes a marker), a bigint becomes
 * its decimal string, a circular reference `"[Circular]"`, a getter or proxy that throws a
 * marker, `undefined`/functions/symbols are left out of objects and `null` in arrays, non-finite
 * numbers `null`, and everything below {@link MAX_REDACT_DEPTH} levels one marker.
 */
export function snapshotJson(redactor: Redactor, input: unknown): unknown {
  return snapshot(rulesOf.get(redactor) ?? NO_RULES, input, '', 0, []);
}

function snapshot(rules: Rules, input: unknown, key: string, depth: number, ancestors: object[]): unknown {
  switch (typeof input) {
    case 'string':
      return rules.text(input);
    case 'number':
      return Number.isFinite(input) ? input : null;
    case 'boolean':
      return input;
    case 'bigint':
      return rules.text(input.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (input === null) return null;
  if (depth >= MAX_REDACT_DEPTH) return rules.deep;
  try {
    const toJSON = (input as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(input, key);
      if (json !== input) return snapshot(rules, json, key, depth, ancestors);
    }
    // Boxed primitives are written as their value, as JSON.stringify does.
    if (input instanceof String || input instanceof Number || input instanceof Boolean)
      return snapshot(rules, input.valueOf(), key, depth, ancestors);
    if (ancestors.includes(input as object)) return CIRCULAR;
    ancestors.push(input as object);
    try {
      if (Array.isArray(input)) {
        const out: unknown[] = [];
        for (let index = 0; index < input.length; index++)
          out.push(snapshot(rules, input[index], String(index), depth + 1, ancestors) ?? null);
        return out;
      }
      const out: Record<string, unknown> = {};
      const record = input as Record<string, unknown>;
      for (const name of Object.keys(record)) {
        let item: unknown;
        try {
          item = record[name];
        } catch {
          out[rules.field(name).name] = UNREADABLE;
          continue;
        }
        const field = rules.field(name);
        const value = snapshot(
          rules,
          field.sensitive ? rules.sensitiveValue(item) : item,
          name,
          depth + 1,
          ancestors,
        );
        if (value !== undefined) out[field.name] = value;
      }
      return out;
    } finally {
      ancestors.pop();
    }
  } catch {
    return UNSERIALISABLE;
  }
}
