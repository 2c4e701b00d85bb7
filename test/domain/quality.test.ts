import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInterval, windowBounds, windowCount } from '../../src/domain/intervals.ts';
import { closedWindowCount, computeGaps, computeQuality } from '../../src/domain/quality.ts';
import type { Instant } from '../../src/domain/types.ts';

const MINUTE = 60_000;
/** 2011-01-03 regular session, 09:30–16:00 America/New_York (EST = UTC−5). */
const REGULAR = { start: Date.UTC(2011, 0, 3, 14, 30), end: Date.UTC(2011, 0, 3, 21, 0) };
/** 2015-12-24 regular session with the 13:00 early close. */
const EARLY_CLOSE = { start: Date.UTC(2015, 11, 24, 14, 30), end: Date.UTC(2015, 11, 24, 18, 0) };

const ONE_MINUTE = parseInterval('1m');
const FIVE_MINUTES = parseInterval('5m');
const ONE_HOUR = parseInterval('1h');
const ONE_DAY = parseInterval('1d');

/** 2011-01-03 at the given New York time. */
function at(hour: number, minute: number, second = 0): Instant {
  return Date.UTC(2011, 0, 3, hour + 5, minute, second);
}

/** Start instants of every 1m slot of a window, except the given New York minutes of 2011-01-03. */
function minutesExcept(
  window: { start: Instant; end: Instant },
  missing: readonly Instant[] = [],
): Instant[] {
  const result: Instant[] = [];
  for (let ts = window.start; ts < window.end; ts += MINUTE) if (!missing.includes(ts)) result.push(ts);
  return result;
}

describe('closedWindowCount', () => {
  it('counts the windows whose end is at or before the clock', () => {
    expect(closedWindowCount(REGULAR, ONE_MINUTE, REGULAR.start - MINUTE)).toBe(0);
    expect(closedWindowCount(REGULAR, ONE_MINUTE, REGULAR.start)).toBe(0);
    expect(closedWindowCount(REGULAR, ONE_MINUTE, at(9, 30, 59))).toBe(0);
    expect(closedWindowCount(REGULAR, ONE_MINUTE, at(9, 31))).toBe(1);
    expect(closedWindowCount(REGULAR, ONE_MINUTE, REGULAR.end)).toBe(390);
    expect(closedWindowCount(REGULAR, ONE_MINUTE, REGULAR.end + 3_600_000)).toBe(390);
  });

  it('closes the short last 60m window only at the session end', () => {
    expect(closedWindowCount(REGULAR, ONE_HOUR, at(15, 30))).toBe(6);
    expect(closedWindowCount(REGULAR, ONE_HOUR, REGULAR.end - 1)).toBe(6);
    expect(closedWindowCount(REGULAR, ONE_HOUR, REGULAR.end)).toBe(7);
  });

  it('closes the 1d window at the session end', () => {
    expect(closedWindowCount(REGULAR, ONE_DAY, REGULAR.end - 1)).toBe(0);
    expect(closedWindowCount(REGULAR, ONE_DAY, REGULAR.end)).toBe(1);
  });

  it('has 210 one-minute windows on the 2015-12-24 early close', () => {
    expect(closedWindowCount(EARLY_CLOSE, ONE_MINUTE, EARLY_CLOSE.end)).toBe(210);
  });

  it('equals a count over the window bounds', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('1m', '5m', '7m', '1h', '90m', '1d'),
        fc.integer({ min: -10, max: 400 }),
        (name, clockMinutes) => {
          const spec = parseInterval(name);
          const clock = REGULAR.start + clockMinutes * MINUTE;
          const expected = Array.from({ length: windowCount(REGULAR, spec) }, (_, i) =>
            windowBounds(REGULAR, spec, i),
          ).filter((bounds) => bounds.end <= clock).length;
          expect(closedWindowCount(REGULAR, spec, clock)).toBe(expected);
        },
      ),
    );
  });
});

describe('computeQuality', () => {
  it('is null while no window is closed', () => {
    expect(computeQuality([], REGULAR, ONE_MINUTE, MINUTE, REGULAR.start)).toBeNull();
    expect(computeQuality([REGULAR.start], REGULAR, FIVE_MINUTES, MINUTE, at(9, 34, 59))).toBeNull();
    expect(computeQuality(minutesExcept(REGULAR), REGULAR, ONE_DAY, MINUTE, REGULAR.end - 1)).toBeNull();
  });

  it('gives 97.435897… for 380 of 390 one-minute bars at 16:00', () => {
    const missing = Array.from({ length: 10 }, (_, i) => at(10, 2 * i));
    const present = minutesExcept(REGULAR, missing);
    expect(present).toHaveLength(380);
    expect(computeQuality(present, REGULAR, ONE_MINUTE, MINUTE, REGULAR.end)).toBe(97.43589743589743);
    expect(computeQuality(present, REGULAR, ONE_DAY, MINUTE, REGULAR.end)).toBe(97.43589743589743);
  });

  it('expects 210 slots on 2015-12-24 (13:00 close)', () => {
    const all = minutesExcept(EARLY_CLOSE);
    expect(all).toHaveLength(210);
    expect(computeQuality(all, EARLY_CLOSE, ONE_MINUTE, MINUTE, EARLY_CLOSE.end)).toBe(100);
    expect(computeQuality(all.slice(0, 105), EARLY_CLOSE, ONE_MINUTE, MINUTE, EARLY_CLOSE.end)).toBe(50);
    expect(computeQuality(all.slice(0, 21), EARLY_CLOSE, ONE_DAY, MINUTE, EARLY_CLOSE.end)).toBe(10);
  });

  it('counts a 5m window with 4 of 5 base bars as 80 %', () => {
    const present = [at(9, 30), at(9, 31), at(9, 32), at(9, 34)];
    expect(computeQuality(present, REGULAR, FIVE_MINUTES, MINUTE, at(9, 35))).toBe(80);
  });

  it('ignores base bars in windows that are still open', () => {
    const present = minutesExcept({ start: REGULAR.start, end: at(10, 45) });
    // At 10:45 only the 09:30–10:30 hour is closed: 60 slots, all present.
    expect(computeQuality(present, REGULAR, ONE_HOUR, MINUTE, at(10, 45))).toBe(100);
    // The 1m interval itself has 75 closed windows, all present.
    expect(computeQuality(present, REGULAR, ONE_MINUTE, MINUTE, at(10, 45))).toBe(100);
    expect(computeQuality(present, REGULAR, ONE_MINUTE, MINUTE, at(11, 0))).toBe((100 * 75) / 90);
  });

  it('works on a 1s base', () => {
    const present = [REGULAR.start, REGULAR.start + 1_000, REGULAR.start + 3_000];
    expect(computeQuality(present, REGULAR, parseInterval('1s'), 1_000, REGULAR.start + 4_000)).toBe(75);
    expect(computeQuality(present, REGULAR, ONE_MINUTE, 1_000, REGULAR.start + 60_000)).toBe(5);
  });

  it('equals present over expected base bars, window by window', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 389 }), { maxLength: 390 }),
        fc.constantFrom('1m', '2m', '5m', '7m', '1h', '90m', '1d'),
        fc.integer({ min: 0, max: 400 }),
        (slots, name, clockMinutes) => {
          const spec = parseInterval(name);
          const present = [...slots].sort((a, b) => a - b).map((slot) => REGULAR.start + slot * MINUTE);
          const clock = REGULAR.start + clockMinutes * MINUTE;
          let presentInClosed = 0;
          let slotsInClosed = 0;
          for (let i = 0; i < closedWindowCount(REGULAR, spec, clock); i++) {
            const bounds = windowBounds(REGULAR, spec, i);
            slotsInClosed += (bounds.end - bounds.start) / MINUTE;
            presentInClosed += present.filter((ts) => ts >= bounds.start && ts < bounds.end).length;
          }
          const expected = slotsInClosed === 0 ? null : (100 * presentInClosed) / slotsInClosed;
          expect(computeQuality(present, REGULAR, spec, MINUTE, clock)).toBe(expected);
        },
      ),
    );
  });
});

describe('computeGaps', () => {
  it('reports 09:45, 09:46, 09:47 missing as one gap 09:45–09:48 of 3 bars', () => {
    const present = minutesExcept(REGULAR, [at(9, 45), at(9, 46), at(9, 47)]);
    expect(computeGaps(present, REGULAR, ONE_MINUTE, MINUTE, REGULAR.end)).toEqual([
      { start: at(9, 45), end: at(9, 48), missingBars: 3 },
    ]);
  });

  it('only reports closed windows', () => {
    const present = minutesExcept({ start: REGULAR.start, end: at(9, 45) });
    expect(computeGaps(present, REGULAR, ONE_MINUTE, MINUTE, at(9, 45))).toEqual([]);
    expect(computeGaps(present, REGULAR, ONE_MINUTE, MINUTE, at(9, 46, 30))).toEqual([
      { start: at(9, 45), end: at(9, 46), missingBars: 1 },
    ]);
    expect(computeGaps(present, REGULAR, ONE_MINUTE, MINUTE, at(9, 48))).toEqual([
      { start: at(9, 45), end: at(9, 48), missingBars: 3 },
    ]);
  });

  it('does not count a 5m window with 4 of 5 base bars as a gap', () => {
    const present = minutesExcept(REGULAR, [at(9, 45), at(9, 46), at(9, 47)]);
    expect(computeGaps(present, REGULAR, FIVE_MINUTES, MINUTE, REGULAR.end)).toEqual([]);
    const fourOfFive = minutesExcept(REGULAR, [at(9, 47)]);
    expect(computeGaps(fourOfFive, REGULAR, FIVE_MINUTES, MINUTE, REGULAR.end)).toEqual([]);
  });

  it('counts missing 5m windows, not missing base bars', () => {
    const missing = Array.from({ length: 12 }, (_, i) => at(9, 45 + i)); // 09:45–09:57
    const present = minutesExcept(REGULAR, missing);
    expect(computeGaps(present, REGULAR, FIVE_MINUTES, MINUTE, REGULAR.end)).toEqual([
      { start: at(9, 45), end: at(9, 55), missingBars: 2 },
    ]);
  });

  it('reports separate gaps, including at the start and the end of the session', () => {
    const present = [at(9, 31), at(9, 33), at(9, 34)];
    expect(computeGaps(present, REGULAR, ONE_MINUTE, MINUTE, at(9, 37))).toEqual([
      { start: at(9, 30), end: at(9, 31), missingBars: 1 },
      { start: at(9, 32), end: at(9, 33), missingBars: 1 },
      { start: at(9, 35), end: at(9, 37), missingBars: 2 },
    ]);
  });

  it('reports a session without bars as one gap per interval, clipped at the close', () => {
    expect(computeGaps([], REGULAR, ONE_HOUR, MINUTE, REGULAR.end)).toEqual([
      { start: REGULAR.start, end: REGULAR.end, missingBars: 7 },
    ]);
    expect(computeGaps([], REGULAR, ONE_DAY, MINUTE, REGULAR.end)).toEqual([
      { start: REGULAR.start, end: REGULAR.end, missingBars: 1 },
    ]);
    expect(computeGaps([], REGULAR, ONE_DAY, MINUTE, REGULAR.end - 1)).toEqual([]);
    expect(computeGaps([], EARLY_CLOSE, ONE_MINUTE, MINUTE, EARLY_CLOSE.end)).toEqual([
      { start: EARLY_CLOSE.start, end: EARLY_CLOSE.end, missingBars: 210 },
    ]);
  });

  it('gaps and windows holding a bar partition the closed windows; gaps are maximal', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 389 }), { maxLength: 390 }),
        fc.constantFrom('1m', '2m', '5m', '7m', '1h', '90m', '1d'),
        fc.integer({ min: 0, max: 400 }),
        (slots, name, clockMinutes) => {
          const spec = parseInterval(name);
          const present = [...slots].sort((a, b) => a - b).map((slot) => REGULAR.start + slot * MINUTE);
          const clock = REGULAR.start + clockMinutes * MINUTE;
          const gaps = computeGaps(present, REGULAR, spec, MINUTE, clock);
          const closed = closedWindowCount(REGULAR, spec, clock);
          const inGap = (start: Instant) => gaps.some((gap) => start >= gap.start && start < gap.end);
          let windowsInGaps = 0;
          for (let i = 0; i < closed; i++) {
            const bounds = windowBounds(REGULAR, spec, i);
            const holdsBar = present.some((ts) => ts >= bounds.start && ts < bounds.end);
            expect(inGap(bounds.start)).toBe(!holdsBar);
            if (!holdsBar) windowsInGaps++;
          }
          expect(gaps.reduce((sum, gap) => sum + gap.missingBars, 0)).toBe(windowsInGaps);
          for (const [i, gap] of gaps.entries()) {
            expect(gap.start).toBeLessThan(gap.end);
            const next = gaps[i + 1];
            if (next !== undefined) expect(gap.end).toBeLessThan(next.start); // not adjacent: maximal
          }
        },
      ),
    );
  });
});
