/**
 * What a scoring thread is doing, in memory the main thread can read while the scoring thread is
 * stuck: a synchronous infinite loop answers no message, but the main thread still sees which
 * eval started when, and kills the thread once that eval is past its timeout. Writing a beat is a
 * few stores into a SharedArrayBuffer (no message, no allocation), so it costs nothing per eval.
 */

/** What the thread is busy with; the main thread's watchdog and crash reports read it. */
export const Phase = {
  idle: 0,
  /** Importing the eval files of a chunk (an infinite loop at import time hangs here). */
  collect: 1,
  /** Opening (reading) a trace or case. */
  read: 2,
  /** Running a trace or case through its agent offline (a replay, a scripted case). */
  agent: 3,
  /** Running one eval on one run. */
  eval: 4,
  /** Running an agent against a live model (a live case, `-u`): not timed, a model may be slow. */
  live: 5,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Where a beat points, in the chunk the label names: a group (trace or case), and an eval test of the group. */
export interface Beat {
  phase: Phase;
  /** The group's index in its chunk (-1 when not in a group). */
  group: number;
  /** The eval test's index in its group (-1 for group-level phases). */
  test: number;
  /** Milliseconds the phase may take before the watchdog ends the thread (0: no limit). */
  timeoutMs: number;
}

/** A beat as the main thread read it, with its sequence number and deadline. */
export interface BeatSnapshot extends Beat {
  sequence: number;
  /** Wall-clock ms (performance.timeOrigin + now) when the phase must be over; Infinity when unlimited. */
  deadline: number;
}

const INTS = 6;
const FLOATS = 2;
/** Bytes for the label (the chunk file being scored), UTF-8. */
const LABEL_BYTES = 4096;
const LABEL_AT = INTS * 4 + FLOATS * 8;

/** A new heartbeat buffer, to pass to a thread in its `workerData`. */
export function createHeartbeatBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(LABEL_AT + LABEL_BYTES);
}

/** A wall clock shared by threads (`Date` is frozen inside the sandbox). */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** The writing side, in the scoring thread. */
export class Heartbeat {
  readonly #ints: Int32Array;
  readonly #floats: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#ints = new Int32Array(buffer, 0, INTS);
    this.#floats = new Float64Array(buffer, INTS * 4, FLOATS);
  }

  /** Records that `beat` starts now. */
  beat(beat: Beat): void {
    const ints = this.#ints;
    ints[1] = beat.phase;
    ints[2] = beat.group;
    ints[3] = beat.test;
    ints[4] = beat.timeoutMs;
    this.#floats[0] = beat.timeoutMs > 0 ? wallClock() + beat.timeoutMs : Number.POSITIVE_INFINITY;
    // The sequence number last: a reader that sees it changed knows the fields above are new.
    Atomics.add(ints, 0, 1);
  }

  /** Names what the beats are about from now on (the chunk file being scored); written once per chunk. */
  label(text: string): void {
    const bytes = new Uint8Array(this.#ints.buffer, LABEL_AT, LABEL_BYTES);
    const { written } = new TextEncoder().encodeInto(text, bytes.subarray(0, LABEL_BYTES - 1));
    bytes[written] = 0;
  }

  /** Nothing is running that the watchdog should time. */
  idle(): void {
    this.beat({ phase: Phase.idle, group: -1, test: -1, timeoutMs: 0 });
  }
}

/** The reading side, in the main thread. */
export class HeartbeatReader {
  readonly #ints: Int32Array;
  readonly #floats: Float64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#ints = new Int32Array(buffer, 0, INTS);
    this.#floats = new Float64Array(buffer, INTS * 4, FLOATS);
  }

  /** The last label written. */
  label(): string {
    const bytes = new Uint8Array(this.#ints.buffer, LABEL_AT, LABEL_BYTES);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.slice(0, end < 0 ? LABEL_BYTES : end));
  }

  read(): BeatSnapshot {
    const ints = this.#ints;
    return {
      sequence: Atomics.load(ints, 0),
      phase: ints[1] as Phase,
      group: ints[2]!,
      test: ints[3]!,
      timeoutMs: ints[4]!,
      deadline: this.#floats[0]!,
    };
  }
}
