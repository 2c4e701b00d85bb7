/**
 * The REST backfill clients against the fake providers over a real port: Alpaca's
 * `GET /v2/stocks/bars` with `next_page_token` paging, Polygon's aggregates with `next_url`,
 * and the 429 policy (retried after the server's reset or back-off; bounded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAlpacaBars, fetchAlpacaTrades } from '../../../src/feed/live/alpaca/rest.ts';
import { fetchPolygonBars, fetchPolygonTrades } from '../../../src/feed/live/polygon/rest.ts';
import { getJson, RestError } from '../../../src/feed/live/rest.ts';
import type { FeedBar, FeedTrade } from '../../../src/feed/live/types.ts';
import { FakeAlpaca } from '../../fakes/alpaca.ts';
import { FakePolygon } from '../../fakes/polygon.ts';
import { asAlpacaHistory, asPolygonHistory, recordedDay } from '../../fakes/recorded-day.ts';
import { startFakeServer } from '../../fakes/server.ts';

const DATE = '2024-03-05';
const SPY = recordedDay('SPY', DATE);
const AAPL = recordedDay('AAPL', DATE);
const toFeedBar =
  (symbol: string) =>
  (b: (typeof SPY)[number]): FeedBar => ({
    symbol,
    ts: b.ts,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
    vwap: b.vwap,
    tradeCount: b.tradeCount,
  });
const noWait = { wait: async () => undefined };

describe('Alpaca bars backfill', () => {
  let fake: FakeAlpaca;
  beforeAll(async () => {
    fake = await FakeAlpaca.start();
    fake.setHistory('SPY', asAlpacaHistory(SPY));
    fake.setHistory('AAPL', asAlpacaHistory(AAPL));
  });
  afterAll(() => fake.close());

  const options = () => ({
    baseUrl: fake.restUrl,
    key: fake.key,
    secret: fake.secret,
    feed: 'iex',
    http: noWait,
  });

  it('reads every bar of [from, to) across pages, by symbol', async () => {
    const from = SPY[10]!.ts;
    const to = SPY[130]!.ts;
    const pages: FeedBar[][] = [];
    const before = fake.restRequests.length;
    const requests = await fetchAlpacaBars(
      { ...options(), pageSize: 50 },
      ['SPY', 'AAPL'],
      from,
      to,
      (bars) => pages.push(bars),
    );
    expect(requests).toBe(5);
    expect(fake.restRequests.length - before).toBe(5);
    const got = pages.flat();
    expect(got).toEqual([
      ...AAPL.slice(10, 130).map(toFeedBar('AAPL')),
      ...SPY.slice(10, 130).map(toFeedBar('SPY')),
    ]);
    const last = fake.restRequests.at(-1)!;
    expect(last.searchParams.get('page_token')).not.toBeNull();
    expect(last.searchParams.get('end')).toBe(new Date(to - 1).toISOString());
    expect(last.searchParams.get('feed')).toBe('iex');
    expect(last.searchParams.get('adjustment')).toBe('raw');
  });

  it('retries a 429 and then succeeds', async () => {
    fake.rateLimitNext(2);
    const waits: number[] = [];
    const got: FeedBar[] = [];
    await fetchAlpacaBars(
      { ...options(), http: { wait: async (ms) => void waits.push(ms) } },
      ['SPY'],
      SPY[0]!.ts,
      SPY[3]!.ts,
      (bars) => got.push(...bars),
    );
    expect(waits).toHaveLength(2);
    expect(got.map((b) => b.ts)).toEqual(SPY.slice(0, 3).map((b) => b.ts));
  });

  it('gives up on 429 after its attempts, and fails at once on bad keys (no key in the message)', async () => {
    fake.rateLimitNext(10);
    await expect(
      fetchAlpacaBars(
        { ...options(), http: { ...noWait, attempts: 3 } },
        ['SPY'],
        SPY[0]!.ts,
        SPY[1]!.ts,
        () => undefined,
      ),
    ).rejects.toThrow(/HTTP 429 \(rate limited; gave up after retries\)/);
    fake.rateLimitNext(0);
    const error = await fetchAlpacaBars(
      { ...options(), secret: 'wrong-secret' },
      ['SPY'],
      SPY[0]!.ts,
      SPY[1]!.ts,
      () => undefined,
    ).catch((e: unknown) => e as RestError);
    expect(error).toBeInstanceOf(RestError);
    expect((error as RestError).status).toBe(403);
    expect((error as RestError).message).toBe(`GET ${fake.restUrl}/v2/stocks/bars: HTTP 403: forbidden`);
    expect((error as RestError).message).not.toContain('wrong-secret');
  });
});

describe('Polygon aggregates backfill', () => {
  let fake: FakePolygon;
  beforeAll(async () => {
    fake = await FakePolygon.start();
    fake.setHistory('SPY', asPolygonHistory(SPY));
  });
  afterAll(() => fake.close());

  it('follows next_url with the key in a header, never in a URL', async () => {
    const got: FeedBar[] = [];
    const requests = await fetchPolygonBars(
      { baseUrl: fake.restUrl, key: fake.key, pageSize: 40, http: noWait },
      ['SPY'],
      '1m',
      SPY[5]!.ts,
      SPY[105]!.ts,
      (bars) => got.push(...bars),
    );
    expect(requests).toBe(3);
    expect(got).toEqual(SPY.slice(5, 105).map(toFeedBar('SPY')));
    for (const url of fake.restRequests) expect(url.toString()).not.toContain(fake.key);
  });

  it('retries 429s', async () => {
    fake.rateLimitNext(1);
    const waits: number[] = [];
    const got: FeedBar[] = [];
    await fetchPolygonBars(
      { baseUrl: fake.restUrl, key: fake.key, http: { wait: async (ms) => void waits.push(ms) } },
      ['SPY'],
      '1m',
      SPY[0]!.ts,
      SPY[2]!.ts,
      (bars) => got.push(...bars),
    );
    expect(waits).toHaveLength(1);
    expect(got).toHaveLength(2);
  });

  it('refuses a wrong key with the provider message', async () => {
    await expect(
      fetchPolygonBars(
        { baseUrl: fake.restUrl, key: 'nope', http: noWait },
        ['SPY'],
        '1m',
        SPY[0]!.ts,
        SPY[2]!.ts,
        () => undefined,
      ),
    ).rejects.toThrow(/HTTP 401: Unknown API Key/);
  });
});

describe('trade history (TRADES symbols)', () => {
  const T0 = SPY[0]!.ts;
  it('reads Alpaca trades of [from, to) across pages', async () => {
    const fake = await FakeAlpaca.start();
    try {
      fake.setTradeHistory(
        'AAPL',
        Array.from({ length: 25 }, (_, k) => ({
          t: new Date(T0 + k * 1_000 + 0.5).toISOString().replace('Z', '123456Z'),
          x: 'V',
          p: 170 + k / 100,
          s: 10 + k,
          c: ['@', 'I'],
          i: 1_000 + k,
          z: 'C',
        })),
      );
      const got: FeedTrade[] = [];
      const requests = await fetchAlpacaTrades(
        {
          baseUrl: fake.restUrl,
          key: fake.key,
          secret: fake.secret,
          feed: 'iex',
          pageSize: 10,
          http: noWait,
        },
        ['AAPL'],
        T0 + 2_000,
        T0 + 22_000,
        (trades) => got.push(...trades),
      );
      expect(requests).toBe(2);
      expect(got.map((t) => t.id)).toEqual(Array.from({ length: 20 }, (_, k) => String(1_002 + k)));
      expect(got[0]).toEqual({
        symbol: 'AAPL',
        ts: T0 + 2_000,
        price: 170.02,
        size: 12,
        id: '1002',
        exchange: 'V',
        conditions: ['@', 'I'],
        tape: 'C',
      });
      expect(fake.restRequests.at(-1)!.pathname).toBe('/v2/stocks/trades');
    } finally {
      await fake.close();
    }
  });

  it('reads Polygon v3 trades (nanosecond timestamps) across next_url pages', async () => {
    const fake = await FakePolygon.start();
    try {
      fake.setTradeHistory(
        'AAPL',
        Array.from({ length: 12 }, (_, k) => ({
          conditions: [12, 37],
          exchange: 4,
          id: `t${k}`,
          price: 170 + k,
          size: 5,
          sip_timestamp: (T0 + k * 1_000) * 1e6 + 123,
          tape: 3,
        })),
      );
      const got: FeedTrade[] = [];
      const requests = await fetchPolygonTrades(
        { baseUrl: fake.restUrl, key: fake.key, pageSize: 5, http: noWait },
        ['AAPL'],
        T0,
        T0 + 10_000,
        (trades) => got.push(...trades),
      );
      expect(requests).toBe(2);
      expect(got).toHaveLength(10);
      expect(got[3]).toEqual({
        symbol: 'AAPL',
        ts: T0 + 3_000,
        price: 173,
        size: 5,
        id: 't3',
        exchange: '4',
        conditions: ['12', '37'],
        tape: '3',
      });
      for (const url of fake.restRequests) expect(url.toString()).not.toContain(fake.key);
    } finally {
      await fake.close();
    }
  });
});

describe('getJson', () => {
  it("waits the server's Retry-After, capped", async () => {
    let calls = 0;
    const server = await startFakeServer(
      (_req, res) => {
        calls++;
        if (calls === 1) {
          res.writeHead(429, { 'retry-after': '120' });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      },
      (socket) => socket.close(),
    );
    const waits: number[] = [];
    try {
      expect(
        await getJson(`${server.httpUrl}/x`, { maxWaitMs: 5_000, wait: async (ms) => void waits.push(ms) }),
      ).toEqual({
        ok: true,
      });
      expect(waits).toEqual([5_000]);
    } finally {
      await server.close();
    }
  });
});
