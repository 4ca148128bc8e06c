// Keeps a backend's credentials out of what it says: error messages, provider messages, body excerpts.
import { LLMConfigError } from './errors.js';

const REDACTED = '[redacted]';

/** `text` with the `user:pass@` of every URL in it replaced by `[redacted]@`. */
export function withoutCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@?#\s]*@/gi, `$1${REDACTED}@`);
}

/**
 * Throws {@link LLMConfigError} for a base URL with `user:pass@`: `fetch` refuses such URLs, and
 * the password would end up in every error message. The message shows the URL without them.
 */
export function refuseCredentialsInURL({ url, option }: { url: string; option: string }): void {
  if (withoutCredentials(url) === url) return;
  throw new LLMConfigError({
    message: `${option} ${withoutCredentials(url)} carries credentials (user:password@), which fetch cannot send and looplet will not repeat in messages; pass the key as apiKey (or a header) and the URL without them`,
  });
}

/**
 * A function that removes secrets from a text: each of `secrets` (API keys) becomes `[redacted]`,
 * and so do URL credentials. Secrets shorter than 8 characters are left alone: they would match
 * ordinary words.
 */
export function secretScrubber(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const found = secrets.filter((secret): secret is string => secret !== undefined && secret.length >= 8);
  return (text) => {
    let out = withoutCredentials(text);
    for (const secret of found) out = out.replaceAll(secret, REDACTED);
    return out;
  };
}
