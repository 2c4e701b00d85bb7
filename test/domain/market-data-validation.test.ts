import { describe, expect, it } from 'vitest';
import { validateQuote, validateTick } from '../../src/domain/market-data-validation.ts';
import type { Quote, Tick } from '../../src/domain/types.ts';

const MINUTE = 60_000;
/** 2011-01-03 regular session, 09:30–16:00 America/New_York (EST). */
const REGULAR = { start: Date.UTC(2011, 0, 3, 14, 30), end: Date.UTC(2011, 0, 3, 21, 0) };
const QUOTE: Quote = { ts: REGULAR.start + MINUTE, bid: 10, bidSize: 100, ask: 10.01, askSize: 0 };
const TICK: Tick = { ts: REGULAR.start + MINUTE, price: 10, size: 0 };

describe('validateQuote', () => {
  it('accepts a quote inside the window, zero sizes included', () => {
    expect(validateQuote(QUOTE, 'SPY', REGULAR)).toBeNull();
    expect(validateQuote({ ...QUOTE, ts: REGULAR.start }, 'SPY', REGULAR)).toBeNull();
  });

  it.each([
    [{ bid: 0 }, 'INVALID_NUMBER', 'bid must be a finite number > 0'],
    [{ ask: Number.NaN }, 'INVALID_NUMBER', 'ask must be a finite number > 0'],
    [{ bidSize: -1 }, 'INVALID_NUMBER', 'bidSize must be a finite number ≥ 0'],
    [{ askSize: Number.POSITIVE_INFINITY }, 'INVALID_NUMBER', 'askSize must be a finite number ≥ 0'],
    [{ ts: Number.NaN }, 'INVALID_NUMBER', 'ts must be a valid instant'],
    [
      { ts: REGULAR.end },
      'OUTSIDE_SESSION',
      `${new Date(REGULAR.end).toISOString()} is outside SPY's session window`,
    ],
  ])('refuses %j with %s', (change, code, message) => {
    expect(validateQuote({ ...QUOTE, ...change }, 'SPY', REGULAR)).toEqual({ code, message });
  });

  it('checks the numbers before the time', () => {
    expect(validateQuote({ ...QUOTE, bid: -1, ts: REGULAR.end }, 'SPY', REGULAR)?.code).toBe(
      'INVALID_NUMBER',
    );
  });
});

describe('validateTick', () => {
  it('accepts a tick inside the window', () => {
    expect(validateTick(TICK, 'SPY', REGULAR)).toBeNull();
  });

  it.each([
    [{ price: 0 }, 'INVALID_NUMBER', 'price must be a finite number > 0'],
    [{ size: -0.5 }, 'INVALID_NUMBER', 'size must be a finite number ≥ 0'],
    [{ ts: Number.POSITIVE_INFINITY }, 'INVALID_NUMBER', 'ts must be a valid instant'],
    [
      { ts: REGULAR.start - 1 },
      'OUTSIDE_SESSION',
      `${new Date(REGULAR.start - 1).toISOString()} is outside SPY's session window`,
    ],
  ])('refuses %j with %s', (change, code, message) => {
    expect(validateTick({ ...TICK, ...change }, 'SPY', REGULAR)).toEqual({ code, message });
  });
});
