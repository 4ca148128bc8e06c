// A real HTTP server on 127.0.0.1 that plays an OpenAI-compatible API from fixture files, so the
// OpenAI backend is tested through the real SDK, its SSE parser and real sockets; it misbehaves on
// request (stalls, trickles, cuts). The Anthropic backend's tests use it with their own fixtures.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/** `fixtures/openai/` in this repository. */
export const OPENAI_FIXTURES = new URL('../../fixtures/openai/', import.meta.url);

/** `fixtures/anthropic/` in this repository. */
export const ANTHROPIC_FIXTURES = new URL('../../fixtures/anthropic/', import.meta.url);

/** Reads a fixture under `fixtures/openai/` (or another fixture directory) as text. */
export function fixtureText(file: string, dir: URL = OPENAI_FIXTURES): string {
  return readFileSync(new URL(file, dir), 'utf8');
}

/** Reads and parses a JSON fixture under `fixtures/openai/`. */
export function fixtureJson(file: string): Record<string, unknown> {
  return JSON.parse(fixtureText(file)) as Record<string, unknown>;
}

/** One answer the server gives, in queue order. */
export interface QueuedResponse {
  /** HTTP status (default 200). */
  status?: number;
  headers?: Record<string, string>;
  /**
   * A file under `fixtures/openai/`, served byte for byte: `.sse` files as `text/event-stream`
   * (one write per event), anything else as `application/json`.
   */
  file?: string;
  /** An inline body, served as `application/json` unless `headers` say otherwise. */
  body?: string;
  /** Never answer (until the server closes): for timeouts and aborts. */
  hang?: boolean;
  /**
   * Misbehave once the headers and the first `afterBytes` bytes of the body (default 0) are sent:
   * `stall` sends nothing more and keeps the connection open, `cut` destroys the connection.
   * `drop` destroys the connection before sending anything, headers included.
   */
  fault?: { kind: 'stall' | 'cut' | 'drop'; afterBytes?: number };
  /** Send the body one byte at a time, this many ms apart (a server that trickles). */
  trickleMs?: number;
}

/** A request the server received. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON (the raw text when it is not JSON). */
  body: unknown;
}

export interface OpenAITestServer {
  /** `http://127.0.0.1:<port>/v1`, what an OpenAI client takes as its base URL. */
  readonly baseURL: string;
  /** `http://127.0.0.1:<port>`, the server root (what an Anthropic client takes). */
  readonly origin: string;
  /** Every request received, in order (also those that found the queue empty). */
  readonly requests: RecordedRequest[];
  /** Adds answers to the end of the queue. */
  enqueue(...responses: QueuedResponse[]): void;
  /** How many queued answers have not been served. */
  readonly pending: number;
  /** Closes the server and every open connection (hanging ones included). */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 with a free port, serving `file`s from `fixtures` (default
 * `fixtures/openai/`). A request that finds the queue empty gets a 418 that is never retried.
 */
export async function startOpenAIServer({
  fixtures = OPENAI_FIXTURES,
}: {
  fixtures?: URL;
} = {}): Promise<OpenAITestServer> {
  const queue: QueuedResponse[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text: the assertion will show it.
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const next = queue.shift();
      if (!next) {
        send(res, 418, { 'content-type': 'application/json', 'x-should-retry': 'false' }, [
          JSON.stringify({
            error: { message: `test server: no response queued for request #${requests.length}` },
          }),
        ]);
        return;
      }
      if (next.hang) return;
      const isSse = next.file?.endsWith('.sse') ?? false;
      const headers = { 'content-type': isSse ? 'text/event-stream' : 'application/json', ...next.headers };
      const content = next.file !== undefined ? fixtureText(next.file, fixtures) : (next.body ?? '');
      const status = next.status ?? 200;
      if (next.fault) misbehave(res, status, headers, Buffer.from(content), next.fault);
      else if (next.trickleMs !== undefined)
        trickle(res, status, headers, Buffer.from(content), next.trickleMs);
      else send(res, status, headers, isSse ? content.split(/(?<=\n\n)/) : [content]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...responses) => {
      queue.push(...responses);
    },
    get pending() {
      return queue.length;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, chunks: string[]): void {
  res.writeHead(status, headers);
  for (const chunk of chunks) res.write(chunk);
  res.end();
}

function misbehave(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  fault: NonNullable<QueuedResponse['fault']>,
): void {
  if (fault.kind === 'drop') {
    res.socket?.destroy();
    return;
  }
  // A content-length promises more than will come, so a client cannot mistake the end for a complete body.
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.flushHeaders();
  // Destroyed once the bytes before the cut are flushed, so the client sees them first.
  res.write(body.subarray(0, fault.afterBytes ?? 0), () => {
    if (fault.kind === 'cut') res.destroy();
  });
}

function trickle(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  ms: number,
): void {
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.flushHeaders();
  let at = 0;
  const timer = setInterval(() => {
    if (at >= body.length || res.destroyed) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(body.subarray(at, at + 1));
    at += 1;
  }, ms);
  res.on('close', () => clearInterval(timer));
}

/**
 * Starts one server for the calling test file (before its tests, closed after them) and checks,
 * after each test, that every queued response was served. The returned object forwards to the
 * running server, so tests use it as the server itself.
 */
export function useOpenAIServer(options: { fixtures?: URL } = {}): OpenAITestServer {
  let server: OpenAITestServer | undefined;
  beforeAll(async () => {
    server = await startOpenAIServer(options);
  });
  afterAll(() => server?.close());
  afterEach(() => {
    expect(server?.pending, 'every queued response was served').toBe(0);
    if (server) server.requests.length = 0;
  });
  return new Proxy({} as OpenAITestServer, {
    get(_target, property) {
      if (!server) throw new Error('the OpenAI test server is used before beforeAll started it');
      const value = Reflect.get(server, property, server) as unknown;
      return typeof value === 'function' ? value.bind(server) : value;
    },
  });
}

/** A queued chat-completions answer calling the given tools, as an OpenAI-compatible server sends it. */
export function toolCallsAnswer({
  index,
  calls,
  model = 'test-model',
}: {
  /** Makes the completion and tool call ids unique across answers. */
  index: number;
  calls: ReadonlyArray<{ name: string; args?: Record<string, unknown> }>;
  model?: string;
}): QueuedResponse {
  return {
    body: JSON.stringify({
      id: `chatcmpl-${index}`,
      object: 'chat.completion',
      created: 0,
      model,
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: calls.map((call, n) => ({
              id: `call_${index}_${n}`,
              type: 'function',
              function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
            })),
          },
        },
      ],
      usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
    }),
  };
}
