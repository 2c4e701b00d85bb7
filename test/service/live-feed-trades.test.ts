/**
 * A TRADES symbol fed by the live Alpaca feed in the app (FEED_SOURCE=TRADES, FEED_BASE=1s),
 * against the scripted fake over real ports, on every store driver: the morning's trades come from
 * `GET /v2/stocks/trades`, streamed trades, a correction and a cancel build and revise its bars,
 * a disconnect is reported through reportFeedStatus (Session.feeds shows the outage) and the
 * outage's trades are backfilled, so its bars equal those of every surviving trade sent straight
 * to a tree; a symbol loaded with `feed: "api"` is not followed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import type { TickInput } from '../../src/domain/types.ts';
import { SessionData } from '../../src/session/session-data.ts';
import { type AlpacaWireMessage, FakeAlpaca, type RecordedTrade } from '../fakes/alpaca.ts';
import { recordedDay, seeded } from '../fakes/recorded-day.ts';
import { type TestDriver, testDrivers, useTestDatabases } from '../helpers/db.ts';
import { gqlData } from '../helpers/gql.ts';
import { waitFor } from '../helpers/wait.ts';

const DATE = '2024-03-05';
const OPEN = recordedDay('SPY', DATE)[0]!.ts;
const MINUTE = 60_000;
const TOKEN = 'live-feed-trades-token';

/** A trade every 2.5 s from the open for 12 minutes, seeded. */
const TRADES: RecordedTrade[] = (() => {
  const random = seeded(42);
  let price = 170;
  return Array.from({ length: 12 * 24 }, (_, k) => {
    price = Math.round(price * (1 + (random() - 0.5) / 500) * 100) / 100;
    return {
      t: new Date(OPEN + k * 2_500 + 123).toISOString(),
      x: 'V',
      p: price,
      s: 1 + Math.floor(random() * 300),
      c: k % 7 === 3 ? ['@', 'I'] : ['@'],
      i: 10_000 + k,
      z: 'C',
    };
  });
})();
const at = (trade: RecordedTrade) => Date.parse(trade.t);
const wire = (trade: RecordedTrade): AlpacaWireMessage => ({ T: 't', S: 'AAPL', ...trade });

const databases = useTestDatabases();
let app: App | null = null;
let fake: FakeAlpaca | null = null;
afterEach(async () => {
  await app?.dispose();
  await fake?.close();
  app = null;
  fake = null;
});

describe.each(testDrivers())('a TRADES symbol from the Alpaca feed (%s)', (driver: TestDriver) => {
  it('builds its bars from backfilled and streamed trades, corrections and cancels, through an outage', async () => {
    fake = await FakeAlpaca.start();
    fake.setTradeHistory('AAPL', TRADES);
    const clock = { now: OPEN + 4 * MINUTE + 5_000 };
    app = await createApp({
      adminToken: TOKEN,
      database: await databases(driver),
      demo: false,
      logLevel: 'silent',
      defaultMetrics: false,
      feed: {
        kind: 'alpaca',
        keyId: fake.key,
        secretKey: fake.secret,
        dataUrl: fake.restUrl,
        streamUrl: fake.streamUrl,
        alpacaFeed: 'iex',
        symbols: ['AAPL'],
        base: '1s',
        source: 'TRADES',
      },
      now: () => clock.now,
    });
    const running = app;
    const gql = <T>(query: string) => gqlData<T>(running.yoga, query, undefined, TOKEN);
    const data = () => running.session.symbol('AAPL')!;
    expect(data().source).toBe('TRADES');
    expect(data().feed).toBe('alpaca');
    await waitFor(() => fake!.subscription()['trades']?.includes('AAPL') === true, {
      what: 'trades subscribed',
    });
    expect(fake.subscription()['bars']).toEqual([]);
    // The morning [09:30:00, 09:34:05) from the trade history.
    const morning = TRADES.filter((t) => at(t) < clock.now);
    await waitFor(() => running.liveFeed!.ingest.counts().accepted['trades'] === morning.length, {
      what: 'the trade backfill',
    });

    // Streamed: the trades up to 09:36, a correction of one and a cancel of another.
    const streamed = TRADES.filter((t) => at(t) >= OPEN + 4 * MINUTE + 5_000 && at(t) < OPEN + 6 * MINUTE);
    clock.now = OPEN + 6 * MINUTE;
    fake.push(streamed.map(wire));
    const corrected = streamed[3]!;
    const cancelled = streamed[5]!;
    // A second print in the cancelled trade's second (a cancel that would empty a bar is refused).
    const extra: RecordedTrade = {
      ...cancelled,
      t: new Date(at(cancelled) + 300).toISOString(),
      i: 88_001,
      p: cancelled.p + 0.01,
    };
    fake.push([wire(extra)]);
    fake.push([
      {
        T: 'c',
        S: 'AAPL',
        x: 'V',
        oi: corrected.i,
        op: corrected.p,
        os: corrected.s,
        oc: corrected.c,
        ci: 99_001,
        cp: corrected.p + 0.5,
        cs: corrected.s,
        cc: ['@'],
        z: 'C',
        t: corrected.t,
      },
      {
        T: 'x',
        S: 'AAPL',
        i: cancelled.i,
        x: 'V',
        p: cancelled.p,
        s: cancelled.s,
        a: 'C',
        z: 'C',
        t: cancelled.t,
      },
    ]);
    await waitFor(
      () => {
        const c = running.liveFeed!.ingest.counts().accepted;
        return (
          c['trades'] === morning.length + streamed.length + 1 && c['corrections'] === 1 && c['cancels'] === 1
        );
      },
      { what: 'the stream' },
    );

    // The connection drops at 09:36:00; it is back at 09:38:30: the trades in between come from history.
    fake.dropConnections();
    await waitFor(() => running.liveFeed!.controller.status().outages.length === 1, { what: 'the outage' });
    clock.now = OPEN + 8 * MINUTE + 30_000;
    const missed = TRADES.filter((t) => at(t) >= OPEN + 6 * MINUTE && at(t) < clock.now);
    await waitFor(
      () =>
        running.liveFeed!.ingest.counts().accepted['trades']! >=
        morning.length + streamed.length + 1 + missed.length,
      {
        what: 'the outage backfill',
      },
    );

    const feeds = await gql<{
      session: {
        feeds: { feed: string; status: string; outages: { start: string; end: string | null }[] }[];
      };
    }>('{ session { feeds { feed status outages { start end } } } }');
    expect(feeds.session.feeds).toEqual([
      {
        feed: 'alpaca',
        status: 'UP',
        outages: [
          {
            start: new Date(OPEN + 6 * MINUTE).toISOString(),
            end: new Date(OPEN + 8 * MINUTE + 30_000).toISOString(),
          },
        ],
      },
    ]);

    // The same trades, correction and cancel straight into a tree: the same 1s bars.
    const reference = new SessionData({ now: () => clock.now });
    reference.start(DATE, 'LIVE');
    reference.beginLoad({ symbol: 'AAPL', baseInterval: '1s', source: 'TRADES', feed: 'alpaca' });
    reference.completeLoad('AAPL', new Map(), []);
    const tick = (t: RecordedTrade): TickInput => ({
      symbol: 'AAPL',
      ts: at(t),
      price: t.p,
      size: t.s,
      id: String(t.i),
      exchange: t.x,
      conditions: t.c,
      tape: t.z,
    });
    reference.ingestTicks([...morning, ...streamed, extra].map(tick));
    reference.ingestTicks([
      {
        ...tick(corrected),
        id: '99001',
        price: corrected.p + 0.5,
        conditions: ['@'],
        replaces: String(corrected.i),
      },
    ]);
    reference.ingestTicks([{ ...tick(cancelled), id: null, cancels: String(cancelled.i) }]);
    reference.ingestTicks(missed.map(tick));
    const bars = (session: SessionData) =>
      session.symbol('AAPL')!.interval('1s')!.barsBetween(OPEN, clock.now);
    expect(bars(running.session).length).toBeGreaterThan(150);
    expect(bars(running.session)).toEqual(bars(reference));
  });

  it('does not follow a symbol loaded for data pushed through the API', async () => {
    fake = await FakeAlpaca.start();
    const clock = { now: OPEN + MINUTE };
    app = await createApp({
      adminToken: TOKEN,
      database: await databases(driver),
      demo: false,
      logLevel: 'silent',
      defaultMetrics: false,
      feed: {
        kind: 'alpaca',
        keyId: fake.key,
        secretKey: fake.secret,
        dataUrl: fake.restUrl,
        streamUrl: fake.streamUrl,
        alpacaFeed: 'iex',
        symbols: [],
        base: '1m',
        source: 'BARS',
      },
      now: () => clock.now,
    });
    const running = app;
    const gql = <T>(query: string) => gqlData<T>(running.yoga, query, undefined, TOKEN);
    await waitFor(() => running.liveFeed!.feed.state === 'UP', { what: 'UP' });
    await gql('mutation { loadSymbol(input: { symbol: "MSFT", feed: "api" }) { loaded } }');
    await gql('mutation { loadSymbol(input: { symbol: "SPY" }) { loaded } }');
    await waitFor(() => fake!.subscription()['bars']?.includes('SPY') === true, { what: 'SPY subscribed' });
    expect(fake.subscription()['bars']).toEqual(['SPY']);
    expect(running.session.symbol('SPY')!.feed).toBe('alpaca');
    expect(running.session.symbol('MSFT')!.feed).toBe('api');
  });
});
