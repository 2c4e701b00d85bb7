/** Waiting in tests: for a condition (polled), for a while, or (on fake timers) for work to settle. */
import { vi } from 'vitest';

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this long (default 5 s). */
  readonly timeoutMs?: number;
  /** Poll this often (default 10 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout's message. */
  readonly what?: string;
}

/** Resolves once `check()` holds (polled); rejects after the timeout, naming what it waited for. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 5_000, intervalMs = 10, what = 'the condition' }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Taken before any test fakes the clock: the real ones.
const realNow = Date.now;
const realSetImmediate = setImmediate;

/**
 * For tests on fake timers (`vi.useFakeTimers`): waits until `check()` holds while due timers fire
 * (the fake clock does not move) and real I/O completes (a database round trip), turn after turn
 * of the real event loop; gives up after `timeoutMs` of real time. Works on real timers too.
 */
export async function settleUntil(
  check: () => boolean,
  { timeoutMs = 5_000, what = 'the condition' }: Omit<WaitOptions, 'intervalMs'> = {},
): Promise<void> {
  const deadline = realNow() + timeoutMs;
  while (!check()) {
    if (realNow() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(0);
    await new Promise((resolve) => realSetImmediate(resolve));
  }
}

/** {@link settleUntil} the promise settles; returns (or throws) what it does. */
export async function settle<T>(
  promise: Promise<T>,
  options: Omit<WaitOptions, 'intervalMs'> = {},
): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settleUntil(() => settled, { what: 'the promise to settle', ...options });
  return promise;
}
