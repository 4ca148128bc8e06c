// Checks shared by the backends' constructors: environment variables and base URLs.
import { LLMConfigError } from './errors.js';
import { refuseCredentialsInURL, withoutCredentials } from './secrets.js';

/** An environment variable's value, or undefined when it is unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Throws {@link LLMConfigError} unless `url` is an http(s) URL without credentials; `example`
 * shows a good one in the message.
 */
export function checkBaseURL({ url, example }: { url: string; example: string }): void {
  const protocol = URL.canParse(url) ? new URL(url).protocol : '';
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new LLMConfigError({
      message: `baseURL ${JSON.stringify(withoutCredentials(url))} is not an http(s) URL; use the server root, e.g. ${example}`,
    });
  refuseCredentialsInURL({ url, option: 'baseURL' });
}
