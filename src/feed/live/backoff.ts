/**
 * Capped exponential back-off with full jitter ("Exponential Backoff And Jitter", AWS Architecture
 * Blog, 2015): attempt n (0-based) waits a uniformly random time in [0, min(cap, base·2ⁿ)], with
 * a floor of `minMs` so a reconnect storm never hammers a provider. A success resets the count.
 * Pure apart from the random source, which tests replace.
 */

/** Back-off settings. */
export interface BackoffOptions {
  /** First ceiling (ms); default 500. */
  readonly baseMs?: number;
  /** Largest ceiling (ms); default 30,000. */
  readonly capMs?: number;
  /** Shortest wait (ms); default 100. */
  readonly minMs?: number;
  /** Uniform random number in [0, 1); default Math.random. */
  readonly random?: () => number;
}

/** A back-off schedule: `next()` gives the wait before the next attempt, `reset()` starts over. */
export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly minMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 500;
    this.capMs = options.capMs ?? 30_000;
    this.minMs = Math.min(options.minMs ?? 100, this.capMs);
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0 && this.capMs >= this.baseMs)) {
      throw new RangeError('back-off needs 0 < baseMs ≤ capMs');
    }
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The ceiling of the next wait (before jitter). */
  ceiling(): number {
    // 2^attempt overflows nothing: the exponent stops growing once the cap is reached.
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 40));
  }

  /** The wait before the next attempt (ms), and counts the attempt. */
  next(): number {
    const ceiling = this.ceiling();
    this.attempt++;
    return Math.max(this.minMs, Math.floor(this.random() * ceiling));
  }

  /** Starts the schedule over (after a success). */
  reset(): void {
    this.attempt = 0;
  }
}
