// Secrets never reach disk with default settings: every secret kind, planted in every place a run
// writes, in every form (prose, structured, behind toJSON, deeply nested), recorded by a default
// ProvenanceSink; then every byte under the trace directory is searched. Also a failing backend
// (the real OpenAI SDK against a local server) whose error messages and bodies carry secrets.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import {
  agentLoop,
  defineTool,
  type Hook,
  type LLMBackend,
  type LLMRequest,
  OpenAIBackend,
  ProvenanceSink,
  readTrace,
  ScriptedLLM,
  type ScriptedTurn,
} from '../../src/index.js';
import { useOpenAIServer } from '../helpers/openai-server.js';
import { tempDir } from './helpers.js';

/** One secret kind: how it reads in prose and as a field, and the bytes that must not be on disk. */
interface Kind {
  name: string;
  /** The secret on its own line of prose. */
  prose: string;
  /** The secret as structured data. */
  fields: Record<string, unknown>;
  /** What must not appear anywhere on disk. */
  needles: string[];
}

/** Every kind, with values unique to `tag` (letters and digits), so a leak names its place. */
function kinds(tag: string): Kind[] {
  const upper = tag.toUpperCase();
  const openai = `sk-proj-${tag}Qm9yZ2V0TWVOb3Q${tag}`;
  const awsId = `AKIA${`${upper}QWERTYUIOPASDFG`.slice(0, 16)}`;
  const awsSecret = `${`wJalrXUtnFEMI/K7MDENG/${tag}`}${'bPxRfiCYEXAMPLEKEYabcdefghijklmn'}`.slice(0, 40);
  const awsSecret2 = `Zz9/${tag}${'Yy8+Xx7/Ww6+Vv5/Uu4+Tt3/Ss2+Rr1/Qq0+'}`.slice(0, 40);
  const urlPassword = `Tr0ub4dor-${tag}`;
  const pemBody = `MIIEpAIBAAKCAQEA${tag}x7GcQ2mZ9Lr3vT8kYpWn4Hs`;
  const jwtSignature = `Sfl${tag}KxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`;
  const jwt = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwi${tag}.${jwtSignature}`;
  const bearer = `tok-${tag}-9f8e7d6c5b4a`;
  const password = `pw-${tag}-hunter2`;
  const clientSecret = `cs-${tag}-s3cr3t`;
  const accessToken = `at-${tag}-t0k3n`;
  const apiKey = `ak-${tag}-k3y`;
  const authToken = `az-${tag}-4uth`;
  const cookie = `ck-${tag}-c00k1e`;
  const github = `ghp_${`${tag}abcdefghijklmnopqrstuvwxyz0123456789`.slice(0, 36)}`;
  return [
    {
      name: 'OpenAI key',
      prose: `use the key ${openai} for it`,
      fields: { note1: openai },
      needles: [openai],
    },
    { name: 'AWS access key id', prose: `id ${awsId} is ours`, fields: { note2: awsId }, needles: [awsId] },
    {
      name: 'AWS secret access key',
      prose: `the AWS secret is ${awsSecret} and AWS_SECRET_ACCESS_KEY=${awsSecret2}`,
      fields: { note3: awsSecret, aws_secret_access_key: awsSecret2 },
      needles: [awsSecret, awsSecret2],
    },
    {
      name: 'URL password',
      prose: `connect to postgres://deploy:${urlPassword}@db.internal:5432/app please`,
      fields: { url: `https://deploy:${urlPassword}@db.internal/app` },
      needles: [urlPassword],
    },
    {
      name: 'PEM private key',
      prose: `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`,
      fields: { pem: `-----BEGIN PRIVATE KEY-----\n${pemBody}\n-----END PRIVATE KEY-----` },
      needles: [pemBody],
    },
    { name: 'JWT', prose: `session ${jwt} expires`, fields: { note4: jwt }, needles: [jwtSignature] },
    {
      name: 'bearer token',
      prose: `send Bearer ${bearer} with it`,
      fields: { header: `Bearer ${bearer}` },
      needles: [bearer],
    },
    {
      name: 'password field',
      prose: `DB_PASSWORD=${password}`,
      fields: { db: { Password: password } },
      needles: [password],
    },
    {
      name: 'secret field',
      prose: `client_secret: ${clientSecret}`,
      fields: { clientSecret },
      needles: [clientSecret],
    },
    {
      name: 'token field',
      prose: `access_token=${accessToken}&x=1`,
      fields: { access_token: accessToken },
      needles: [accessToken],
    },
    {
      name: 'api key field',
      prose: `"x-api-key": "${apiKey}"`,
      fields: { 'X-API-KEY': apiKey },
      needles: [apiKey],
    },
    {
      name: 'authorization field',
      prose: `Authorization: Token ${authToken}`,
      fields: { authorization: `Token ${authToken}` },
      needles: [authToken],
    },
    {
      name: 'cookie',
      prose: `Cookie: session=${cookie}; theme=dark`,
      fields: { cookies: { session: cookie } },
      needles: [cookie],
    },
    { name: 'GitHub token', prose: `push with ${github} now`, fields: { note5: github }, needles: [github] },
  ];
}

/** Text that must survive: redaction replaces the secret's span, not the text around it. */
const KEEP = 'End of notes for the deploy.';

type Form = 'prose' | 'structured' | 'toJSON' | 'deep';
const FORMS: Form[] = ['prose', 'structured', 'toJSON', 'deep'];

/** The planted value in `form`: prose text, an object, one behind toJSON, or one 80 levels deep. */
function planted(form: Form, all: Kind[]): unknown {
  if (form === 'prose') return `Notes:\n${all.map((kind) => `- ${kind.prose}`).join('\n')}\n${KEEP}`;
  const fields = Object.assign({ keep: KEEP }, ...all.map((kind) => kind.fields)) as Record<string, unknown>;
  if (form === 'structured') return fields;
  if (form === 'toJSON') return { toJSON: () => fields };
  let deep: unknown = fields;
  for (let level = 0; level < 80; level++) deep = { level: deep };
  return deep;
}

/** The planted value where only text fits (model text, tool errors, hook context). */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

type Place =
  | 'task'
  | 'tool args'
  | 'tool results'
  | 'model text'
  | 'tool errors'
  | 'request options'
  | 'artifacts'
  | 'expected'
  | 'hook context'
  | 'hook metadata';
const PLACES: Place[] = [
  'task',
  'tool args',
  'tool results',
  'model text',
  'tool errors',
  'request options',
  'artifacts',
  'expected',
  'hook context',
  'hook metadata',
];

/** Records one run with `value` planted in `place`, with a default sink; returns the trace dir. */
async function recordWithSecret(place: Place, value: unknown): Promise<string> {
  const dir = path.join(tempDir(), 'trace');
  const sink = new ProvenanceSink({ dir });
  const use = defineTool({
    name: 'use',
    description: 'Uses its input',
    parameters: { type: 'object' },
    run: () => {
      if (place === 'tool errors') throw typeof value === 'string' ? new Error(value) : value;
      return place === 'tool results' ? value : 'ok';
    },
  });
  const turns: ScriptedTurn[] = [
    {
      ...(place === 'model text' ? { text: asText(value) } : { text: 'Using it.' }),
      toolCalls: [{ id: 'c1', name: 'use', args: place === 'tool args' ? { input: value } : {} }],
    },
    { toolCalls: [{ id: 'c2', name: 'done', args: { summary: 'done' } }] },
  ];
  const recorded = sink.wrapLLM(new ScriptedLLM(turns));
  const llm: LLMBackend =
    place === 'request options'
      ? {
          model: 'scripted',
          generate: (request) => recorded.generate({ ...request, extra: value } as LLMRequest),
        }
      : recorded;
  const hook: Hook = {
    postDispatch: () =>
      place === 'hook context'
        ? { additionalContext: asText(value) }
        : place === 'hook metadata'
          ? { metadata: { note: value } }
          : undefined,
  };
  if (place === 'artifacts') sink.artifacts = { note: value };
  if (place === 'expected') sink.expected = { note: value };
  const task =
    place === 'task'
      ? typeof value === 'string'
        ? { goal: value }
        : { goal: 'Deploy', config: value }
      : 'Deploy';
  const run = agentLoop({ llm, tools: [use], task, hooks: [hook, sink.hook()] });
  const result = await run.result;
  expect(result.endReason).toBe('done');
  await sink.flush();
  return dir;
}

/** Every file under `dir`, hidden ones included, as raw bytes. */
function everyByte(dir: string): Buffer[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(path.join(entry.parentPath, entry.name)));
}

/** The needles found on disk, named by kind. */
function leaks(dir: string, all: Kind[]): string[] {
  const files = everyByte(dir);
  return all.flatMap((kind) =>
    kind.needles.filter((needle) => files.some((bytes) => bytes.includes(needle))).map(() => kind.name),
  );
}

describe('no secret reaches disk with default settings: kinds × places × forms', () => {
  for (const [placeIndex, place] of PLACES.entries()) {
    it(`${place}: every kind, in every form`, async () => {
      for (const [formIndex, form] of FORMS.entries()) {
        const all = kinds(`p${placeIndex}f${formIndex}`);
        const dir = await recordWithSecret(place, planted(form, all));
        expect({ place, form, leaked: leaks(dir, all) }).toEqual({ place, form, leaked: [] });
        // The trace reads back, and the text around the secrets is still there.
        await readTrace(dir);
        if (form !== 'deep') expect(everyByte(dir).some((bytes) => bytes.includes(KEEP))).toBe(true);
      }
    });
  }

  it('finds every planted secret when redaction is off (the search itself works)', async () => {
    const all = kinds('off');
    const dir = path.join(tempDir(), 'off');
    const sink = new ProvenanceSink({ dir, redact: false });
    sink.artifacts = { prose: planted('prose', all), structured: planted('structured', all) };
    const run = agentLoop({
      llm: sink.wrapLLM(new ScriptedLLM([{ toolCalls: [{ id: 'c', name: 'done', args: {} }] }])),
      tools: [],
      task: 't',
      hooks: [sink.hook()],
    });
    await run.result;
    await sink.flush();
    expect(leaks(dir, all)).toEqual(all.flatMap((kind) => kind.needles.map(() => kind.name)));
  });
});

describe('no secret reaches disk from a failing backend (real OpenAI SDK, local server)', () => {
  const server = useOpenAIServer();
  const all = kinds('sdk');
  const proseSecrets = planted('prose', all) as string;
  const [openai] = all[0]!.needles;
  const urlPassword = all[3]!.needles[0]!;

  async function recordThrough(llm: LLMBackend): Promise<string> {
    const dir = path.join(tempDir(), 'trace');
    const sink = new ProvenanceSink({ dir });
    const run = agentLoop({ llm: sink.wrapLLM(llm), tools: [], task: 'Deploy', hooks: [sink.hook()] });
    await run.result;
    await sink.flush();
    return dir;
  }

  it('401: the key and everything the error body echoes', async () => {
    server.enqueue({
      status: 401,
      body: JSON.stringify({
        error: {
          message: `Incorrect API key provided: ${openai}.\n${proseSecrets}`,
          code: 'invalid_api_key',
        },
      }),
    });
    const llm = new OpenAIBackend({
      model: 'gpt-4o',
      baseURL: server.baseURL,
      apiKey: openai,
      maxRetries: 0,
    });
    const dir = await recordThrough(llm);
    expect((await readTrace(dir)).meta.endReason).toBe('llm_error');
    expect(leaks(dir, all)).toEqual([]);
    expect(everyByte(dir).some((bytes) => bytes.includes('HTTP 401'))).toBe(true);
  });

  it('a connection error: the password of a baseURL with credentials, in a backend that repeats it', async () => {
    // OpenAIBackend refuses such a baseURL; a backend of your own on the SDK may not, and may put
    // the URL and the SDK's cause (fetch names the URL with its credentials) in its messages.
    const baseURL = server.baseURL.replace('http://', `http://deploy:${urlPassword}@`);
    const client = new OpenAI({ baseURL, apiKey: openai, maxRetries: 0 });
    const llm: LLMBackend = {
      model: 'gpt-4o',
      generate: async () => {
        try {
          await client.chat.completions.create({
            model: 'gpt-4o',
            messages: [{ role: 'user', content: 'hi' }],
          });
        } catch (error) {
          const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
          throw new Error(`POST ${baseURL}/chat/completions failed: ${String(error)} (${cause})`);
        }
        return { text: 'unreachable' };
      },
    };
    const dir = await recordThrough(llm);
    const trace = await readTrace(dir);
    expect(trace.meta.endReason).toBe('llm_error');
    expect(trace.readCall(1).error?.message).toContain('deploy:[REDACTED]@127.0.0.1');
    expect(leaks(dir, all)).toEqual([]);
  });

  it('a response whose text and raw body carry secrets', async () => {
    server.enqueue({
      body: JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o',
        choices: [{ index: 0, message: { role: 'assistant', content: proseSecrets }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        debug: planted('structured', all),
      }),
    });
    const llm = new OpenAIBackend({
      model: 'gpt-4o',
      baseURL: server.baseURL,
      apiKey: openai,
      maxRetries: 0,
    });
    const dir = await recordThrough(llm);
    expect((await readTrace(dir)).meta.endReason).toBe('done');
    expect(leaks(dir, all)).toEqual([]);
  });
});
