import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeIndicator,
  IndicatorError,
  parseIndicatorName,
  requiredDays,
  validateIndicatorNames,
} from '../../src/domain/indicators.ts';
import type { BarValues } from '../../src/domain/types.ts';

function day(open: number, high: number, low: number, close: number, volume: number): BarValues {
  return { open, high, low, close, volume, vwap: null, tradeCount: null };
}

/**
 * Four trading days, oldest first. True ranges (previous close in brackets):
 * D2 [11]: max(13 − 10, |13 − 11|, |10 − 11|) = 3
 * D3 [12]: max(11 − 9.5, |11 − 12|, |9.5 − 12|) = 2.5 (gap down)
 * D4 [10]: max(15 − 13, |15 − 10|, |13 − 10|) = 5 (gap up)
 */
const DAYS: BarValues[] = [
  day(10, 12, 9, 11, 1_000),
  day(11, 13, 10, 12, 2_000),
  day(11, 11, 9.5, 10, 3_000),
  day(13, 15, 13, 14, 4_000),
];

function value(name: string, bars: readonly BarValues[] = DAYS) {
  return computeIndicator(parseIndicatorName(name), bars);
}

describe('parseIndicatorName', () => {
  it.each([
    ['avg_volume_2d', 'avg_volume', 2],
    ['max_price_5d', 'max_price', 5],
    ['min_price_5d', 'min_price', 5],
    ['avg_range_10d', 'avg_range', 10],
    ['atr_14d', 'atr', 14],
    ['avg_close_1d', 'avg_close', 1],
  ])('parses %s', (name, kind, days) => {
    expect(parseIndicatorName(name)).toEqual({ kind, days, name });
  });

  it('parses prev_close without a day count', () => {
    expect(parseIndicatorName('prev_close')).toEqual({ kind: 'prev_close', days: null, name: 'prev_close' });
  });

  it.each([
    '',
    'atr',
    'atr_d',
    'atr_0d',
    'atr_05d',
    'atr_-5d',
    'atr_+5d',
    'atr_1.5d',
    'atr_5',
    'atr_5D',
    'ATR_5d',
    'atr_5m',
    ' atr_5d',
    'ema_5d',
    'prev_close_2d',
    'prev_close_',
    'atr_99999999999999999999d',
  ])('rejects %j', (name) => {
    expect(() => parseIndicatorName(name)).toThrow(IndicatorError);
    expect(() => parseIndicatorName(name)).toThrow(
      `Invalid indicator ${JSON.stringify(name)}: expected <kind>_<N>d with kind one of avg_volume, max_price, ` +
        'min_price, avg_range, atr, avg_close and N a positive integer (e.g. atr_14d), or prev_close',
    );
  });

  it('gives errors the INVALID_INDICATOR code and the IndicatorError name', () => {
    const error = (() => {
      try {
        parseIndicatorName('nope');
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(IndicatorError);
    expect((error as IndicatorError).code).toBe('INVALID_INDICATOR');
    expect((error as IndicatorError).name).toBe('IndicatorError');
  });
});

describe('requiredDays', () => {
  it('is N, N + 1 for atr and 1 for prev_close', () => {
    expect(requiredDays(parseIndicatorName('avg_volume_3d'))).toBe(3);
    expect(requiredDays(parseIndicatorName('atr_3d'))).toBe(4);
    expect(requiredDays(parseIndicatorName('prev_close'))).toBe(1);
  });
});

describe('computeIndicator', () => {
  it('averages the volume of the last N days', () => {
    expect(value('avg_volume_2d')).toEqual({ name: 'avg_volume_2d', value: 3_500, valid: true });
    expect(value('avg_volume_4d').value).toBe(2_500);
  });

  it('takes the highest high and the lowest low of the last N days', () => {
    expect(value('max_price_2d').value).toBe(15);
    expect(value('max_price_3d').value).toBe(15);
    expect(value('max_price_1d').value).toBe(15);
    expect(value('min_price_3d').value).toBe(9.5);
    expect(value('min_price_4d').value).toBe(9);
    expect(value('min_price_1d').value).toBe(13);
  });

  it('averages high − low and the close of the last N days', () => {
    expect(value('avg_range_2d').value).toBe(1.75); // (1.5 + 2) / 2
    expect(value('avg_range_4d').value).toBe(2.375); // (3 + 3 + 1.5 + 2) / 4
    expect(value('avg_close_4d').value).toBe(11.75); // (11 + 12 + 10 + 14) / 4
    expect(value('avg_close_1d').value).toBe(14);
  });

  it('averages true ranges that use the previous close (atr_N needs N + 1 days)', () => {
    expect(value('atr_1d')).toEqual({ name: 'atr_1d', value: 5, valid: true });
    expect(value('atr_2d').value).toBe(3.75); // (2.5 + 5) / 2
    expect(value('atr_3d').value).toBe(3.5); // (3 + 2.5 + 5) / 3
    expect(value('atr_2d', DAYS.slice(1)).value).toBe(3.75);
    expect(value('atr_2d', DAYS.slice(2))).toEqual({ name: 'atr_2d', value: null, valid: false });
    expect(value('atr_4d')).toEqual({ name: 'atr_4d', value: null, valid: false });
  });

  it('takes the last held close as prev_close', () => {
    expect(value('prev_close')).toEqual({ name: 'prev_close', value: 14, valid: true });
    expect(value('prev_close', DAYS.slice(0, 1)).value).toBe(11);
    expect(value('prev_close', [])).toEqual({ name: 'prev_close', value: null, valid: false });
  });

  it('is invalid with fewer than N days', () => {
    expect(value('avg_volume_5d')).toEqual({ name: 'avg_volume_5d', value: null, valid: false });
    expect(value('max_price_1d', [])).toEqual({ name: 'max_price_1d', value: null, valid: false });
    expect(value('avg_close_4d', DAYS.slice(1)).valid).toBe(false);
  });

  it('orders min ≤ mean close ≤ max, and atr ≥ average range', () => {
    const dailyBar = fc
      .tuple(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
      )
      .map(([low, spread, closeAt]) => day(low, low + spread, low, low + spread * closeAt, 1));
    fc.assert(
      fc.property(
        fc.array(dailyBar, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 30 }),
        (bars, n) => {
          const min = value(`min_price_${n}d`, bars);
          const close = value(`avg_close_${n}d`, bars);
          const max = value(`max_price_${n}d`, bars);
          expect(min.valid).toBe(bars.length >= n);
          if (min.valid) {
            expect(min.value!).toBeLessThanOrEqual(close.value! + 1e-9);
            expect(close.value!).toBeLessThanOrEqual(max.value! + 1e-9);
          }
          const atr = value(`atr_${n}d`, bars);
          expect(atr.valid).toBe(bars.length >= n + 1);
          if (atr.valid)
            expect(atr.value!).toBeGreaterThanOrEqual(value(`avg_range_${n}d`, bars).value! - 1e-9);
        },
      ),
    );
  });
});

describe('validateIndicatorNames', () => {
  it('returns the names without duplicates, in first-seen order', () => {
    expect(
      validateIndicatorNames(['avg_volume_2d', 'atr_1d', 'prev_close', 'avg_volume_2d', 'max_price_2d'], 2),
    ).toEqual(['avg_volume_2d', 'atr_1d', 'prev_close', 'max_price_2d']);
    expect(validateIndicatorNames([], 0)).toEqual([]);
  });

  it('requires N ≤ historicalDays', () => {
    expect(validateIndicatorNames(['avg_close_5d'], 5)).toEqual(['avg_close_5d']);
    expect(() => validateIndicatorNames(['avg_close_6d'], 5)).toThrow(IndicatorError);
    expect(() => validateIndicatorNames(['avg_close_6d'], 5)).toThrow(
      'Indicator "avg_close_6d" needs 6 trading days of history, but historicalDays is 5',
    );
  });

  it('requires N + 1 ≤ historicalDays for atr', () => {
    expect(validateIndicatorNames(['atr_4d'], 5)).toEqual(['atr_4d']);
    expect(() => validateIndicatorNames(['atr_5d'], 5)).toThrow(
      'Indicator "atr_5d" needs 6 trading days of history (atr_N needs N + 1 days: each true range uses the ' +
        'previous close), but historicalDays is 5',
    );
  });

  it('requires one day of history for prev_close', () => {
    expect(validateIndicatorNames(['prev_close'], 1)).toEqual(['prev_close']);
    expect(() => validateIndicatorNames(['prev_close'], 0)).toThrow(
      'Indicator "prev_close" needs 1 trading days of history, but historicalDays is 0',
    );
  });

  it('rejects a malformed name', () => {
    expect(() => validateIndicatorNames(['avg_volume_2d', 'rsi_14d'], 20)).toThrow(
      'Invalid indicator "rsi_14d"',
    );
  });
});
