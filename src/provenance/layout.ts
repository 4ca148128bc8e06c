/**
 * File names of a format-v1 trace directory. Steps and model calls are numbered from 1 and
 * zero-padded to 4 digits, or to as many digits as the largest number needs, so `ls` and
 * pull-request diffs list them in order.
 */
export const TRACE_FILE = 'trace.json';
export const VOLATILE_FILE = 'volatile.json';
export const ARTIFACTS_FILE = 'artifacts.json';
export const EXPECTED_FILE = 'expected.json';
export const STEPS_DIR = 'steps';
export const CALLS_DIR = 'calls';

const MIN_DIGITS = 4;

/** Digits used to number `count` files: 4, or more when `count` needs them. */
export function padWidth(count: number): number {
  return Math.max(MIN_DIGITS, String(count).length);
}

/** `steps/0007.json` for step 7 of a trace with `stepCount` steps. */
export function stepFile(index: number, stepCount: number): string {
  return `${STEPS_DIR}/${String(index).padStart(padWidth(stepCount), '0')}.json`;
}

/** `calls/0007.json` for model call 7 of a trace with `callCount` calls. */
export function callFile(index: number, callCount: number): string {
  return `${CALLS_DIR}/${String(index).padStart(padWidth(callCount), '0')}.json`;
}
