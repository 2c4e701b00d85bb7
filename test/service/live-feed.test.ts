/**
 * A live feed in the app (createApp with FEED=alpaca and FEED=polygon) against the scripted fakes
 * over real ports, on every store driver: the LIVE session of the rehearsal day starts by itself, FEED_SYMBOLS
 * load on a first run and are backfilled from the session open, streamed bars and quotes go
 * through the API's ingest path (a bad bar is refused by the same validation), a disconnect
 * mid-session is recorded as an outage and its minutes are backfilled, so the tree afterwards equals
 * the tree of an uninterrupted run with no gap; a symbol loaded and removed through the API is
 * followed and dropped by the feed; a non-trading day waits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import type { FeedConfig } from '../../src/config.ts';
import { exportSession } from '../../src/session/export.ts';
import { SessionData } from '../../src/session/session-data.ts';
import { FakeAlpaca } from '../fakes/alpaca.ts';
import { FakePolygon } from '../fakes/polygon.ts';
import {
  asAlpacaBars,
  asAlpacaHistory,
  asPolygonHistory,
  asPolygonMinutes,
  type DayBar,
  recordedDay,
} from '../fakes/recorded-day.ts';
import { type TestDriver, testDrivers, useTestDatabases } from '../helpers/db.ts';
import { gqlData } from '../helpers/gql.ts';
import { waitFor } from '../helpers/wait.ts';

const DATE = '2024-03-05';
const DAY: Record<string, DayBar[]> = { SPY: recordedDay('SPY', DATE), AAPL: recordedDay('AAPL', DATE) };
const OPEN = DAY['SPY']![0]!.ts;
const MINUTE = 60_000;
const TOKEN = 'live-feed-test-token';

/** A fake provider as the tests drive it. */
interface Provider {
  readonly name: 'alpaca' | 'polygon';
  readonly config: FeedConfig;
  push(symbol: string, bars: readonly DayBar[]): void;
  pushQuote(symbol: string, bid: number, ask: number, ts: number): void;
  drop(): void;
  /** Symbols subscribed to bars. */
  barSymbols(): string[];
  readonly connectionCount: number;
  close(): Promise<void>;
}

async function alpacaProvider(symbols: readonly string[]): Promise<Provider> {
  const fake = await FakeAlpaca.start();
  for (const [symbol, bars] of Object.entries(DAY)) fake.setHistory(symbol, asAlpacaHistory(bars));
  return {
    name: 'alpaca',
    config: {
      kind: 'alpaca',
      keyId: fake.key,
      secretKey: fake.secret,
      dataUrl: fake.restUrl,
      streamUrl: fake.streamUrl,
      alpacaFeed: 'iex',
      symbols,
      base: '1m',
      source: 'BARS',
    },
    push: (symbol, bars) => fake.push(asAlpacaBars(symbol, bars)),
    pushQuote: (symbol, bid, ask, ts) =>
      fake.push([
        {
          T: 'q',
          S: symbol,
          bx: 'V',
          bp: bid,
          bs: 2,
          ax: 'V',
          ap: ask,
          as: 1,
          c: ['R'],
          z: 'B',
          t: new Date(ts).toISOString(),
        },
      ]),
    drop: () => fake.dropConnections(),
    barSymbols: () => fake.subscription()['bars'] ?? [],
    get connectionCount() {
      return fake.connectionCount;
    },
    close: () => fake.close(),
  };
}

async function polygonProvider(symbols: readonly string[]): Promise<Provider> {
  const fake = await FakePolygon.start();
  for (const [symbol, bars] of Object.entries(DAY)) fake.setHistory(symbol, asPolygonHistory(bars));
  return {
    name: 'polygon',
    config: {
      kind: 'polygon',
      apiKey: fake.key,
      wsUrl: fake.wsUrl,
      restUrl: fake.restUrl,
      symbols,
      base: '1m',
      source: 'BARS',
    },
    push: (symbol, bars) => fake.push(asPolygonMinutes(symbol, bars)),
    pushQuote: (symbol, bid, ask, ts) =>
      fake.push([
        { ev: 'Q', sym: symbol, bx: 4, bp: bid, bs: 2, ax: 4, ap: ask, as: 1, c: 0, t: ts, q: 1, z: 2 },
      ]),
    drop: () => fake.dropConnections(),
    barSymbols: () => fake.subscription().flatMap((p) => (p.startsWith('AM.') ? [p.slice(3)] : [])),
    get connectionCount() {
      return fake.connectionCount;
    },
    close: () => fake.close(),
  };
}

const PROVIDERS = { alpaca: alpacaProvider, polygon: polygonProvider };

/** One store per driver for the whole file, emptied before each app is built on it. */
const databases = useTestDatabases();
let app: App | null = null;
let fake: Provider | null = null;
afterEach(async () => {
  await app?.dispose();
  await fake?.close();
  app = null;
  fake = null;
});

function until(test: () => boolean, what: string, ms = 10_000): Promise<void> {
  return waitFor(test, { what, timeoutMs: ms });
}

async function start(
  driver: TestDriver,
  clock: { now: number },
  symbols = ['SPY', 'AAPL'],
  provider: keyof typeof PROVIDERS = 'alpaca',
) {
  fake = await PROVIDERS[provider](symbols);
  const feed = fake.config;
  app = await createApp({
    adminToken: TOKEN,
    database: await databases(driver),
    demo: false,
    logLevel: process.env['FEED_TEST_LOG'] ?? 'silent',
    defaultMetrics: false,
    feed,
    now: () => clock.now,
  });
  return { app, fake };
}

function gql<T>(query: string): Promise<T> {
  return gqlData<T>(app!.yoga, query, undefined, TOKEN);
}

const minutes = (symbol: string, from: number, to: number) => DAY[symbol]!.slice(from, to);
const barCount = (symbol: string) => app!.session.symbol(symbol)?.day.base.size ?? 0;

/**
 * The tree an uninterrupted run would hold: the same bars straight into a LIVE session. Polygon's
 * `AM` events carry no trade count (its REST aggregates do): `streamed` lists the minutes that came
 * from the stream, whose trade count is then null.
 */
function reference(
  clock: { now: number },
  upTo: number,
  streamed: ReadonlySet<number> = new Set(),
): SessionData {
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
    session.ingestBars(
      minutes(symbol, 0, upTo).map((b, m) => ({
        symbol,
        ...b,
        ...(streamed.has(m) ? { tradeCount: null } : {}),
      })),
    );
  }
  return session;
}

function sessionData(session: SessionData) {
  const doc = exportSession(session).data as unknown as { symbols: Record<string, { session: unknown }> };
  return Object.fromEntries(Object.entries(doc.symbols).map(([s, v]) => [s, v.session]));
}

const CASES = testDrivers().flatMap((driver) =>
  (['alpaca', 'polygon'] as const).map((provider) => [provider, driver] as const),
);

describe.each(CASES)('live %s feed in the app (%s)', (provider, driver) => {
  it('starts the LIVE day, backfills, streams, survives a disconnect and ends equal to an uninterrupted run', async () => {
    const clock = { now: OPEN + 30 * MINUTE + 5_000 };
    const { app, fake } = await start(driver, clock, ['SPY', 'AAPL'], provider);
    expect(app.session.date).toBe(DATE);
    expect(app.session.clockMode).toBe('LIVE');
    expect(app.session.activeSymbols()).toEqual(['AAPL', 'SPY']);
    await until(() => app.liveFeed!.feed.state === 'UP', 'the feed to be UP');
    expect(fake.barSymbols().sort()).toEqual(['AAPL', 'SPY']);
    // Start-up in the middle of the session: [09:30, 10:00) comes from the REST history.
    await until(() => barCount('SPY') === 30 && barCount('AAPL') === 30, 'the start-up backfill');

    for (let m = 30; m < 40; m++) {
      clock.now = OPEN + (m + 1) * MINUTE + 1_000;
      fake.push('SPY', minutes('SPY', m, m + 1));
      fake.push('AAPL', minutes('AAPL', m, m + 1));
    }
    fake.pushQuote('SPY', 500, 500.02, OPEN + 40 * MINUTE + 500);
    // A bar that breaks the API's rules is refused by the same validation.
    fake.push('SPY', [{ ...DAY['SPY']![40]!, high: 1, low: 2 }]);
    await until(
      () => barCount('SPY') === 40 && app.liveFeed!.ingest.counts().rejected.INVALID_OHLC === 1,
      'the stream',
    );
    expect(app.session.symbol('SPY')!.quotes.latest()).toMatchObject({ bid: 500, ask: 500.02 });

    clock.now = OPEN + 40 * MINUTE + 30_000;
    fake.drop();
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
    expect(last).toMatchObject({ status: 'UP', reason: `${provider} reconnected` });
    for (let m = 45; m < 50; m++) {
      clock.now = OPEN + (m + 1) * MINUTE + 1_000;
      fake.push('SPY', minutes('SPY', m, m + 1));
      fake.push('AAPL', minutes('AAPL', m, m + 1));
    }
    await until(() => barCount('SPY') === 50 && barCount('AAPL') === 50, 'the stream after the outage');

    const ours = sessionData(app.session);
    const streamed = new Set(
      provider === 'polygon' ? [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 45, 46, 47, 48, 49] : [],
    );
    const theirs = sessionData(reference(clock, 50, streamed));
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
    const { app, fake } = await start(driver, clock, ['SPY'], provider);
    await until(() => app.liveFeed!.feed.state === 'UP', 'the feed to be UP');
    await gql('mutation { loadSymbol(input: { symbol: "AAPL" }) { loaded } }');
    await until(() => fake.barSymbols().includes('AAPL'), 'AAPL subscribed');
    await until(() => barCount('AAPL') === 5, 'AAPL backfilled from the open');
    await gql('mutation { removeSymbol(symbol: "SPY") }');
    await until(() => !fake.barSymbols().includes('SPY'), 'SPY unsubscribed');
    expect(app.liveFeed!.feed.following().map((s) => s.symbol)).toEqual(['AAPL']);
  });
});

describe('live feed with keys the provider refuses', () => {
  it('stops, says why in the banner line, and never shows the key', async () => {
    const clock = { now: OPEN + 5 * MINUTE };
    fake = await alpacaProvider(['SPY']);
    const config = {
      ...(fake.config as Extract<FeedConfig, { kind: 'alpaca' }>),
      secretKey: 'not-the-secret',
    };
    app = await createApp({
      adminToken: TOKEN,
      database: await databases('pglite'),
      demo: false,
      logLevel: 'silent',
      defaultMetrics: false,
      feed: config,
      now: () => clock.now,
    });
    await until(() => app!.liveFeed!.feed.state === 'STOPPED', 'the feed to stop');
    const line = app.liveFeed!.describe();
    expect(line).toMatch(
      /^alpaca \(iex\) · SPY · stopped: Alpaca error 402 auth failed: the key id or secret is wrong/,
    );
    expect(line).not.toContain('not-the-secret');
    expect(app.session.activeSymbols()).toEqual(['SPY']);
  });
});

describe('live feed on a non-trading day', () => {
  it('says so and waits', async () => {
    const clock = { now: Date.UTC(2024, 2, 9, 15) };
    const { app, fake } = await start('pglite', clock);
    expect(app.session.active).toBe(false);
    expect(app.liveFeed!.controller.status().waitingFor).toBe('2024-03-11');
    expect(app.liveFeed!.describe()).toBe('alpaca (iex) · not a trading day: waiting for 2024-03-11');
    expect(fake.connectionCount).toBe(0);
  });
});
