import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregateBars, aggregateWindows } from '../../src/domain/aggregate.ts';
import { parseInterval } from '../../src/domain/intervals.ts';
import type { BarValues, StoredBar } from '../../src/domain/types.ts';

const MINUTE = 60_000;
/** 2011-01-03 regular session, 09:30–16:00 America/New_York (EST). */
const REGULAR = { start: Date.UTC(2011, 0, 3, 14, 30), end: Date.UTC(2011, 0, 3, 21, 0) };

/** A 1m bar of 2011-01-03 starting at the given New York time (EST = UTC−5). */
function minuteBar(hour: number, minute: number, price: number, volume = 100): StoredBar {
  return {
    ts: Date.UTC(2011, 0, 3, hour + 5, minute),
    open: price,
    high: price + 1,
    low: price - 1,
    close: price + 0.5,
    volume,
    vwap: price,
    tradeCount: 1,
    revision: 2,
  };
}

function ohlcv(values: BarValues) {
  const { open, high, low, close, volume } = values;
  return { open, high, low, close, volume };
}

/** Valid bars: integer volume so that sums are exact, prices in cents. */
const barArbitrary: fc.Arbitrary<BarValues> = fc
  .record({
    low: fc.integer({ min: 1, max: 100_000 }),
    spread: fc.integer({ min: 0, max: 10_000 }),
    openAt: fc.double({ min: 0, max: 1, noNaN: true }),
    closeAt: fc.double({ min: 0, max: 1, noNaN: true }),
    volume: fc.integer({ min: 0, max: 1_000_000 }),
    vwap: fc.option(fc.integer({ min: 1, max: 110_000 }), { freq: 5 }),
    tradeCount: fc.option(fc.integer({ min: 0, max: 10_000 }), { freq: 5 }),
  })
  .map(({ low, spread, openAt, closeAt, volume, vwap, tradeCount }) => ({
    open: (low + Math.round(spread * openAt)) / 100,
    high: (low + spread) / 100,
    low: low / 100,
    close: (low + Math.round(spread * closeAt)) / 100,
    volume,
    vwap: vwap === null ? null : vwap / 100,
    tradeCount,
  }));

describe('aggregateBars', () => {
  it('returns null for no bars', () => {
    expect(aggregateBars([])).toBeNull();
  });

  it('returns a single bar unchanged, with baseBars 1', () => {
    const single: BarValues = {
      open: 10,
      high: 11,
      low: 9,
      close: 10.5,
      volume: 7,
      vwap: 10.2,
      tradeCount: 3,
    };
    expect(aggregateBars([single])).toEqual({ ...single, baseBars: 1 });
  });

  it('takes first open, max high, min low, last close and sums volume, trades and vwap weights', () => {
    const bars: BarValues[] = [
      { open: 10, high: 11, low: 9, close: 10.5, volume: 100, vwap: 10, tradeCount: 5 },
      { open: 10.5, high: 12, low: 10, close: 11, volume: 300, vwap: 11, tradeCount: 7 },
      { open: 11, high: 11.5, low: 8, close: 9, volume: 0, vwap: 9, tradeCount: 0 },
    ];
    expect(aggregateBars(bars)).toEqual({
      open: 10,
      high: 12,
      low: 8,
      close: 9,
      volume: 400,
      vwap: (10 * 100 + 11 * 300 + 9 * 0) / 400, // 10.75
      tradeCount: 12,
      baseBars: 3,
    });
  });

  it('gives tradeCount null when any bar lacks it', () => {
    const bars: BarValues[] = [
      { open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: 1, tradeCount: 5 },
      { open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: 1, tradeCount: null },
    ];
    expect(aggregateBars(bars)?.tradeCount).toBeNull();
    expect(aggregateBars(bars)?.vwap).toBe(1);
  });

  it('gives vwap null when any bar lacks it or the volume is 0', () => {
    const withVwap: BarValues = { open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: 1, tradeCount: 1 };
    expect(aggregateBars([withVwap, { ...withVwap, vwap: null }])?.vwap).toBeNull();
    expect(
      aggregateBars([
        { ...withVwap, volume: 0 },
        { ...withVwap, volume: 0 },
      ])?.vwap,
    ).toBeNull();
    expect(aggregateBars([{ ...withVwap, volume: 0 }])?.volume).toBe(0);
  });

  it('aggregating a concatenation equals aggregating the aggregates', () => {
    fc.assert(
      fc.property(
        fc.array(barArbitrary, { minLength: 1, maxLength: 20 }),
        fc.array(barArbitrary, { minLength: 1, maxLength: 20 }),
        (first, second) => {
          const whole = aggregateBars([...first, ...second])!;
          const left = aggregateBars(first)!;
          const right = aggregateBars(second)!;
          const ofParts = aggregateBars([left, right])!;
          expect(ohlcv(whole)).toEqual(ohlcv(ofParts));
          expect(whole.baseBars).toBe(left.baseBars + right.baseBars);
          expect(whole.tradeCount).toBe(ofParts.tradeCount);
          if (left.volume === 0 || right.volume === 0) {
            // A zero-volume part has no vwap, so vwap only composes when both parts traded.
            return;
          }
          if (whole.vwap === null) expect(ofParts.vwap).toBeNull();
          else expect(ofParts.vwap).toBeCloseTo(whole.vwap, 6);
        },
      ),
    );
  });

  it('keeps low ≤ open, close ≤ high and a vwap within the range of the input vwaps', () => {
    fc.assert(
      fc.property(fc.array(barArbitrary, { minLength: 1, maxLength: 30 }), (bars) => {
        const result = aggregateBars(bars)!;
        expect(result.low).toBeLessThanOrEqual(Math.min(result.open, result.close));
        expect(result.high).toBeGreaterThanOrEqual(Math.max(result.open, result.close));
        if (result.vwap !== null) {
          const vwaps = bars.map((bar) => bar.vwap!);
          expect(result.vwap).toBeGreaterThanOrEqual(Math.min(...vwaps) - 1e-9);
          expect(result.vwap).toBeLessThanOrEqual(Math.max(...vwaps) + 1e-9);
        }
      }),
    );
  });
});

describe('aggregateWindows', () => {
  const bars = [minuteBar(9, 30, 10), minuteBar(9, 31, 11), minuteBar(9, 36, 12), minuteBar(15, 59, 13)];

  it('builds one 5m bar per window holding base bars, with ts, endTs, baseBars and revision 0', () => {
    const result = aggregateWindows(bars, REGULAR, parseInterval('5m'), MINUTE);
    expect(result).toEqual([
      {
        ts: Date.UTC(2011, 0, 3, 14, 30),
        endTs: Date.UTC(2011, 0, 3, 14, 35),
        open: 10,
        high: 12,
        low: 9,
        close: 11.5,
        volume: 200,
        vwap: 10.5,
        tradeCount: 2,
        baseBars: 2,
        revision: 0,
      },
      {
        ts: Date.UTC(2011, 0, 3, 14, 35),
        endTs: Date.UTC(2011, 0, 3, 14, 40),
        open: 12,
        high: 13,
        low: 11,
        close: 12.5,
        volume: 100,
        vwap: 12,
        tradeCount: 1,
        baseBars: 1,
        revision: 0,
      },
      {
        ts: Date.UTC(2011, 0, 3, 20, 55),
        endTs: REGULAR.end,
        open: 13,
        high: 14,
        low: 12,
        close: 13.5,
        volume: 100,
        vwap: 13,
        tradeCount: 1,
        baseBars: 1,
        revision: 0,
      },
    ]);
  });

  it('ends the last 60m bar (15:30) at the session close', () => {
    const result = aggregateWindows(bars, REGULAR, parseInterval('60m'), MINUTE);
    expect(result.map(({ ts, endTs, baseBars }) => ({ ts, endTs, baseBars }))).toEqual([
      { ts: REGULAR.start, endTs: Date.UTC(2011, 0, 3, 15, 30), baseBars: 3 },
      { ts: Date.UTC(2011, 0, 3, 20, 30), endTs: REGULAR.end, baseBars: 1 },
    ]);
  });

  it('builds one 1d bar over the whole session window', () => {
    const [day, ...rest] = aggregateWindows(bars, REGULAR, parseInterval('1d'), MINUTE);
    expect(rest).toEqual([]);
    expect(day).toMatchObject({
      ts: REGULAR.start,
      endTs: REGULAR.end,
      open: 10,
      close: 13.5,
      high: 14,
      low: 9,
    });
    expect(day?.baseBars).toBe(4);
    expect(day?.volume).toBe(400);
  });

  it('returns nothing for no bars', () => {
    expect(aggregateWindows([], REGULAR, parseInterval('5m'), MINUTE)).toEqual([]);
  });

  it('refuses bars out of order, duplicated or outside the session window', () => {
    const fiveMinutes = parseInterval('5m');
    expect(() => aggregateWindows([bars[1]!, bars[0]!], REGULAR, fiveMinutes, MINUTE)).toThrow(RangeError);
    expect(() => aggregateWindows([bars[0]!, bars[0]!], REGULAR, fiveMinutes, MINUTE)).toThrow(RangeError);
    expect(() => aggregateWindows([minuteBar(9, 29, 10)], REGULAR, fiveMinutes, MINUTE)).toThrow(RangeError);
    expect(() => aggregateWindows([minuteBar(16, 0, 10)], REGULAR, fiveMinutes, MINUTE)).toThrow(RangeError);
  });

  it('equals aggregating, window by window, the base bars that fall in it', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 389 }), { maxLength: 120 }),
        fc.constantFrom('2m', '5m', '7m', '15m', '1h', '90m', '1d'),
        (slots, intervalName) => {
          const spec = parseInterval(intervalName);
          const sorted = [...slots].sort((a, b) => a - b);
          const input = sorted.map((slot) => minuteBar(9, 30 + slot, 10 + slot));
          const result = aggregateWindows(input, REGULAR, spec, MINUTE);
          expect(result.reduce((sum, derived) => sum + derived.baseBars, 0)).toBe(input.length);
          for (const derived of result) {
            const inWindow = input.filter((bar) => bar.ts >= derived.ts && bar.ts < derived.endTs);
            expect(derived).toEqual({
              ...aggregateBars(inWindow),
              ts: derived.ts,
              endTs: derived.endTs,
              revision: 0,
            });
            expect(derived.endTs - derived.ts).toBeLessThanOrEqual(
              spec.isDay ? REGULAR.end - REGULAR.start : spec.ms,
            );
            if (!spec.isDay) expect((derived.ts - REGULAR.start) % spec.ms).toBe(0);
          }
        },
      ),
    );
  });
});
