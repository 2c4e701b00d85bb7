/**
 * A live feed's trades, corrections and cancels through FeedIngest (the sink every adapter delivers
 * to), on the real app: a symbol built from trades gets its bars from them, a correction replaces
 * the print and a cancel removes it; for a symbol of streamed bars they are counted as unapplied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedTrade } from '../../src/feed/live/types.ts';
import { FeedIngest } from '../../src/service/feed-ingest.ts';
import { createTestApi, type TestApi, useAppDatabase } from '../helpers/app.ts';

const DATE = '2024-03-05';
const OPEN = Date.UTC(2024, 2, 5, 14, 30);
const database = useAppDatabase();
let api: TestApi;

const silent = { info() {}, warn() {}, error() {} };

beforeAll(async () => {
  api = await createTestApi({ database: database(), spy: false });
  await api.gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
  await api.gql(
    'mutation { a: loadSymbol(input: { symbol: "AAPL", baseInterval: "1s", source: TRADES, feed: "alpaca" }) { loaded } b: loadSymbol(input: { symbol: "SPY" }) { loaded } }',
  );
});

afterAll(async () => {
  await api.dispose();
});

function trade(symbol: string, ts: number, price: number, id: string): FeedTrade {
  return { symbol, ts, price, size: 100, id, exchange: 'V', conditions: ['@'], tape: 'C' };
}

describe('feed trades', () => {
  it('applies trades, corrections and cancels to a TRADES symbol and counts the others unapplied', () => {
    const ingest = new FeedIngest(api.service, { log: silent });
    ingest.trades([
      trade('AAPL', OPEN + 10, 10, '1'),
      trade('AAPL', OPEN + 20, 12, '2'),
      trade('AAPL', OPEN + 30, 11, '3'),
    ]);
    ingest.corrections([
      { symbol: 'AAPL', ts: OPEN + 40, originalId: '2', corrected: trade('AAPL', OPEN + 20, 10.5, '4') },
    ]);
    ingest.cancels([
      { symbol: 'AAPL', ts: OPEN + 50, id: '3', action: 'C', price: 11, size: 100, exchange: 'V', tape: 'C' },
    ]);
    ingest.corrections([
      { symbol: 'SPY', ts: OPEN, originalId: '9', corrected: trade('SPY', OPEN, 1, '10') },
    ]);
    ingest.cancels([
      { symbol: 'SPY', ts: OPEN, id: '9', action: 'C', price: null, size: null, exchange: null, tape: null },
    ]);
    const bar = api.session.symbol('AAPL')!.interval('1s')!.latestBar()!;
    expect([bar.open, bar.high, bar.low, bar.close, bar.volume, bar.tradeCount]).toEqual([
      10, 10.5, 10, 10.5, 200, 2,
    ]);
    const counts = ingest.counts();
    expect(counts.accepted).toMatchObject({ trades: 3, corrections: 1, cancels: 1 });
    expect(counts.unapplied).toEqual({ corrections: 1, cancels: 1 });
    expect(counts.rejected).toEqual({});
  });
});

describe('feed status', () => {
  it('a feed’s connection changes are recorded as its outages (a report going backwards is logged, not thrown)', () => {
    const warnings: string[] = [];
    const ingest = new FeedIngest(api.service, { log: { ...silent, warn: (_f, m) => warnings.push(m) } });
    ingest.status({ feed: 'alpaca', status: 'DOWN', at: OPEN + 60_000, reason: 'connection lost' });
    ingest.status({ feed: 'alpaca', status: 'UP', at: OPEN + 120_000, reason: 'connected' });
    ingest.status({ feed: 'alpaca', status: 'DOWN', at: OPEN, reason: 'late news' });
    expect(api.session.feeds.state('alpaca')).toMatchObject({
      status: 'UP',
      outages: [{ start: OPEN + 60_000, end: OPEN + 120_000, reason: 'connection lost' }],
    });
    expect(warnings).toContain('the feed status could not be recorded');
  });
});
