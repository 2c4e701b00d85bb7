/**
 * A live Alpaca feed in the app (createApp with FEED=alpaca) against the scripted fake over real
 * ports, on every store driver: the LIVE session of the rehearsal day starts by itself, FEED_SYMBOLS
 * load on a first run and are backfilled from the session open, streamed bars and quotes go
 * through the API's ingest path (a bad bar is refused by the same validation), a disconnect
 * mid-session is recorded as an outage and its minutes are backfilled, so the tree afterwards equals
 * the tree of an uninterrupted run with no gap; a symbol loaded and removed through the API is
 * followed and dropped by the feed; a non-trading day waits.
 */
import { describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import type { FeedConfig } from '../../src/config.ts';
import { exportSession } from '../../src/session/export.ts';
import { SessionData } from '../../src/session/session-data.ts';
import type { Database } from '../../src/store/database.ts';
import { FakeAlpaca } from '../fakes/alpaca.ts';
import { asAlpacaBars, asAlpacaHistory, type DayBar, recordedDay } from '../fakes/recorded-day.ts';
import { testDrivers, useTestDatabase } from '../helpers/db.ts';
import { gqlData } from '../helpers/gql.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { waitFor } from '../helpers/wait.ts';

const DATE = '2024-03-05';
const DAY: Record<string, DayBar[]> = { SPY: recordedDay('SPY', DATE), AAPL: recordedDay('AAPL', DATE) };
const OPEN = DAY['SPY']![0]!.ts;
const MINUTE = 60_000;
const TOKEN = 'live-feed-test-token';

const leftovers = useLeftovers();
let app: App | null = null;

function until(test: () => boolean, what: string): Promise<void> {
  return waitFor(test, { what, timeoutMs: 10_000 });
}

/** The app with the feed, on `database` (emptied before each test), against a fresh fake. */
async function start(database: Database, clock: { now: number }, symbols = ['SPY', 'AAPL']) {
  const fake = leftovers.keep(await FakeAlpaca.start(), (f) => f.close());
  for (const [symbol, bars] of Object.entries(DAY)) fake.setHistory(symbol, asAlpacaHistory(bars));
  const feed: FeedConfig = {
    kind: 'alpaca',
    keyId: fake.key,
    secretKey: fake.secret,
    dataUrl: fake.restUrl,
    streamUrl: fake.streamUrl,
    alpacaFeed: 'iex',
    symbols,
    base: '1m',
    source: 'BARS',
  };
  app = await createApp({
    adminToken: TOKEN,
    database,
    demo: false,
    logLevel: process.env['FEED_TEST_LOG'] ?? 'silent',
    defaultMetrics: false,
    feed,
    now: () => clock.now,
  });
  leftovers.keep(app, (a) => a.dispose());
  return { app, fake };
}

function gql<T>(query: string): Promise<T> {
  return gqlData<T>(app!.yoga, query, undefined, TOKEN);
}

const minutes = (symbol: string, from: number, to: number) => DAY[symbol]!.slice(from, to);
const barCount = (symbol: string) => app!.session.symbol(symbol)?.day.base.size ?? 0;

/** The tree an uninterrupted run would hold: the same bars straight into a LIVE session. */
function reference(clock: { now: number }, upTo: number): SessionData {
  const session = new SessionData({ now: () => clock.now });
  session.start(DATE, 'LIVE');
  for (const symbol of ['AAPL', 'SPY']) {
    session.beginLoad({ symbol });
    session.completeLoad(
      symbol,
      new Map([
        ['2024-03-01', []],
        ['2024-03-04', []],
      ]),
      [],
      {
        quotes: { items: [], count: 0, next: 0 },
        ticks: { items: [], count: 0, next: 0 },
      },
    );
    session.ingestBars(minutes(symbol, 0, upTo).map((b) => ({ symbol, ...b })));
  }
  return session;
}

function sessionData(session: SessionData) {
  const doc = exportSession(session).data as unknown as { symbols: Record<string, { session: unknown }> };
  return Object.fromEntries(Object.entries(doc.symbols).map(([s, v]) => [s, v.session]));
}

describe.each(testDrivers())('live Alpaca feed in the app (%s)', (driver) => {
  const db = useTestDatabase(driver);
  it('starts the LIVE day, backfills, streams, survives a disconnect and ends equal to an uninterrupted run', async () => {
    const clock = { now: OPEN + 30 * MINUTE + 5_000 };
    const { app, fake } = await start(db().database, clock);
    expect(app.session.date).toBe(DATE);
    expect(app.session.clockMode).toBe('LIVE');
    expect(app.session.activeSymbols()).toEqual(['AAPL', 'SPY']);
    await until(() => app.liveFeed!.feed.state === 'UP', 'the feed to be UP');
    expect(fake.subscription()).toMatchObject({ bars: ['AAPL', 'SPY'], quotes: ['AAPL', 'SPY'] });
    // Start-up in the middle of the session: [09:30, 10:00) comes from the REST history.
    await until(() => barCount('SPY') === 30 && barCount('AAPL') === 30, 'the start-up backfill');

    for (let m = 30; m < 40; m++) {
      clock.now = OPEN + (m + 1) * MINUTE + 1_000;
      fake.push([
        ...asAlpacaBars('SPY', minutes('SPY', m, m + 1)),
        ...asAlpacaBars('AAPL', minutes('AAPL', m, m + 1)),
      ]);
    }
    fake.push([
      {
        T: 'q',
        S: 'SPY',
        bx: 'V',
        bp: 500,
        bs: 2,
        ax: 'V',
        ap: 500.02,
        as: 1,
        c: ['R'],
        z: 'B',
        t: '2024-03-05T15:10:00.5Z',
      },
    ]);
    // A bar that breaks the API's rules is refused by the same validation.
    fake.push([{ T: 'b', S: 'SPY', o: 10, h: 9, l: 8, c: 10, v: 1, n: 1, vw: 9, t: '2024-03-05T15:10:00Z' }]);
    await until(
      () => barCount('SPY') === 40 && app.liveFeed!.ingest.counts().rejected.INVALID_OHLC === 1,
      'the stream',
    );
    expect(app.session.symbol('SPY')!.quotes.latest()).toMatchObject({ bid: 500, ask: 500.02 });

    clock.now = OPEN + 40 * MINUTE + 30_000;
    fake.dropConnections();
    await until(() => app.liveFeed!.controller.status().outages.length === 1, 'the outage');
    clock.now = OPEN + 45 * MINUTE + 10_000;
    await until(() => barCount('SPY') === 45 && barCount('AAPL') === 45, 'the outage backfill');
    const { outages, last } = app.liveFeed!.controller.status();
    expect(outages).toEqual([
      {
        start: OPEN + 40 * MINUTE + 30_000,
        end: OPEN + 45 * MINUTE + 10_000,
        reason: expect.stringMatching(/closed/),
      },
    ]);
    expect(last).toMatchObject({ status: 'UP', reason: 'alpaca reconnected' });
    for (let m = 45; m < 50; m++) {
      clock.now = OPEN + (m + 1) * MINUTE + 1_000;
      fake.push([
        ...asAlpacaBars('SPY', minutes('SPY', m, m + 1)),
        ...asAlpacaBars('AAPL', minutes('AAPL', m, m + 1)),
      ]);
    }
    await until(() => barCount('SPY') === 50 && barCount('AAPL') === 50, 'the stream after the outage');

    const ours = sessionData(app.session);
    const theirs = sessionData(reference(clock, 50));
    expect(ours).toEqual(theirs);
    const spy = ours['SPY'] as {
      data: Record<string, { count: number; quality: number; gaps: { gap_count: number } }>;
    };
    expect(Object.keys(spy.data)).toEqual(['1m', '5m', '15m']);
    expect(spy.data['1m']).toMatchObject({ count: 50, quality: 100, gaps: { gap_count: 0 } });
    const gaps = await gql<{ session: { symbols: { intervals: { gapCount: number }[] }[] } }>(
      '{ session { symbols { intervals { gapCount } } } }',
    );
    expect(gaps.session.symbols.flatMap((s) => s.intervals.map((i) => i.gapCount))).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
  });

  it('follows a symbol loaded through the API and drops one removed through it', async () => {
    const clock = { now: OPEN + 5 * MINUTE };
    const { app, fake } = await start(db().database, clock, ['SPY']);
    await until(() => app.liveFeed!.feed.state === 'UP', 'the feed to be UP');
    await gql('mutation { loadSymbol(input: { symbol: "AAPL" }) { loaded } }');
    await until(() => (fake.subscription()['bars'] ?? []).includes('AAPL'), 'AAPL subscribed');
    await until(() => barCount('AAPL') === 5, 'AAPL backfilled from the open');
    await gql('mutation { removeSymbol(symbol: "SPY") }');
    await until(() => !(fake.subscription()['bars'] ?? []).includes('SPY'), 'SPY unsubscribed');
    expect(app.liveFeed!.feed.following().map((s) => s.symbol)).toEqual(['AAPL']);
  });
});

describe('live feed on a non-trading day', () => {
  const db = useTestDatabase('pglite');
  it('says so and waits', async () => {
    const clock = { now: Date.UTC(2024, 2, 9, 15) };
    const { app, fake } = await start(db().database, clock);
    expect(app.session.active).toBe(false);
    expect(app.liveFeed!.controller.status().waitingFor).toBe('2024-03-11');
    expect(app.liveFeed!.describe()).toBe('alpaca (iex) · not a trading day: waiting for 2024-03-11');
    expect(fake.connectionCount).toBe(0);
  });
});
