/**
 * The GraphQL side of trades and feeds on the real app (in-process yoga): LoadSymbolInput.source and
 * feed, TickInput's venue fields and Tick's, the trade rejection codes, reportFeedStatus (admin
 * only, validated, persisted), Session.feeds and Gap.cause.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi, useAppDatabase } from '../helpers/app.ts';

const DATE = '2024-03-05';
const database = useAppDatabase();
let api: TestApi;

const INGEST =
  'mutation($t: [TickInput!]!) { ingestTicks(ticks: $t) { accepted rejected { index code message } } }';

beforeAll(async () => {
  api = await createTestApi({ database: database(), spy: false });
  await api.gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
});

afterAll(async () => {
  await api.dispose();
});

describe('trades and feeds over GraphQL', () => {
  it('loads a TRADES symbol with its feed, and the defaults are BARS and api', async () => {
    const loaded = await api.gql(
      'mutation { a: loadSymbol(input: { symbol: "aapl", baseInterval: "1s", derivedIntervals: ["1m"], source: TRADES, feed: "alpaca" }) { symbol source feed } b: loadSymbol(input: { symbol: "msft" }) { source feed } }',
    );
    expect(loaded.data).toEqual({
      a: { symbol: 'AAPL', source: 'TRADES', feed: 'alpaca' },
      b: { source: 'BARS', feed: 'api' },
    });
    const bad = await api.gql('mutation { loadSymbol(input: { symbol: "X", feed: "no spaces" }) { feed } }');
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('ingests trades with their venue fields, refuses bad ones with codes, exposes them as ticks', async () => {
    const result = await api.gql<{
      ingestTicks: { accepted: number; rejected: { index: number; code: string }[] };
    }>(INGEST, {
      t: [
        {
          symbol: 'AAPL',
          ts: '2024-03-05T14:30:00.100Z',
          price: 170.1,
          size: 100,
          id: '1',
          exchange: 'Q',
          conditions: ['@', 'F'],
          tape: 'C',
        },
        {
          symbol: 'AAPL',
          ts: '2024-03-05T14:30:00.200Z',
          price: 170.3,
          size: 5,
          id: '2',
          conditions: ['@', 'I'],
          tape: 'C',
        },
        { symbol: 'AAPL', ts: '2024-03-05T14:30:00.300Z', price: 170.2, size: 100, id: '3', replaces: '1' },
        { symbol: 'AAPL', ts: '2024-03-05T14:30:00.100Z', price: 170.1, size: 100, id: '1' },
        { symbol: 'AAPL', ts: '2024-03-05T14:30:00.100Z', price: 170.1, size: 0 },
        { symbol: 'AAPL', ts: '2024-03-05T14:30:00.100Z', price: 170.1, size: 1, cancels: 'nope' },
        { symbol: 'AAPL', ts: 'yesterday', price: 170.1, size: 1 },
      ],
    });
    expect(result.data?.ingestTicks).toMatchObject({
      accepted: 4,
      rejected: [
        { index: 4, code: 'INVALID_NUMBER' },
        { index: 5, code: 'UNKNOWN_TRADE' },
        { index: 6, code: 'INVALID_TIMESTAMP' },
      ],
    });
    const read = await api.gql<{ symbol: { ticks: unknown[]; interval: { bars: { nodes: unknown[] } } } }>(
      '{ symbol(symbol: "AAPL") { ticks(last: 2) { ts price size id exchange conditions tape replaces cancels } interval(name: "1s") { bars { nodes { open high low close volume tradeCount revision } } } } }',
    );
    expect(read.data?.symbol.ticks).toEqual([
      {
        ts: '2024-03-05T14:30:00.200Z',
        price: 170.3,
        size: 5,
        id: '2',
        exchange: null,
        conditions: ['@', 'I'],
        tape: 'C',
        replaces: null,
        cancels: null,
      },
      {
        ts: '2024-03-05T14:30:00.300Z',
        price: 170.2,
        size: 100,
        id: '3',
        exchange: null,
        conditions: null,
        tape: null,
        replaces: '1',
        cancels: null,
      },
    ]);
    expect(read.data?.symbol.interval.bars.nodes).toEqual([
      // Written when the correction came (the two prints before it once, then the recomputed window).
      { open: 170.2, high: 170.2, low: 170.2, close: 170.2, volume: 105, tradeCount: 2, revision: 1 },
    ]);
    const bars = await api.gql<{ ingestBars: { rejected: { code: string }[] } }>(
      'mutation { ingestBars(bars: [{ symbol: "AAPL", ts: "2024-03-05T14:31:00Z", open: 1, high: 1, low: 1, close: 1, volume: 1 }]) { rejected { code } } }',
    );
    expect(bars.data?.ingestBars.rejected).toEqual([{ code: 'TRADES_SOURCE' }]);
  });

  it('reportFeedStatus is admin-only, validated and shows in Session.feeds and Gap.cause', async () => {
    const anonymous = await api.gql(
      'mutation { reportFeedStatus(feed: "alpaca", status: DOWN) { status } }',
      {},
      null,
    );
    expect(anonymous.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const bad = await api.gql('mutation { reportFeedStatus(feed: "a b", status: DOWN) { status } }');
    expect(bad.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const down = await api.gql(
      'mutation { reportFeedStatus(feed: "alpaca", status: DOWN, at: "2024-03-05T14:32:00Z", reason: "socket closed") { feed status since outages { start end reason } } }',
    );
    expect(down.data).toEqual({
      reportFeedStatus: {
        feed: 'alpaca',
        status: 'DOWN',
        since: '2024-03-05T14:32:00.000Z',
        outages: [{ start: '2024-03-05T14:32:00.000Z', end: null, reason: 'socket closed' }],
      },
    });
    const backwards = await api.gql(
      'mutation { reportFeedStatus(feed: "alpaca", status: UP, at: "2024-03-05T14:00:00Z") { status } }',
    );
    expect(backwards.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    await api.gql(
      'mutation { reportFeedStatus(feed: "alpaca", status: UP, at: "2024-03-05T14:33:00Z") { status } }',
    );
    await api.gql('mutation { advanceClock(to: "2024-03-05T14:40:00Z") { time } }');
    const read = await api.gql<{
      session: { feeds: { feed: string; status: string; since: string }[] };
      a: { interval: { gaps: { start: string; end: string; cause: string }[] } };
      m: { interval: { gaps: { cause: string }[] } };
    }>(
      '{ session { feeds { feed status since } } a: symbol(symbol: "AAPL") { interval(name: "1m") { gaps { start end cause } } } m: symbol(symbol: "MSFT") { interval(name: "1m") { gaps { cause } } } }',
    );
    expect(read.data?.session.feeds).toEqual([
      { feed: 'alpaca', status: 'UP', since: '2024-03-05T14:33:00.000Z' },
      { feed: 'api', status: 'UP', since: null },
    ]);
    expect(read.data?.a.interval.gaps).toEqual([
      { start: '2024-03-05T14:31:00.000Z', end: '2024-03-05T14:40:00.000Z', cause: 'FEED_OUTAGE' },
    ]);
    expect(read.data?.m.interval.gaps.map((g) => g.cause)).toEqual(['NO_DATA']);
    expect(await api.app.repository.listFeedStates()).toMatchObject([{ feed: 'alpaca', status: 'UP' }]);
  });
});
