import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/index.js';

const redactor = createRedactor(undefined);

describe('createRedactor (the default rules)', () => {
  it.each([
    ['an OpenAI key', 'key sk-proj-abcdefghijklmnop1234 here', 'key [REDACTED] here'],
    ['an Anthropic key', 'sk-ant-api03-abcdefghijklmnopqrstuv', '[REDACTED]'],
    ['a bearer token', 'Authorization: Bearer abc.def-ghi_jkl', 'Authorization: Bearer [REDACTED]'],
    ['a basic credential', 'Authorization: Basic dXNlcjpwYXNz', 'Authorization: Basic [REDACTED]'],
    ['a lower-case header', 'authorization: bearer abcdefgh12', 'authorization: bearer [REDACTED]'],
    ['an api_key assignment', 'api_key=abcdefgh12', 'api_key=[REDACTED]'],
    ['an x-api-key header', '"x-api-key": "abcdefgh12"', '"x-api-key": "[REDACTED]"'],
    ['an AWS access key id', 'AKIAABCDEFGHIJKLMNOP', '[REDACTED]'],
    ['a GitHub token', `ghp_${'a'.repeat(36)}`, '[REDACTED]'],
    ['a Google API key', `AIza${'b'.repeat(35)}`, '[REDACTED]'],
    ['a Slack token', 'xoxb-1234567890-abc', '[REDACTED]'],
    ['a JSON Web Token', 'eyJhbGciOiJI.eyJzdWIiOiIx.SflKxwRJSMeKK', '[REDACTED]'],
    [
      'a PEM private key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      '[REDACTED]',
    ],
  ])('redacts %s', (_, input, output) => {
    expect(redactor.text(input)).toBe(output);
  });

  it('leaves ordinary text alone and returns the same value when nothing was redacted', () => {
    for (const text of [
      'Greet Alice',
      'basic arithmetic is fine',
      'Basic training for everyone',
      'the bearer of bad news',
      'task-1234567890',
      'skeleton key',
    ])
      expect(redactor.text(text)).toBe(text);
    const message = { role: 'assistant', toolCalls: [{ id: 'c1', name: 'greet', args: { name: 'Alice' } }] };
    expect(redactor.value(message)).toBe(message);
  });

  it('replaces the whole value of sensitive keys, in any case and spelling, without touching the input', () => {
    const input = {
      headers: { Authorization: 'x', 'X-Api-Key': 'y' },
      apiKey: 'z',
      password: 4,
      plain: 'ok',
    };
    expect(redactor.value(input)).toEqual({
      headers: { Authorization: '[REDACTED]', 'X-Api-Key': '[REDACTED]' },
      apiKey: '[REDACTED]',
      password: '[REDACTED]',
      plain: 'ok',
    });
    expect(input.apiKey).toBe('z');
  });
});

describe('createRedactor (configured)', () => {
  it('adds patterns (with or without the g flag) and keys, or replaces the defaults', () => {
    const custom = createRedactor({ patterns: [/ACME-\d{6}/], keys: ['account'] });
    expect(custom.text('ids ACME-123456 and ACME-654321')).toBe('ids [REDACTED] and [REDACTED]');
    expect(custom.text('sk-abcdefghijklmnopqrstu')).toBe('[REDACTED]');
    expect(custom.value({ account: 'a1' })).toEqual({ account: '[REDACTED]' });
    const only = createRedactor({ defaults: false, patterns: [/ACME-\d{6}/g], replacement: '***' });
    expect(only.text('ACME-123456 sk-abcdefghijklmnopqrstu')).toBe('*** sk-abcdefghijklmnopqrstu');
    expect(only.value({ password: 'p' })).toEqual({ password: 'p' });
  });

  it('changes nothing when turned off', () => {
    const off = createRedactor(false);
    expect(off.enabled).toBe(false);
    expect(off.text('sk-abcdefghijklmnopqrstu')).toBe('sk-abcdefghijklmnopqrstu');
  });
});
