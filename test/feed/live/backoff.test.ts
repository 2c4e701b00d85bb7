import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/feed/live/backoff.ts';

describe('Backoff', () => {
  it('doubles its ceiling up to the cap and draws each wait below it', () => {
    const b = new Backoff({ baseMs: 100, capMs: 1_000, minMs: 0, random: () => 0.999_999 });
    const waits = Array.from({ length: 7 }, () => b.next());
    expect(waits).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it('is full jitter: a random draw of 0 waits the floor, and reset starts over', () => {
    const draws = [0, 0.5, 0.5];
    const b = new Backoff({ baseMs: 200, capMs: 10_000, minMs: 50, random: () => draws.shift() ?? 0.5 });
    expect(b.next()).toBe(50);
    expect(b.next()).toBe(200);
    expect(b.attempts).toBe(2);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(100);
  });

  it('never exceeds the cap however many attempts fail', () => {
    const b = new Backoff({ baseMs: 500, capMs: 30_000 });
    for (let i = 0; i < 200; i++) {
      const wait = b.next();
      expect(wait).toBeGreaterThanOrEqual(100);
      expect(wait).toBeLessThanOrEqual(30_000);
    }
  });

  it('refuses a cap below the base', () => {
    expect(() => new Backoff({ baseMs: 100, capMs: 10 })).toThrow(RangeError);
  });
});
