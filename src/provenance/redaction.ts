import type { Message, ToolCall } from '../core/types.js';
import {
  type Field,
  MAX_REDACT_DEPTH,
  type Rules,
  redactToolCalls,
  redactValue,
  snapshot,
} from './redaction-walk.js';
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

export { MAX_REDACT_DEPTH };

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
  // node:crypto is loaded on first use, off `import 'looplet'`'s cold path.
  return process
    .getBuiltinModule('node:crypto')
    .createHash('sha256')
    .update(secret)
    .digest('hex')
    .slice(0, 8);
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
