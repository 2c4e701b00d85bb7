import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/domain/errors.ts';
import { MAX_HISTORICAL_DAYS, resolveSettings, sameSettings } from '../../src/domain/symbol-settings.ts';

function codeOf(work: () => unknown): string | null {
  try {
    work();
    return null;
  } catch (error) {
    return error instanceof ServiceError ? error.code : 'not a ServiceError';
  }
}

describe('resolveSettings', () => {
  it('applies the contract defaults', () => {
    expect(resolveSettings({ symbol: ' spy ' })).toEqual({
      symbol: 'SPY',
      baseInterval: '1m',
      derivedIntervals: ['5m', '15m'],
      historicalDays: 2,
      extendedHours: false,
      indicators: [],
      source: 'BARS',
      feed: 'api',
    });
  });

  it('takes a bar source and a feed name, and refuses what is neither', () => {
    expect(resolveSettings({ symbol: 'SPY', source: 'TRADES', feed: 'alpaca' })).toMatchObject({
      source: 'TRADES',
      feed: 'alpaca',
    });
    expect(() => resolveSettings({ symbol: 'SPY', source: 'TICKS' as 'BARS' })).toThrow(
      /source must be BARS or TRADES/,
    );
    expect(() => resolveSettings({ symbol: 'SPY', feed: '' })).toThrow(/not a feed name/);
    expect(() => resolveSettings({ symbol: 'SPY', feed: 'a b' })).toThrow(/not a feed name/);
    expect(() => resolveSettings({ symbol: 'SPY', feed: 'x'.repeat(33) })).toThrow(/not a feed name/);
  });

  it('writes intervals and indicators in their canonical form', () => {
    const settings = resolveSettings({
      symbol: 'QQQ',
      baseInterval: '60s',
      derivedIntervals: ['60m', '5m'],
      historicalDays: 14,
      extendedHours: true,
      indicators: ['atr_5d', 'prev_close'],
    });
    expect([settings.baseInterval, settings.derivedIntervals, settings.extendedHours]).toEqual([
      '1m',
      ['5m', '1h'],
      true,
    ]);
  });

  it('refuses what cannot be loaded, with a code naming the field', () => {
    expect(codeOf(() => resolveSettings({ symbol: '1X' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => resolveSettings({ symbol: 'SPY', historicalDays: MAX_HISTORICAL_DAYS }))).toBeNull();
    expect(codeOf(() => resolveSettings({ symbol: 'SPY', historicalDays: MAX_HISTORICAL_DAYS + 1 }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(() => resolveSettings({ symbol: 'SPY', historicalDays: 1.5 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => resolveSettings({ symbol: 'SPY', baseInterval: '5m' }))).toBe('INVALID_INTERVAL');
    expect(codeOf(() => resolveSettings({ symbol: 'SPY', indicators: ['atr_2d'] }))).toBe(
      'INVALID_INDICATOR',
    );
  });
});

describe('sameSettings', () => {
  it('compares the resolved settings, not their spelling', () => {
    const a = resolveSettings({ symbol: 'spy', derivedIntervals: ['15m', '5m'] });
    expect(sameSettings(a, resolveSettings({ symbol: 'SPY' }))).toBe(true);
    expect(sameSettings(a, resolveSettings({ symbol: 'SPY', historicalDays: 3 }))).toBe(false);
  });
});
