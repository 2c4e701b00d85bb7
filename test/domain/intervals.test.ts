import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BASE_INTERVALS,
  canonicalIntervalName,
  IntervalError,
  parseInterval,
  resolveIntervals,
  windowBounds,
  windowCount,
  windowIndex,
} from '../../src/domain/intervals.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** 2011-01-03 regular session, 09:30–16:00 America/New_York (EST). */
const REGULAR = { start: Date.UTC(2011, 0, 3, 14, 30), end: Date.UTC(2011, 0, 3, 21, 0) };
/** 2015-12-24 regular session with the 13:00 early close. */
const EARLY_CLOSE = { start: Date.UTC(2015, 11, 24, 14, 30), end: Date.UTC(2015, 11, 24, 18, 0) };

function names(derived: readonly { name: string }[]): string[] {
  return derived.map((spec) => spec.name);
}

describe('parseInterval', () => {
  it.each([
    ['1s', '1s', 1_000],
    ['90s', '90s', 90_000],
    ['120s', '2m', 120_000],
    ['3600s', '1h', HOUR],
    ['1m', '1m', MINUTE],
    ['5m', '5m', 5 * MINUTE],
    ['60m', '1h', HOUR],
    ['90m', '90m', 90 * MINUTE],
    ['120m', '2h', 2 * HOUR],
    ['4h', '4h', 4 * HOUR],
    ['24h', '24h', 24 * HOUR],
    ['1440m', '24h', 24 * HOUR],
    ['86400s', '24h', 24 * HOUR],
  ])('parses %s as %s (%d ms)', (input, name, ms) => {
    expect(parseInterval(input)).toEqual({ name, ms, isDay: false });
  });

  it('parses 1d as the whole-session day interval', () => {
    expect(parseInterval('1d')).toEqual({ name: '1d', ms: 86_400_000, isDay: true });
  });

  it('memoises and freezes its results', () => {
    expect(parseInterval('15m')).toBe(parseInterval('15m'));
    expect(Object.isFrozen(parseInterval('15m'))).toBe(true);
  });

  it.each(['', '5', 'm', '0s', '0m', '05m', '+5m', '-5m', '1.5m', '5M', ' 5m', '5m ', '5w', '1y', 'abc'])(
    'rejects %j as malformed',
    (input) => {
      expect(() => parseInterval(input)).toThrow(IntervalError);
      expect(() => parseInterval(input)).toThrow(
        `Invalid interval ${JSON.stringify(input)}: expected Ns, Nm or Nh`,
      );
    },
  );

  it.each(['2d', '7d', '0d', '01d'])('rejects %j: only 1d is accepted for days', (input) => {
    expect(() => parseInterval(input)).toThrow(IntervalError);
  });

  it('says why a day count other than 1 is refused', () => {
    expect(() => parseInterval('2d')).toThrow('Invalid interval "2d": only 1d is supported for days');
  });

  it.each(['86401s', '1441m', '25h', '99999999999999999999h'])('rejects %j as longer than a day', (input) => {
    expect(() => parseInterval(input)).toThrow(/longer than one day/);
  });

  it('gives errors the INVALID_INTERVAL code and the IntervalError name', () => {
    try {
      parseInterval('5x');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(IntervalError);
      expect(error).toBeInstanceOf(Error);
      expect((error as IntervalError).code).toBe('INVALID_INTERVAL');
      expect((error as IntervalError).name).toBe('IntervalError');
    }
  });

  it('canonical names parse back to themselves', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400 }), (seconds) => {
        const spec = parseInterval(`${seconds}s`);
        expect(spec.ms).toBe(seconds * 1_000);
        expect(parseInterval(spec.name)).toEqual(spec);
      }),
    );
  });
});

describe('canonicalIntervalName', () => {
  it('writes whole hours as Nh, whole minutes as Nm, else Ns', () => {
    expect(canonicalIntervalName(HOUR)).toBe('1h');
    expect(canonicalIntervalName(90 * MINUTE)).toBe('90m');
    expect(canonicalIntervalName(MINUTE)).toBe('1m');
    expect(canonicalIntervalName(61_000)).toBe('61s');
    expect(canonicalIntervalName(1_000)).toBe('1s');
  });
});

describe('resolveIntervals', () => {
  it('lists the base intervals', () => {
    expect(BASE_INTERVALS).toEqual(['1s', '1m']);
  });

  it('canonicalises, de-duplicates and sorts derived intervals, 1d last', () => {
    const resolved = resolveIntervals('1m', ['1d', '1h', '5m', '60m', '15m', '300s', '3600s']);
    expect(resolved.base).toEqual({ name: '1m', ms: MINUTE, isDay: false });
    expect(names(resolved.derived)).toEqual(['5m', '15m', '1h', '1d']);
  });

  it('keeps 24h and 1d apart, 1d after 24h', () => {
    expect(names(resolveIntervals('1m', ['1d', '24h']).derived)).toEqual(['24h', '1d']);
  });

  it('accepts an empty derived list and a canonicalised base', () => {
    expect(resolveIntervals('60s', [])).toEqual({ base: parseInterval('1m'), derived: [] });
    expect(resolveIntervals('1s', []).base.ms).toBe(1_000);
  });

  it('allows derived seconds on a 1s base and 1d on any base', () => {
    expect(names(resolveIntervals('1s', ['90s', '1d', '2s']).derived)).toEqual(['2s', '90s', '1d']);
  });

  it.each(['5m', '1h', '2s', '1d'])('refuses %s as a base interval', (base) => {
    expect(() => resolveIntervals(base, [])).toThrow(IntervalError);
    expect(() => resolveIntervals(base, [])).toThrow(
      `Invalid base interval "${base}": the base interval must be one of 1s, 1m`,
    );
  });

  it('refuses a malformed base interval', () => {
    expect(() => resolveIntervals('1 m', [])).toThrow('Invalid interval "1 m"');
  });

  it('refuses a derived interval that is not a whole multiple of the base', () => {
    expect(() => resolveIntervals('1m', ['5m', '90s'])).toThrow(
      'Invalid derived interval "90s": must be a whole multiple of the base interval 1m',
    );
  });

  it('refuses a derived interval not longer than the base', () => {
    expect(() => resolveIntervals('1m', ['60s'])).toThrow(
      'Invalid derived interval "60s": must be longer than the base interval 1m',
    );
    expect(() => resolveIntervals('1m', ['30s'])).toThrow(/"30s": must be longer/);
    expect(() => resolveIntervals('1s', ['1s'])).toThrow(/"1s": must be longer/);
  });

  it('refuses a malformed derived interval, naming it', () => {
    expect(() => resolveIntervals('1m', ['5m', '5 m'])).toThrow('Invalid interval "5 m"');
  });
});

describe('session windows', () => {
  it('aligns 60m windows to 09:30 with a 30-minute last window on a regular day', () => {
    const hour = parseInterval('60m');
    expect(windowCount(REGULAR, hour)).toBe(7);
    const starts = Array.from({ length: 7 }, (_, i) =>
      new Date(windowBounds(REGULAR, hour, i).start).toISOString(),
    );
    // 09:30, 10:30, …, 15:30 America/New_York.
    expect(starts).toEqual([
      '2011-01-03T14:30:00.000Z',
      '2011-01-03T15:30:00.000Z',
      '2011-01-03T16:30:00.000Z',
      '2011-01-03T17:30:00.000Z',
      '2011-01-03T18:30:00.000Z',
      '2011-01-03T19:30:00.000Z',
      '2011-01-03T20:30:00.000Z',
    ]);
    expect(windowBounds(REGULAR, hour, 0)).toEqual({ start: REGULAR.start, end: REGULAR.start + HOUR });
    expect(windowBounds(REGULAR, hour, 6)).toEqual({ start: Date.UTC(2011, 0, 3, 20, 30), end: REGULAR.end });
  });

  it('ends every window at 13:00 on an early close', () => {
    const hour = parseInterval('1h');
    expect(windowCount(EARLY_CLOSE, hour)).toBe(4);
    expect(windowBounds(EARLY_CLOSE, hour, 3)).toEqual({
      start: Date.UTC(2015, 11, 24, 17, 30),
      end: EARLY_CLOSE.end,
    });
    expect(windowCount(EARLY_CLOSE, parseInterval('1m'))).toBe(210);
    expect(windowCount(EARLY_CLOSE, parseInterval('1d'))).toBe(1);
  });

  it('counts 390 one-minute and 23 400 one-second windows in a regular session', () => {
    expect(windowCount(REGULAR, parseInterval('1m'))).toBe(390);
    expect(windowCount(REGULAR, parseInterval('1s'))).toBe(23_400);
    expect(windowCount(REGULAR, parseInterval('5m'))).toBe(78);
  });

  it('gives 1d one window covering the whole session window', () => {
    const day = parseInterval('1d');
    expect(windowCount(REGULAR, day)).toBe(1);
    expect(windowIndex(REGULAR, day, REGULAR.start)).toBe(0);
    expect(windowIndex(REGULAR, day, REGULAR.end - 1)).toBe(0);
    expect(windowBounds(REGULAR, day, 0)).toEqual(REGULAR);
  });

  it('gives an empty window no windows', () => {
    expect(windowCount({ start: REGULAR.start, end: REGULAR.start }, parseInterval('1m'))).toBe(0);
    expect(windowCount({ start: REGULAR.start, end: REGULAR.start }, parseInterval('1d'))).toBe(0);
  });

  it('finds the window of an instant', () => {
    const hour = parseInterval('1h');
    expect(windowIndex(REGULAR, hour, REGULAR.start)).toBe(0);
    expect(windowIndex(REGULAR, hour, Date.UTC(2011, 0, 3, 15, 29, 59, 999))).toBe(0);
    expect(windowIndex(REGULAR, hour, Date.UTC(2011, 0, 3, 15, 30))).toBe(1);
    expect(windowIndex(REGULAR, hour, REGULAR.end - 1)).toBe(6);
  });

  it('refuses instants outside the session window', () => {
    const minute = parseInterval('1m');
    expect(() => windowIndex(REGULAR, minute, REGULAR.start - 1)).toThrow(RangeError);
    expect(() => windowIndex(REGULAR, minute, REGULAR.end)).toThrow(RangeError);
    expect(() => windowIndex(REGULAR, parseInterval('1d'), REGULAR.end)).toThrow(RangeError);
  });

  it('refuses window indexes out of range', () => {
    const hour = parseInterval('1h');
    expect(() => windowBounds(REGULAR, hour, -1)).toThrow(RangeError);
    expect(() => windowBounds(REGULAR, hour, 7)).toThrow(
      'Window index 7 out of range [0, 7) for interval 1h',
    );
    expect(() => windowBounds(REGULAR, hour, 1.5)).toThrow(RangeError);
    expect(() => windowBounds(REGULAR, parseInterval('1d'), 1)).toThrow(RangeError);
  });

  it('windows tile the session window and windowIndex inverts windowBounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 * 60 }),
        fc.integer({ min: 1, max: 480 }),
        fc.boolean(),
        (lengthMinutes, intervalMinutes, isDay) => {
          const window = { start: REGULAR.start, end: REGULAR.start + lengthMinutes * MINUTE };
          const spec = isDay ? parseInterval('1d') : parseInterval(`${intervalMinutes}m`);
          const count = windowCount(window, spec);
          let expectedStart = window.start;
          for (let i = 0; i < count; i++) {
            const bounds = windowBounds(window, spec, i);
            expect(bounds.start).toBe(expectedStart);
            expect(bounds.end).toBeGreaterThan(bounds.start);
            expect(bounds.end - bounds.start).toBeLessThanOrEqual(spec.ms);
            expect(windowIndex(window, spec, bounds.start)).toBe(i);
            expect(windowIndex(window, spec, bounds.end - 1)).toBe(i);
            expectedStart = bounds.end;
          }
          expect(expectedStart).toBe(window.end);
        },
      ),
    );
  });
});
