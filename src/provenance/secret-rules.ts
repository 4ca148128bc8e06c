// The built-in secret rules of the redactor (redaction.ts): which text spans and which object
// keys hold secrets, and a cheap scan that tells the (rare) strings worth running the rules on.

import { jsonBlockEnd } from '../util/json-block.js';

/** A text rule: its matches are secrets (group 1, when the pattern has one, is kept as a prefix). */
export interface SecretPattern {
  readonly pattern: RegExp;
  /**
   * The match is a machine-issued token (fixed prefix, or a fixed length of random characters):
   * it is replaced by a marker with a short fingerprint, so a changed token still shows in a diff.
   * Never set for what a person may have chosen (passwords), whose fingerprint could be brute-forced.
   */
  readonly fingerprint: boolean;
}

const shaped = (pattern: RegExp): SecretPattern => ({ pattern, fingerprint: true });
const chosen = (pattern: RegExp): SecretPattern => ({ pattern, fingerprint: false });

/** The built-in text rules, in the order they run. */
export const BUILTIN_SECRET_PATTERNS: readonly SecretPattern[] = [
  // PEM private keys (also a block cut short before its END line).
  shaped(
    /-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  ),
  // JSON Web Tokens (the signature may be empty).
  shaped(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?/g),
  // OpenAI, Anthropic and most "sk-" API keys (sk-…, sk-proj-…, sk-ant-api03-…); Stripe keys.
  shaped(/\bsk-[A-Za-z0-9_-]{16,}/g),
  shaped(/\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g),
  // AWS access key ids (long-term AKIA…, temporary ASIA…, and the other IAM id prefixes).
  shaped(/\b(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASCA)[A-Z0-9]{16}\b/g),
  // GitHub tokens, Google API keys, Slack tokens.
  shaped(/\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g),
  shaped(/\bAIza[0-9A-Za-z_-]{35}/g),
  shaped(/\bxox[abprs]-[A-Za-z0-9-]{10,}/g),
  // AWS secret access keys: exactly 40 characters of base64 with both cases and a digit or
  // symbol, standing alone (a longer base64 run, a hex digest or a word does not match).
  shaped(
    /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
  ),
  // The password of a URL: scheme://user:PASSWORD@host (up to the last @ of the authority).
  chosen(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:"'<>]*:)[^\s/?#"'<>]+(?=@)/g),
  // Bearer and Basic credentials. The scheme is matched with its capital (prose says "bearer"
  // and "basic"), and a Basic credential must look like base64 (length a multiple of 4, a digit,
  // symbol or inner capital), so "Basic training" stays.
  chosen(/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g),
  chosen(
    /\b(Basic\s+)(?=[A-Za-z0-9+/]*(?:[0-9+/=]|[a-z][A-Z]))(?:[A-Za-z0-9+/]{4}){2,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?/g,
  ),
];

/**
 * `Authorization: …`, `Cookie: …` and the like written as text, unquoted: the value runs to the
 * end of the line (a cookie header holds `;` and spaces). An auth scheme before it is kept.
 */
export const HEADER_ASSIGNMENT =
  /(?<![A-Za-z0-9_-])((?:proxy-)?authorization|(?:set-)?cookie)(\\?["'])?([ \t]*[:=][ \t]*)(?!\\?["'])((?:bearer|basic|token|digest|negotiate)[ \t]+)?([^\r\n"'\\]+)/gi;

/**
 * `name = value`, `name: value`, `"name": "value"` (also JSON inside a JSON string, `\"name\"`):
 * the value is redacted when the name is sensitive ({@link KeyRules}). A quoted value runs to its
 * closing quote; an unquoted one to whitespace, a quote or one of `, ; & ) ] } < >`.
 * Groups: 1 name, 2 its closing quote, 3 separator, 4 the value's opening quote, 5 quoted value,
 * 6 unquoted value.
 */
export const ASSIGNMENT =
  /(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]*)(\\?["'])?([ \t]*[:=][ \t]*)(?:(\\?["'])((?:[^\\\r\n]|\\.)*?)\4|([^\s"'\\,;&)}\]<>[{=][^\s"'\\,;&)}\]<>]*))/g;

/** `name: {` or `"name": [`: a sensitive name whose value is an object or array written as text. */
const BLOCK_ASSIGNMENT = /(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]*)(\\?["'])?([ \t]*[:=][ \t]*)(?=[{[])/g;

/**
 * Replaces the object or array after each sensitive name in `text` (JSON or YAML-like flow text)
 * with `replacement`, quoted as the name is. The block ends at its matching bracket, brackets
 * inside double-quoted strings not counted; an unbalanced block runs to the end of the text.
 */
export function redactBlocks(
  text: string,
  isSensitive: (name: string) => boolean,
  replacement: string,
): string {
  let out = '';
  let copied = 0;
  BLOCK_ASSIGNMENT.lastIndex = 0;
  for (let match = BLOCK_ASSIGNMENT.exec(text); match !== null; match = BLOCK_ASSIGNMENT.exec(text)) {
    if (!isSensitive(match[1]!)) continue;
    const start = match.index + match[0].length;
    const end = jsonBlockEnd(text, start) ?? text.length;
    const quote = match[2] ?? '';
    out += `${text.slice(copied, start)}${quote}${replacement}${quote}`;
    copied = end;
    BLOCK_ASSIGNMENT.lastIndex = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Words that make any field holding them sensitive (`db_password`, `clientSecret`, `Set-Cookie`). */
const SENSITIVE_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'secrets',
  'credential',
  'credentials',
  'cookie',
  'cookies',
  'authorization',
  'apikey',
  'privatekey',
]);
/** Words that make a field sensitive when they end its name (`access_token`, `smtpPass`; not `max_tokens`). */
const SENSITIVE_LAST_WORDS = new Set(['token', 'pass']);
/** `…_key` is sensitive after these words (`api_key`, `x-api-key`, `privateKey`; not `sort_key`). */
const KEY_QUALIFIERS = new Set(['api', 'private', 'secret', 'access', 'signing', 'encryption']);

/**
 * Prefixes (lower case) that a sensitive name or a built-in pattern starts with at a word start;
 * what {@link SecretScanner} looks for besides long tokens and URLs with an `@`.
 */
const BUILTIN_PREFIXES = [
  'pass',
  'secret',
  'token',
  'cookie',
  'authori',
  'credential',
  'api',
  'private',
  'access',
  'signing',
  'encryption',
  'bearer',
  'basic',
  'begin',
  'sk',
  'rk',
  'ey',
];

/** The words of a field name: `AWS_SECRET_ACCESS_KEY`, `awsSecretAccessKey` → aws secret access key. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
}

/** Normalises a configured key: lower case, without `-` and `_`. */
export const normalizeKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

/** Decides which field names are sensitive: the built-in word rules and exact keys. */
export class KeyRules {
  readonly #exact: ReadonlySet<string>;
  readonly #firstWords: string[];
  readonly #words: boolean;
  readonly #cache = new Map<string, boolean>();

  /**
   * @param exact keys matched whole (ignoring case, `-` and `_`)
   * @param words whether the built-in word rules apply
   */
  constructor({ exact, words }: { exact: readonly string[]; words: boolean }) {
    this.#exact = new Set(exact.map(normalizeKey));
    this.#firstWords = exact.map((key) => nameWords(key)[0] ?? '').filter((word) => word !== '');
    this.#words = words;
  }

  /** The first word of every exact key (for the scanner's prefixes). */
  firstWords(): string[] {
    return this.#firstWords;
  }

  isSensitive(name: string): boolean {
    // Names repeat (role, content, args…): remember the answer rather than splitting each time.
    let answer = this.#cache.get(name);
    if (answer === undefined) {
      answer = this.#classify(name);
      if (this.#cache.size < 10_000) this.#cache.set(name, answer);
    }
    return answer;
  }

  #classify(name: string): boolean {
    if (this.#exact.has(normalizeKey(name))) return true;
    if (!this.#words) return false;
    const words = nameWords(name);
    const last = words[words.length - 1];
    if (last === undefined) return false;
    if (SENSITIVE_LAST_WORDS.has(last)) return true;
    if (last === 'key' && words.length > 1 && KEY_QUALIFIERS.has(words[words.length - 2]!)) return true;
    return words.some((word) => SENSITIVE_WORDS.has(word));
  }
}

// Character classes for the scanner (ASCII only; anything else is a separator to it).
const TOKEN = 1; // may be part of a token: A-Z a-z 0-9 _ - + / = . ~
const ALNUM = 2;
const UPPER = 4;
const FIRST = 8; // the first letter of a prefix
const AT = 16;

/**
 * The length of the shortest token a shaped pattern matches (`xoxb-` + 10): a string whose runs
 * of token characters are all shorter holds none of them.
 */
const LONG_RUN = 15;

/**
 * Builds a cheap first pass over a string (one loop over its characters, no allocation) that
 * answers "may hold a secret": a run of {@link LONG_RUN}+ token characters, a URL together with
 * an `@`, or a word starting with a prefix of a sensitive name or pattern (`extraPrefixes` adds
 * some). Only strings it flags are run through the patterns; almost none are. It
 * over-approximates every built-in rule.
 */
export function secretScanner(extraPrefixes: readonly string[]): (text: string) => boolean {
  const classes = new Uint8Array(128);
  const prefixes: string[][] = Array.from({ length: 128 }, () => []);
  for (let code = 0; code < 128; code++) {
    const char = String.fromCharCode(code);
    let flags = 0;
    if (/[A-Za-z0-9_\-+/=.~]/.test(char)) flags |= TOKEN;
    if (/[A-Za-z0-9]/.test(char)) flags |= ALNUM;
    if (/[A-Z]/.test(char)) flags |= UPPER;
    if (char === '@') flags |= AT;
    classes[code] = flags;
  }
  for (const prefix of new Set([...BUILTIN_PREFIXES, ...extraPrefixes.map((word) => word.toLowerCase())])) {
    const lower = prefix.charCodeAt(0);
    if (!/^[a-z0-9]+$/.test(prefix)) continue;
    for (const code of new Set([lower, prefix.toUpperCase().charCodeAt(0)])) {
      classes[code] = classes[code]! | FIRST;
      prefixes[code]!.push(prefix);
    }
  }

  const startsPrefix = (text: string, index: number, code: number): boolean => {
    const candidates = prefixes[code]!;
    for (let at = 0; at < candidates.length; at++) {
      const prefix = candidates[at]!;
      if (index + prefix.length > text.length) continue;
      let offset = 1;
      // `| 32` lower-cases an ASCII letter (digits are unchanged).
      while (offset < prefix.length && (text.charCodeAt(index + offset) | 32) === prefix.charCodeAt(offset))
        offset++;
      if (offset === prefix.length) return true;
    }
    return false;
  };

  return (text: string): boolean => {
    let run = 0;
    let at = false;
    let previous = 0;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      const flags = code < 128 ? classes[code]! : 0;
      if ((flags & TOKEN) !== 0) {
        if (++run >= LONG_RUN) return true;
      } else {
        run = 0;
        if (flags === AT) at = true;
      }
      // A word starts after a non-alphanumeric character or at a capital (camelCase).
      if ((flags & FIRST) !== 0 && ((previous & ALNUM) === 0 || (flags & UPPER) !== 0)) {
        if (startsPrefix(text, index, code)) return true;
      }
      previous = flags;
    }
    return at && text.includes('://');
  };
}
