/**
 * Secret redaction, applied to every request before it leaves the process and to everything a
 * trace writes. On by default; `redact: false` turns it off.
 */
export interface RedactOptions {
  /** More patterns whose matches are replaced (added to the built-in ones unless `defaults: false`). */
  patterns?: readonly RegExp[];
  /** More object keys whose whole value is replaced; matched ignoring case, `-` and `_`. */
  keys?: readonly string[];
  /** Keep the built-in patterns and keys (default true). */
  defaults?: boolean;
  /** What a secret is replaced with (default `[REDACTED]`). */
  replacement?: string;
}

/** `false` turns redaction off; an options object configures it; `undefined` means the defaults. */
export type RedactSetting = RedactOptions | false | undefined;

/** Replaces secrets in strings and in values of sensitive keys. */
export interface Redactor {
  /** False when redaction is off: `value` and `text` return their input. */
  readonly enabled: boolean;
  text(text: string): string;
  /** Redacts a JSON-like value; returns the same reference when nothing was redacted. */
  value<T>(value: T): T;
}

export const REDACTED = '[REDACTED]';

/**
 * The built-in secret patterns. A pattern with capture groups keeps group 1 (a prefix such as
 * `Bearer `) and replaces the rest.
 */
export const DEFAULT_REDACT_PATTERNS: readonly RegExp[] = [
  // OpenAI, Anthropic and most "sk-" style API keys (sk-…, sk-proj-…, sk-ant-api03-…).
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  // Bearer and Basic credentials, e.g. an Authorization header copied into a prompt. The scheme
  // is matched with its capital (prose says "bearer" and "basic"), and a Basic credential must
  // look like base64 (length a multiple of 4, a digit, symbol or inner capital), so "Basic
  // training" stays.
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g,
  /\b(Basic\s+)(?=[A-Za-z0-9+/]*(?:[0-9+/=]|[a-z][A-Z]))(?:[A-Za-z0-9+/]{4}){2,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?/g,
  // `authorization: token …`, `api_key=…`, `"x-api-key": "…"` written as text, any case.
  /\b((?:authorization|proxy-authorization|x-api-key|api[-_]?key)["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token)\s+)?)[^\s"',;}]{8,}/gi,
  // AWS access key ids, GitHub tokens, Google API keys, Slack tokens.
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  // JSON Web Tokens.
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // PEM private keys.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

/** The built-in sensitive keys (compared lower-cased, without `-` and `_`). */
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

const normalizeKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

/**
 * Text every built-in pattern needs one of. Scanning for these literals is several times faster
 * than the patterns themselves, and almost no string contains any of them.
 */
const DEFAULT_HINTS =
  /sk-|bearer|basic|authori|api[-_]?key|akia|gh[pousr]_|github_pat_|aiza|xox[abprs]-|eyj|-----begin/i;

const OFF: Redactor = { enabled: false, text: (text) => text, value: (value) => value };

/**
 * Builds a redactor. `createRedactor(false)` returns one that changes nothing.
 *
 * @example
 * const redactor = createRedactor({ patterns: [/\bACME-[0-9]{6}\b/g] });
 * redactor.text('key sk-abcdefghijklmnopqrstuvwxyz'); // 'key [REDACTED]'
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

function buildRedactor(options: RedactOptions): Redactor {
  const defaults = options.defaults ?? true;
  const replacement = options.replacement ?? REDACTED;
  const patterns = [...(defaults ? DEFAULT_REDACT_PATTERNS : []), ...(options.patterns ?? [])].map(
    (pattern) =>
      new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
  );
  const keys = new Set([...(defaults ? DEFAULT_REDACT_KEYS : []), ...(options.keys ?? [])].map(normalizeKey));
  if (patterns.length === 0 && keys.size === 0) return OFF;
  // A case-insensitive prefilter finds the (rare) strings worth running every pattern on.
  const hints = [
    ...(defaults ? [DEFAULT_HINTS.source] : []),
    ...(options.patterns ?? []).map((pattern) => `(?:${pattern.source})`),
  ];
  const prefilter = hints.length > 0 ? new RegExp(hints.join('|'), 'i') : undefined;
  // Keys repeat (role, content, args…): remember which are sensitive rather than normalising each time.
  const sensitive = new Map<string, boolean>();
  const isSensitive = (key: string): boolean => {
    let answer = sensitive.get(key);
    if (answer === undefined) {
      answer = keys.has(normalizeKey(key));
      if (sensitive.size < 10_000) sensitive.set(key, answer);
    }
    return answer;
  };

  // No built-in pattern matches fewer than 14 characters (`Basic ` + 8): shorter strings (roles,
  // tool names, ids…) are skipped without scanning. Custom patterns may match anything.
  const shortest = options.patterns && options.patterns.length > 0 ? 0 : 14;
  const text = (input: string): string => {
    if (input.length < shortest || !prefilter?.test(input)) return input;
    let out = input;
    for (const pattern of patterns) {
      out = out.replace(pattern, (...match: unknown[]) => {
        const prefix = match[1];
        return typeof prefix === 'string' ? `${prefix}${replacement}` : replacement;
      });
    }
    return out;
  };

  const value = (input: unknown, depth: number): unknown => {
    if (typeof input === 'string') return text(input);
    if (typeof input !== 'object' || input === null || depth > 64) return input;
    if (Array.isArray(input)) {
      let copy: unknown[] | undefined;
      for (let index = 0; index < input.length; index++) {
        const item = input[index];
        const redacted = value(item, depth + 1);
        if (redacted !== item) {
          copy ??= input.slice();
          copy[index] = redacted;
        }
      }
      return copy ?? input;
    }
    if (typeof (input as { toJSON?: unknown }).toJSON === 'function') return input;
    const record = input as Record<string, unknown>;
    let copy: Record<string, unknown> | undefined;
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const item = record[key];
      const redacted =
        isSensitive(key) && item !== undefined && item !== null && item !== ''
          ? replacement
          : value(item, depth + 1);
      if (redacted !== item) {
        copy ??= { ...record };
        copy[key] = redacted;
      }
    }
    return copy ?? record;
  };

  return { enabled: true, text, value: <T>(input: T): T => value(input, 0) as T };
}
