/**
 * What the store keeps for symbols built from trades and for feed health, on PGlite and (with
 * DATABASE_URL) PostgreSQL: trade messages with every venue field, the day's trade log in arrival
 * order, symbol settings with source and feed, outages opened, closed and listed as feed states.
 */
import { describe, expect, it } from 'vitest';
import { Repository } from '../../src/store/repository.ts';
import { testDrivers, useTestDatabase } from '../helpers/db.ts';

const OPEN = Date.UTC(2024, 2, 5, 14, 30);
const DATE = '2024-03-05';

describe.each(testDrivers())('trades and feeds in the store on %s', (driver) => {
  const ctx = useTestDatabase(driver);
  const repo = () => new Repository(ctx().database);

  it('keeps every field of a trade message and reads the trade log in arrival order', async () => {
    const key = { symbol: 'AAPL', sessionDate: DATE };
    await repo().appendTicks([
      {
        ...key,
        seq: 1,
        ts: OPEN + 5,
        price: 10.5,
        size: 7,
        id: '2',
        conditions: ['@', 'I'],
        tape: 'C',
        exchange: 'Q',
      },
      { ...key, seq: 0, ts: OPEN, price: 10, size: 100, id: '1', conditions: [' '], tape: 'A' },
      { ...key, seq: 2, ts: OPEN, price: 10.25, size: 100, id: '3', replaces: '1' },
      { ...key, seq: 3, ts: OPEN + 5, price: 10.5, size: 7, cancels: '2' },
      { ...key, seq: 3, ts: OPEN + 5, price: 99, size: 99 }, // a retried write stores nothing twice
      { symbol: 'MSFT', sessionDate: DATE, seq: 0, ts: OPEN, price: 1, size: 1 },
    ]);
    expect(await repo().readTradeLog('AAPL', DATE)).toEqual([
      { ts: OPEN, price: 10, size: 100, id: '1', conditions: [' '], tape: 'A' },
      { ts: OPEN + 5, price: 10.5, size: 7, id: '2', exchange: 'Q', conditions: ['@', 'I'], tape: 'C' },
      { ts: OPEN, price: 10.25, size: 100, id: '3', replaces: '1' },
      { ts: OPEN + 5, price: 10.5, size: 7, cancels: '2' },
    ]);
    const stored = await repo().readStoredTicks('AAPL', DATE, OPEN, OPEN + 60_000, 2);
    expect(stored).toEqual({
      items: [
        { ts: OPEN, price: 10.25, size: 100, id: '3', replaces: '1' },
        { ts: OPEN + 5, price: 10.5, size: 7, cancels: '2' },
      ],
      count: 4,
      next: 4,
    });
    expect(await repo().readTradeLog('AAPL', '2024-03-04')).toEqual([]);
  });

  it('keeps a symbol’s source and feed', async () => {
    const settings = {
      symbol: 'AAPL',
      baseInterval: '1s',
      derivedIntervals: ['1m'],
      historicalDays: 0,
      extendedHours: true,
      indicators: [],
      source: 'TRADES' as const,
      feed: 'alpaca',
    };
    await repo().saveSymbolConfig(settings);
    expect(await repo().listSymbolConfigs()).toEqual([settings]);
  });

  it('opens and closes outages and lists each feed’s state', async () => {
    expect(await repo().listFeedStates()).toEqual([]);
    await repo().openOutage('alpaca', { start: OPEN, end: null, reason: 'socket closed' });
    await repo().openOutage('alpaca', { start: OPEN, end: null, reason: 'again' }); // idempotent
    await repo().closeOutage('alpaca', OPEN + 60_000);
    await repo().openOutage('alpaca', { start: OPEN + 120_000, end: null, reason: null });
    await repo().openOutage('api', { start: OPEN, end: null, reason: 'maintenance' });
    await repo().closeOutage('api', OPEN + 1_000);
    expect(await repo().listFeedStates()).toEqual([
      {
        feed: 'alpaca',
        status: 'DOWN',
        since: OPEN + 120_000,
        outages: [
          { start: OPEN, end: OPEN + 60_000, reason: 'socket closed' },
          { start: OPEN + 120_000, end: null, reason: null },
        ],
      },
      {
        feed: 'api',
        status: 'UP',
        since: OPEN + 1_000,
        outages: [{ start: OPEN, end: OPEN + 1_000, reason: 'maintenance' }],
      },
    ]);
  });
});
