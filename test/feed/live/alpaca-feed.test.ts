/**
 * The Alpaca feed (core + WebSocket shell + REST backfill) against the scripted fake over real
 * ports: auth success and failure, subscription acknowledgements, a normal stream in both codecs,
 * a disconnect mid-session followed by backfill, the slow-client error, a dead connection found by
 * the read time-out, malformed frames, duplicates and out-of-order messages, symbols followed and
 * dropped mid-stream, the connection limit, and no key in anything reported.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createAlpacaFeed } from '../../../src/feed/live/alpaca/feed.ts';
import type { StreamFeed } from '../../../src/feed/live/shell.ts';
import type { FeedSubscription } from '../../../src/feed/live/types.ts';
import { FakeAlpaca, type FakeAlpacaOptions } from '../../fakes/alpaca.ts';
import { asAlpacaBars, asAlpacaHistory, recordedDay } from '../../fakes/recorded-day.ts';
import { CollectingSink } from './collecting-sink.ts';

const DATE = '2024-03-05';
const SPY = recordedDay('SPY', DATE);
const OPEN = SPY[0]!.ts;
const MINUTE = 60_000;
const bars = (symbol: string): FeedSubscription => ({
  symbol,
  baseInterval: '1m',
  channels: { bars: true, trades: false, quotes: true },
});
const trades = (symbol: string): FeedSubscription => ({
  symbol,
  baseInterval: '1m',
  channels: { bars: false, trades: true, quotes: false },
});

let fake: FakeAlpaca | null = null;
const feeds: StreamFeed[] = [];

afterEach(async () => {
  for (const feed of feeds.splice(0)) await feed.close();
  await fake?.close();
  fake = null;
});

async function setup(
  options: FakeAlpacaOptions = {},
  feedOptions: { codec?: 'json' | 'msgpack'; feed?: string; secret?: string } = {},
) {
  fake = await FakeAlpaca.start(options);
  fake.setHistory('SPY', asAlpacaHistory(SPY));
  const sink = new CollectingSink();
  const clock = { now: OPEN + 10 * MINUTE };
  const feed = createAlpacaFeed({
    key: fake.key,
    secret: feedOptions.secret ?? fake.secret,
    streamUrl: fake.streamUrl,
    dataUrl: fake.restUrl,
    feed: feedOptions.feed ?? 'iex',
    codec: feedOptions.codec ?? 'msgpack',
    sink,
    now: () => clock.now,
    pingIntervalMs: 50,
    readTimeoutMs: 300,
    backoff: { baseMs: 20, capMs: 100, minMs: 10 },
    backfillRetriesMs: [150],
    http: { wait: async () => undefined },
  });
  feeds.push(feed);
  return { fake, sink, feed, clock };
}

function reported(sink: CollectingSink): string {
  return JSON.stringify([sink.changes, sink.problems]);
}

describe('Alpaca feed', () => {
  it.each(['msgpack', 'json'] as const)(
    'authenticates, subscribes, is UP and streams (%s)',
    async (codec) => {
      const { fake, sink, feed } = await setup({}, { codec });
      feed.follow([bars('SPY'), trades('AAPL')]);
      await feed.connect();
      expect(feed.state).toBe('UP');
      expect(sink.changes).toEqual([
        { feed: 'alpaca', status: 'UP', at: OPEN + 10 * MINUTE, reason: 'alpaca connected' },
      ]);
      expect(fake.received).toEqual([
        { action: 'auth', key: fake.key, secret: '***' },
        {
          action: 'subscribe',
          bars: ['SPY'],
          updatedBars: ['SPY'],
          trades: ['AAPL'],
          quotes: ['SPY'],
          statuses: ['AAPL', 'SPY'],
        },
      ]);
      expect(fake.subscription()).toMatchObject({
        bars: ['SPY'],
        trades: ['AAPL'],
        corrections: ['AAPL'],
        cancelErrors: ['AAPL'],
      });
      fake.push([
        ...asAlpacaBars('SPY', SPY.slice(0, 3)),
        { T: 't', S: 'AAPL', i: 7, x: 'V', p: 170.5, s: 100, c: ['@'], z: 'C', t: '2024-03-05T14:30:01.5Z' },
        { T: 't', S: 'MSFT', i: 8, x: 'V', p: 400, s: 1, c: ['@'], z: 'C', t: '2024-03-05T14:30:01.5Z' },
        {
          T: 'q',
          S: 'SPY',
          bx: 'V',
          bp: 500,
          bs: 2,
          ax: 'V',
          ap: 500.02,
          as: 3,
          c: ['R'],
          z: 'B',
          t: '2024-03-05T14:30:02Z',
        },
      ]);
      await sink.until(() => sink.quoteList.length === 1 && sink.barsByKind.STREAMED.length === 3);
      expect(sink.barsByKind.STREAMED.map((b) => b.ts)).toEqual([OPEN, OPEN + MINUTE, OPEN + 2 * MINUTE]);
      expect(sink.tradeList).toEqual([
        {
          symbol: 'AAPL',
          ts: OPEN + 1_500,
          price: 170.5,
          size: 100,
          id: '7',
          exchange: 'V',
          conditions: ['@'],
          tape: 'C',
        },
      ]);
    },
  );

  it('stops for good on bad keys (402), with no key in what it reports', async () => {
    const { fake, sink, feed } = await setup({}, { secret: 'wrong-secret-value' });
    feed.follow([bars('SPY')]);
    await expect(feed.connect()).rejects.toThrow(
      /Alpaca error 402 auth failed: the key id or secret is wrong/,
    );
    expect(feed.state).toBe('STOPPED');
    expect(sink.changes).toEqual([expect.objectContaining({ status: 'DOWN', code: 402, fatal: true })]);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.connectionCount).toBe(1);
    expect(reported(sink)).not.toContain('wrong-secret-value');
    expect(reported(sink)).not.toContain(fake.key);
  });

  it('stops on a feed the plan lacks (409 at authentication)', async () => {
    const { sink, feed } = await setup({ entitledFeeds: ['iex'] }, { feed: 'sip' });
    await expect(feed.connect()).rejects.toThrow(
      /409 insufficient subscription.*ALPACA_FEED=sip needs a paid plan/,
    );
    expect(sink.changes.at(-1)).toMatchObject({ status: 'DOWN', fatal: true, code: 409 });
  });

  it('records the outage of a dropped connection and backfills its minutes after reconnecting', async () => {
    const { fake, sink, feed, clock } = await setup();
    feed.follow([bars('SPY')]);
    clock.now = OPEN + 10 * MINUTE + 5_000;
    await feed.connect();
    fake.push(asAlpacaBars('SPY', SPY.slice(0, 10)));
    await sink.until(() => sink.barsByKind.STREAMED.length === 10);
    clock.now = OPEN + 12 * MINUTE + 30_000;
    fake.dropConnections();
    await sink.until(() => sink.changes.length === 2);
    expect(sink.changes[1]).toMatchObject({ status: 'DOWN', at: OPEN + 12 * MINUTE + 30_000 });
    expect(feed.state).not.toBe('UP');
    clock.now = OPEN + 17 * MINUTE + 10_000;
    await sink.until(() => sink.changes.length === 3 && sink.barsByKind.BACKFILL.length === 5);
    expect(sink.changes[2]).toMatchObject({
      status: 'UP',
      at: OPEN + 17 * MINUTE + 10_000,
      reason: 'alpaca reconnected',
    });
    // [12:00, 17:00): the minute of the drop to the minute before the reconnect.
    expect(sink.barsByKind.BACKFILL.map((b) => (b.ts - OPEN) / MINUTE)).toEqual([12, 13, 14, 15, 16]);
    expect(fake.subscription()).toMatchObject({ bars: ['SPY'] });
    fake.push(asAlpacaBars('SPY', SPY.slice(17, 18)));
    await sink.until(() => sink.barsByKind.STREAMED.length === 11);
  });

  it('backfills the trades of an outage for a TRADES symbol', async () => {
    const { fake, sink, feed, clock } = await setup();
    fake.setTradeHistory(
      'AAPL',
      Array.from({ length: 8 }, (_, k) => ({
        t: new Date(OPEN + 11 * MINUTE + k * 20_000).toISOString(),
        x: 'V',
        p: 170 + k,
        s: 100,
        c: ['@'],
        i: 500 + k,
        z: 'C',
      })),
    );
    feed.follow([trades('AAPL')]);
    await feed.connect();
    clock.now = OPEN + 12 * MINUTE + 30_000;
    fake.dropConnections();
    await sink.until(() => sink.changes.length === 2);
    clock.now = OPEN + 13 * MINUTE + 10_000;
    await sink.until(
      () => sink.changes.length === 3 && sink.tradeList.length >= 4,
      5_000,
      'the trade backfill',
    );
    // [12:00, 13:10): the trades at 12:00, 12:20, 12:40 and 13:00 (a repeat sends them again: the tree keeps one per id).
    expect(sink.tradeList.slice(0, 4).map((t) => t.id)).toEqual(['503', '504', '505', '506']);
    expect(fake.restRequests.some((u) => u.pathname === '/v2/stocks/trades')).toBe(true);
  });

  it('asks again for the outage minutes its history lagged on', async () => {
    const { fake, sink, feed, clock } = await setup();
    fake.setHistory('SPY', asAlpacaHistory(SPY.slice(0, 14)));
    feed.follow([bars('SPY')]);
    await feed.connect();
    clock.now = OPEN + 12 * MINUTE + 30_000;
    fake.dropConnections();
    await sink.until(() => sink.changes.length === 2);
    clock.now = OPEN + 16 * MINUTE + 10_000;
    await sink.until(() => sink.changes.length === 3 && sink.barsByKind.BACKFILL.length === 2);
    // Minutes 14 and 15 reach the history later; the repeat picks them up (12 and 13 again: no change).
    fake.setHistory('SPY', asAlpacaHistory(SPY));
    await sink.until(() => sink.barsByKind.BACKFILL.length === 6, 5_000, 'the repeat');
    expect(sink.barsByKind.BACKFILL.map((b) => (b.ts - OPEN) / MINUTE)).toEqual([12, 13, 12, 13, 14, 15]);
  });

  it('reconnects after the slow-client error and says why', async () => {
    const { fake, sink, feed } = await setup();
    feed.follow([bars('SPY')]);
    await feed.connect();
    fake.slowClient();
    await sink.until(() => sink.changes.length === 3, 5_000, 'DOWN then UP');
    expect(sink.changes[1]).toMatchObject({ status: 'DOWN', code: 407 });
    expect(sink.changes[1]!.reason).toMatch(/407 slow client: the server dropped us/);
    expect(sink.changes[2]).toMatchObject({ status: 'UP' });
    expect(fake.connectionCount).toBe(2);
  });

  it('finds a dead connection by its read time-out and dates the outage from the last frame', async () => {
    const { fake, sink, feed, clock } = await setup();
    feed.follow([bars('SPY')]);
    await feed.connect();
    const lastFrame = clock.now;
    fake.freeze();
    clock.now += 45_000;
    await sink.until(() => sink.changes.length === 3, 5_000, 'DOWN then UP');
    expect(sink.changes[1]).toMatchObject({ status: 'DOWN', at: lastFrame });
    expect(sink.changes[1]!.reason).toMatch(/dead: no frame or pong/);
    expect(sink.changes[2]).toMatchObject({ status: 'UP' });
  });

  it('reports malformed frames and goes on streaming', async () => {
    const { fake, sink, feed } = await setup({}, { codec: 'json' });
    feed.follow([bars('SPY')]);
    await feed.connect();
    fake.sendRaw('this is not json');
    fake.sendRaw(new Uint8Array([0xc1, 0x00]));
    fake.sendRaw(JSON.stringify([{ T: 'b', S: 'SPY', o: 'x' }, ...asAlpacaBars('SPY', SPY.slice(0, 1))]));
    await sink.until(() => sink.barsByKind.STREAMED.length === 1 && sink.problems.length === 3);
    expect(sink.problems.map((p) => p.message)).toEqual([
      'malformed message: frame is not JSON: "this is not json"',
      'malformed message: frame is not MessagePack: expected an array',
      'malformed message: a bar needs S, o, h, l, c, v and t (T=b SPY)',
    ]);
    expect(feed.state).toBe('UP');
  });

  it('passes duplicates and out-of-order messages on in arrival order (the tree decides)', async () => {
    const { fake, sink, feed } = await setup();
    feed.follow([bars('SPY')]);
    await feed.connect();
    const [a, b, c] = asAlpacaBars('SPY', SPY.slice(0, 3));
    fake.push([c!, a!, a!, b!]);
    await sink.until(() => sink.barsByKind.STREAMED.length === 4);
    expect(sink.barsByKind.STREAMED.map((bar) => (bar.ts - OPEN) / MINUTE)).toEqual([2, 0, 0, 1]);
  });

  it('follows a symbol loaded mid-stream and drops one removed mid-stream', async () => {
    const { fake, sink, feed } = await setup();
    feed.follow([bars('SPY')]);
    await feed.connect();
    feed.follow([bars('QQQ')]);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.subscription()).toMatchObject({ bars: ['SPY', 'QQQ'] });
    feed.unfollow(['SPY']);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.subscription()).toMatchObject({ bars: ['QQQ'], quotes: ['QQQ'] });
    fake.push([...asAlpacaBars('SPY', SPY.slice(0, 1)), ...asAlpacaBars('QQQ', SPY.slice(0, 1))]);
    await sink.until(() => sink.barsByKind.STREAMED.length === 1);
    expect(sink.barsByKind.STREAMED[0]!.symbol).toBe('QQQ');
    expect(fake.received.at(-1)).toEqual({
      action: 'unsubscribe',
      bars: ['SPY'],
      updatedBars: ['SPY'],
      quotes: ['SPY'],
      statuses: ['SPY'],
    });
  });

  it('retries past the connection limit (406) until the other connection is gone', async () => {
    const { fake, sink, feed } = await setup();
    await feed.connect();
    const second = new CollectingSink();
    const other = createAlpacaFeed({
      key: fake.key,
      secret: fake.secret,
      streamUrl: fake.streamUrl,
      dataUrl: fake.restUrl,
      sink: second,
      backoff: { baseMs: 20, capMs: 50, minMs: 10 },
    });
    feeds.push(other);
    const connected = other.connect();
    await second.until(() => second.changes.length === 1);
    expect(second.changes[0]).toMatchObject({ status: 'DOWN', code: 406 });
    expect(second.changes[0]!.reason).toMatch(/connection limit exceeded: another connection/);
    await feed.close();
    await connected;
    expect(other.state).toBe('UP');
    expect(sink.changes.at(-1)).toMatchObject({
      status: 'DOWN',
      reason: 'alpaca feed closed (service stopping)',
    });
  });
});
