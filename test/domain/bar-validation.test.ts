import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isPlainValidBar,
  normaliseSymbol,
  validateBar,
  validateBarPlacement,
  validateBarValues,
} from '../../src/domain/bar-validation.ts';
import type { BarValues } from '../../src/domain/types.ts';

const SECOND = 1_000;
const MINUTE = 60_000;
/** 2011-01-03 regular session, 09:30–16:00 America/New_York (EST). */
const REGULAR = { start: Date.UTC(2011, 0, 3, 14, 30), end: Date.UTC(2011, 0, 3, 21, 0) };

const VALID: BarValues = { open: 10, high: 12, low: 9, close: 11, volume: 1_000, vwap: 10.5, tradeCount: 42 };

function bar(changes: Partial<Record<keyof BarValues, number | null>>): BarValues {
  return { ...VALID, ...changes } as BarValues;
}

describe('validateBarValues', () => {
  it('accepts a valid bar', () => {
    expect(validateBarValues(VALID)).toBeNull();
  });

  it('accepts missing vwap and tradeCount, zero volume, zero trades and a flat bar', () => {
    expect(validateBarValues(bar({ vwap: null, tradeCount: null }))).toBeNull();
    expect(validateBarValues(bar({ volume: 0, tradeCount: 0 }))).toBeNull();
    expect(validateBarValues(bar({ open: 5, high: 5, low: 5, close: 5 }))).toBeNull();
  });

  it('accepts a vwap outside [low, high] (vendors differ)', () => {
    expect(validateBarValues(bar({ vwap: 100 }))).toBeNull();
    expect(validateBarValues(bar({ vwap: 0.01 }))).toBeNull();
  });

  describe.each(['open', 'high', 'low', 'close', 'volume'] as const)('%s', (field) => {
    it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
      'rejects %d as INVALID_NUMBER',
      (value) => {
        expect(validateBarValues(bar({ [field]: value }))).toEqual({
          code: 'INVALID_NUMBER',
          message: `${field} must be a finite number, got ${value}`,
        });
      },
    );
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects vwap %d as INVALID_NUMBER', (vwap) => {
    expect(validateBarValues(bar({ vwap }))).toEqual({
      code: 'INVALID_NUMBER',
      message: `vwap must be a finite number > 0 when given, got ${vwap}`,
    });
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2_147_483_648])(
    'rejects tradeCount %d as INVALID_NUMBER',
    (tradeCount) => {
      expect(validateBarValues(bar({ tradeCount }))).toEqual({
        code: 'INVALID_NUMBER',
        message: `tradeCount must be an integer from 0 to 2147483647 when given, got ${tradeCount}`,
      });
    },
  );

  it('accepts the largest trade count a GraphQL Int holds', () => {
    expect(validateBarValues(bar({ tradeCount: 2_147_483_647 }))).toBeNull();
  });

  it('rejects a negative volume as INVALID_NUMBER', () => {
    expect(validateBarValues(bar({ volume: -1 }))).toEqual({
      code: 'INVALID_NUMBER',
      message: 'volume must be ≥ 0, got -1',
    });
  });

  it.each([0, -1])('rejects low %d as INVALID_OHLC', (low) => {
    const result = validateBarValues(bar({ open: 1, close: 1, low }));
    expect(result).toEqual({ code: 'INVALID_OHLC', message: `low must be > 0, got ${low}` });
  });

  it('rejects low above open or close as INVALID_OHLC', () => {
    expect(validateBarValues(bar({ low: 10.5 }))).toEqual({
      code: 'INVALID_OHLC',
      message: 'low 10.5 must be ≤ min(open 10, close 11)',
    });
    expect(validateBarValues(bar({ open: 11, close: 10, low: 10.5 }))?.code).toBe('INVALID_OHLC');
  });

  it('rejects high below open or close as INVALID_OHLC', () => {
    expect(validateBarValues(bar({ high: 10.5 }))).toEqual({
      code: 'INVALID_OHLC',
      message: 'high 10.5 must be ≥ max(open 10, close 11)',
    });
    expect(validateBarValues(bar({ open: 11, close: 10, high: 10.5 }))?.code).toBe('INVALID_OHLC');
  });

  it('reports a bad number before a bad price relation', () => {
    expect(validateBarValues(bar({ low: 50, volume: Number.NaN }))?.code).toBe('INVALID_NUMBER');
  });

  it('accepts exactly the bars that satisfy the rules', () => {
    const value = fc.oneof(
      fc.double({ min: -10, max: 100 }),
      fc.constant(Number.NaN),
      fc.integer({ min: 0, max: 5 }),
    );
    fc.assert(
      fc.property(value, value, value, value, value, (open, high, low, close, volume) => {
        const input = { open, high, low, close, volume, vwap: null, tradeCount: null };
        const valid =
          [open, high, low, close, volume].every(Number.isFinite) &&
          volume >= 0 &&
          low > 0 &&
          low <= Math.min(open, close) &&
          high >= Math.max(open, close);
        expect(validateBarValues(input) === null).toBe(valid);
      }),
    );
  });
});

describe('validateBarPlacement', () => {
  it('accepts aligned bars inside the session window', () => {
    expect(validateBarPlacement(REGULAR.start, MINUTE, REGULAR)).toBeNull();
    expect(validateBarPlacement(Date.UTC(2011, 0, 3, 15, 45), MINUTE, REGULAR)).toBeNull();
    expect(validateBarPlacement(REGULAR.end - MINUTE, MINUTE, REGULAR)).toBeNull();
    expect(validateBarPlacement(Date.UTC(2011, 0, 3, 14, 30, 30), SECOND, REGULAR)).toBeNull();
    expect(validateBarPlacement(REGULAR.end - SECOND, SECOND, REGULAR)).toBeNull();
  });

  it('rejects a bar before the session start as OUTSIDE_SESSION', () => {
    expect(validateBarPlacement(REGULAR.start - MINUTE, MINUTE, REGULAR)).toEqual({
      code: 'OUTSIDE_SESSION',
      message:
        'Bar at 2011-01-03T14:29:00.000Z is outside the session window 2011-01-03T14:30:00.000Z–2011-01-03T21:00:00.000Z',
    });
  });

  it('rejects a bar at or after the session end as OUTSIDE_SESSION', () => {
    expect(validateBarPlacement(REGULAR.end, MINUTE, REGULAR)?.code).toBe('OUTSIDE_SESSION');
    expect(validateBarPlacement(REGULAR.end, MINUTE, REGULAR)?.message).toContain('2011-01-03T21:00:00.000Z');
    expect(validateBarPlacement(REGULAR.end + MINUTE, SECOND, REGULAR)?.code).toBe('OUTSIDE_SESSION');
  });

  it('rejects a bar that would end after the session window as OUTSIDE_SESSION', () => {
    const shortWindow = { start: REGULAR.start, end: REGULAR.start + 90 * SECOND };
    expect(validateBarPlacement(REGULAR.start + MINUTE, MINUTE, shortWindow)).toEqual({
      code: 'OUTSIDE_SESSION',
      message:
        'Bar at 2011-01-03T14:31:00.000Z (1m) ends after the session window 2011-01-03T14:30:00.000Z–2011-01-03T14:31:30.000Z',
    });
  });

  it('rejects a bar off the base grid as MISALIGNED', () => {
    expect(validateBarPlacement(Date.UTC(2011, 0, 3, 14, 30, 30), MINUTE, REGULAR)).toEqual({
      code: 'MISALIGNED',
      message:
        'Bar at 2011-01-03T14:30:30.000Z is not aligned to the 1m base interval (bars start every 1m from 2011-01-03T14:30:00.000Z)',
    });
    expect(validateBarPlacement(REGULAR.start + 1, SECOND, REGULAR)?.code).toBe('MISALIGNED');
  });

  it('rejects a time that is not a whole number of milliseconds as MISALIGNED', () => {
    expect(validateBarPlacement(REGULAR.start + 0.5, MINUTE, REGULAR)).toEqual({
      code: 'MISALIGNED',
      message: `Bar time ${REGULAR.start + 0.5} (2011-01-03T14:30:00.000Z) is not a whole number of milliseconds`,
    });
    expect(validateBarPlacement(Number.NaN, MINUTE, REGULAR)).toEqual({
      code: 'MISALIGNED',
      message: 'Bar time NaN (NaN) is not a whole number of milliseconds',
    });
    expect(validateBarPlacement(Number.POSITIVE_INFINITY, MINUTE, REGULAR)?.code).toBe('MISALIGNED');
  });

  it('accepts exactly the aligned slots of the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -600, max: 24_000 }),
        fc.constantFrom(SECOND, MINUTE),
        (offsetSeconds, baseMs) => {
          const ts = REGULAR.start + offsetSeconds * SECOND;
          // The documented order: start outside the window, then off the grid, then end past it.
          const startsInside = ts >= REGULAR.start && ts < REGULAR.end;
          const aligned = (ts - REGULAR.start) % baseMs === 0;
          const endsInside = ts + baseMs <= REGULAR.end;
          const result = validateBarPlacement(ts, baseMs, REGULAR);
          if (!startsInside) expect(result?.code).toBe('OUTSIDE_SESSION');
          else if (!aligned) expect(result?.code).toBe('MISALIGNED');
          else if (!endsInside) expect(result?.code).toBe('OUTSIDE_SESSION');
          else expect(result).toBeNull();
        },
      ),
      {
        examples: [
          [23_341, MINUTE],
          [23_340, MINUTE],
          [23_399, SECOND],
          [23_400, SECOND],
        ],
      },
    );
  });
});

describe('normaliseSymbol', () => {
  it.each([
    ['AAPL', 'AAPL'],
    [' aapl ', 'AAPL'],
    ['\tTsla\n', 'TSLA'],
    ['brk.b', 'BRK.B'],
    ['BF-B', 'BF-B'],
    ['A', 'A'],
    ['A1', 'A1'],
    ['ABCDEFGHIJKLMNOP', 'ABCDEFGHIJKLMNOP'],
  ])('normalises %j to %s', (raw, symbol) => {
    expect(normaliseSymbol(raw)).toBe(symbol);
  });

  it.each(['', '   ', '1ABC', '.A', '-A', 'AA PL', 'AAPL$', 'ABCDEFGHIJKLMNOPQ', 'ÄPFEL', 'A_B'])(
    'refuses %j',
    (raw) => {
      expect(normaliseSymbol(raw)).toBeNull();
    },
  );

  it('is idempotent and accepts every valid symbol in any case with surrounding spaces', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z][A-Z0-9.-]{0,15}$/), fc.boolean(), (symbol, lower) => {
        const raw = ` ${lower ? symbol.toLowerCase() : symbol} `;
        expect(normaliseSymbol(raw)).toBe(symbol);
        expect(normaliseSymbol(symbol)).toBe(symbol);
      }),
    );
  });
});

describe('validateBar', () => {
  it('runs the value rules first, then the placement rules', () => {
    const ts = REGULAR.start + 7 * MINUTE;
    expect(validateBar({ ...VALID, ts }, MINUTE, REGULAR)).toBeNull();
    expect(validateBar({ ...bar({ low: 0 }), ts: ts + 1 }, MINUTE, REGULAR)?.code).toBe('INVALID_OHLC');
    expect(validateBar({ ...VALID, ts: ts + 1 }, MINUTE, REGULAR)?.code).toBe('MISALIGNED');
  });

  it('has a quick check that accepts exactly what both validators accept', () => {
    const number = fc.oneof(
      fc.double({ min: -5, max: 20 }),
      fc.constantFrom(0, 9, 10, 11, 12, Number.NaN, Number.POSITIVE_INFINITY),
    );
    const optional = fc.option(fc.oneof(number, fc.integer({ min: -2, max: 2 ** 31 + 2 })), { nil: null });
    const ts = fc.oneof(
      fc.integer({ min: -10, max: 400 }).map((m) => REGULAR.start + m * MINUTE),
      fc.integer({ min: REGULAR.start - MINUTE, max: REGULAR.end + MINUTE }),
      fc.constantFrom(REGULAR.start + 0.5, Number.NaN),
    );
    fc.assert(
      fc.property(
        number,
        number,
        number,
        number,
        number,
        optional,
        optional,
        ts,
        fc.constantFrom(SECOND, MINUTE),
        (open, high, low, close, volume, vwap, tradeCount, at, baseMs) => {
          const input = { open, high, low, close, volume, vwap, tradeCount, ts: at };
          const accepted =
            validateBarValues(input) === null && validateBarPlacement(at, baseMs, REGULAR) === null;
          expect(isPlainValidBar(input, baseMs, REGULAR)).toBe(accepted);
          expect(validateBar(input, baseMs, REGULAR) === null).toBe(accepted);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
