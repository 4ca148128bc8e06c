import net from 'node:net';
import { LoopletError } from '../util/errors.js';

/** What the sandbox is protecting, named in its errors. */
export interface SandboxSubject {
  eval: string;
  trace: string;
}

/**
 * Code under evaluation tried to reach the network while evals replay recorded runs. Replays must
 * not call models or services: a live call means the harness diverged from the recording.
 */
export class NetworkDisabledError extends LoopletError {
  readonly target: string;
  readonly subject: SandboxSubject | undefined;

  constructor({ target, subject }: { target: string; subject: SandboxSubject | undefined }) {
    const where = subject ? ` in ${subject.eval} › ${subject.trace}` : '';
    super({
      message: `network access to ${target} is disabled while evals replay recorded runs${where}. Replay from a trace (ReplayLLM) instead of calling a live backend, or run with --allow-network (or allow this host) if the call is intended, e.g. an LLM judge`,
      code: 'NETWORK_DISABLED',
    });
    this.target = target;
    this.subject = subject;
  }
}

/** The instant a frozen clock reads: 2025-01-01T00:00:00Z. */
export const FROZEN_TIME = Date.UTC(2025, 0, 1);

/** An installed sandbox: set `subject` before each eval so errors can name it; `restore()` undoes everything. */
export interface Sandbox {
  subject: SandboxSubject | undefined;
  /** Hosts (e.g. an LLM judge's) that may still be reached. */
  readonly allowedHosts: Set<string>;
  restore(): void;
  /**
   * Lifts the sandbox (network and clock) until the returned function puts it back: for a run
   * that must call a live model, such as `-u` re-recording a trace.
   */
  suspend(): () => void;
}

/**
 * Installs the replay sandbox in this process (a vitest worker): outgoing connections (fetch, http,
 * https, raw sockets) fail with {@link NetworkDisabledError} unless their host is allowed, and
 * `Date` reads a frozen instant so recorded and replayed runs see the same time.
 */
export function installSandbox({
  allowHosts = [],
  freezeClock = true,
  network = false,
}: {
  allowHosts?: readonly string[];
  freezeClock?: boolean;
  /** True leaves the network alone (live evals); the clock is still frozen unless `freezeClock` is false. */
  network?: boolean;
} = {}): Sandbox {
  const sandbox: Sandbox = {
    subject: undefined,
    allowedHosts: new Set(allowHosts),
    restore: () => uninstall(),
    suspend: () => {
      uninstall();
      return install;
    },
  };
  const check = (host: string | undefined, target: string) => {
    if (host !== undefined && sandbox.allowedHosts.has(host)) return;
    throw new NetworkDisabledError({ target, subject: sandbox.subject });
  };
  const OriginalDate = globalThis.Date;
  const originalFetch = globalThis.fetch;
  const originalConnect = net.Socket.prototype.connect;
  const sandboxedFetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    try {
      check(url.hostname, url.origin);
    } catch (error) {
      return Promise.reject(error);
    }
    return originalFetch(input, init);
  };
  // http, https and most clients end in net.Socket#connect; patching it covers them all.
  const sandboxedConnect = function patchedConnect(this: net.Socket, ...args: unknown[]) {
    const [first, second] = args;
    const options =
      typeof first === 'object' && first !== null
        ? (first as { host?: string; port?: number; path?: string })
        : undefined;
    if (!options?.path) {
      const host = options
        ? (options.host ?? 'localhost')
        : typeof second === 'string'
          ? second
          : 'localhost';
      const port = options ? options.port : first;
      check(host, `${host}:${String(port)}`);
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  const FrozenDate = frozenDate(OriginalDate);

  function install(): void {
    if (freezeClock) globalThis.Date = FrozenDate;
    if (network) return;
    globalThis.fetch = sandboxedFetch;
    net.Socket.prototype.connect = sandboxedConnect;
  }
  function uninstall(): void {
    globalThis.Date = OriginalDate;
    globalThis.fetch = originalFetch;
    net.Socket.prototype.connect = originalConnect;
  }
  install();
  return sandbox;
}

/** A `Date` whose "now" is {@link FROZEN_TIME}; dates built from explicit values behave normally. */
function frozenDate(OriginalDate: DateConstructor): DateConstructor {
  class FrozenDate extends OriginalDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(FROZEN_TIME);
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return FROZEN_TIME;
    }
  }
  return FrozenDate as DateConstructor;
}
