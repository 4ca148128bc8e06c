// Replay compares redacted requests: a changed machine-issued token still shows (its marker
// carries a fingerprint), a changed password cannot (nothing on disk may let it be recovered),
// and hiddenByRedaction counts the values compared that way.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentLoop, createRedactor, ReplayDivergenceError, ReplayLLM, ScriptedLLM } from '../../src/index.js';
import { hiddenByRedaction } from '../../src/provenance/redaction.js';
import { GREETER_SCRIPT, greet, recordRun, tempDir } from './helpers.js';

async function replay(dir: string, goal: string) {
  return agentLoop({ llm: ReplayLLM.fromTrace(dir), tools: [greet], task: { goal } }).result;
}

describe('replay of redacted requests', () => {
  it('sees a changed API key: the two markers carry different fingerprints', async () => {
    const dir = path.join(tempDir(), 'key');
    await recordRun({
      dir,
      llm: new ScriptedLLM(GREETER_SCRIPT),
      task: { goal: 'Greet with sk-proj-aaaaaaaaaaaaaaaaaaaa' },
    });
    expect((await replay(dir, 'Greet with sk-proj-aaaaaaaaaaaaaaaaaaaa')).endReason).toBe('done');
    const changed = await replay(dir, 'Greet with sk-proj-bbbbbbbbbbbbbbbbbbbb');
    expect(changed.error).toBeInstanceOf(ReplayDivergenceError);
    const diff = (changed.error as ReplayDivergenceError).diff;
    expect(diff).toMatch(/^-.*Greet with \[REDACTED:[0-9a-f]{8}\]/m);
    expect(diff).toMatch(/^\+.*Greet with \[REDACTED:[0-9a-f]{8}\]/m);
    expect(diff).not.toContain('bbbbbbbb');
  });

  it('cannot see a changed password, and counts the values compared redacted', async () => {
    const dir = path.join(tempDir(), 'password');
    await recordRun({
      dir,
      llm: new ScriptedLLM(GREETER_SCRIPT),
      task: { goal: 'Log in with password=hunter2' },
    });
    // Documented limitation: the trace holds no trace of the password, so a new one compares equal.
    expect((await replay(dir, 'Log in with password=letmein')).endReason).toBe('done');
    const redactor = createRedactor(undefined);
    const request = redactor.text('Log in with password=letmein and sk-proj-aaaaaaaaaaaaaaaaaaaa');
    expect(hiddenByRedaction(redactor, request)).toBe(1);
    expect(hiddenByRedaction(redactor, redactor.text('nothing secret'))).toBe(0);
    const stars = createRedactor({ replacement: '***' });
    expect(hiddenByRedaction(stars, stars.text('password=a sk-proj-aaaaaaaaaaaaaaaaaaaa token=b'))).toBe(2);
  });
});
