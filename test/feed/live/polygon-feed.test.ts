/**
 * The Polygon feed (core + WebSocket shell + REST backfill) against the scripted fake over real
 * ports: auth success and failure, subscription acknowledgements, a normal stream, a disconnect
 * followed by backfill, the connection limit, malformed frames and symbols followed and dropped
 * mid-stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPolygonFeed } from '../../../src/feed/live/polygon/feed.ts';
import type { StreamFeed } from '../../../src/feed/live/shell.ts';
import type { FeedSubscription } from '../../../src/feed/live/types.ts';
import { FakePolygon } from '../../fakes/polygon.ts';
import { asPolygonHistory, asPolygonMinutes, recordedDay } from '../../fakes/recorded-day.ts';
import { CollectingSink } from './collecting-sink.ts';

const SPY = recordedDay('SPY', '2024-03-05');
const OPEN = SPY[0]!.ts;
const MINUTE = 60_000;
const sub = (
  symbol: string,
  channels: Partial<FeedSubscription['channels']> = { bars: true },
): FeedSubscription => ({
  symbol,
  baseInterval: '1m',
  channels: { bars: false, trades: false, quotes: false, ...channels },
});

let fake: FakePolygon | null = null;
const feeds: StreamFeed[] = [];
afterEach(async () => {
  for (const feed of feeds.splice(0)) await feed.close();
  await fake?.close();
  fake = null;
});

async function setup(key?: string) {
  fake = await FakePolygon.start();
  fake.setHistory('SPY', asPolygonHistory(SPY));
  const sink = new CollectingSink();
  const clock = { now: OPEN + 5 * MINUTE };
  const feed = createPolygonFeed({
    key: key ?? fake.key,
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    sink,
    now: () => clock.now,
    backoff: { baseMs: 20, capMs: 100, minMs: 10 },
    http: { wait: async () => undefined },
  });
  feeds.push(feed);
  return { fake, sink, feed, clock };
}

describe('Polygon feed', () => {
  it('authenticates, subscribes AM/T/Q, is UP and streams', async () => {
    const { fake, sink, feed } = await setup();
    feed.follow([sub('SPY', { bars: true, quotes: true }), sub('AAPL', { trades: true })]);
    await feed.connect();
    expect(fake.subscription()).toEqual(['AM.SPY', 'Q.SPY', 'T.AAPL']);
    expect(fake.received).toEqual([
      { action: 'auth', params: '***' },
      { action: 'subscribe', params: 'AM.SPY,Q.SPY,T.AAPL' },
    ]);
    fake.push([
      ...asPolygonMinutes('SPY', SPY.slice(0, 2)),
      { ev: 'T', sym: 'AAPL', x: 4, i: 'x1', z: 3, p: 170, s: 50, c: [37], t: OPEN + 1_234, q: 1 },
      {
        ev: 'Q',
        sym: 'SPY',
        bx: 4,
        bp: 500,
        bs: 1,
        ax: 4,
        ap: 500.1,
        as: 2,
        c: 0,
        t: OPEN + 2_000,
        q: 2,
        z: 2,
      },
    ]);
    await sink.until(
      () =>
        sink.barsByKind.STREAMED.length === 2 && sink.tradeList.length === 1 && sink.quoteList.length === 1,
    );
    expect(sink.tradeList[0]).toEqual({
      symbol: 'AAPL',
      ts: OPEN + 1_234,
      price: 170,
      size: 50,
      id: 'x1',
      exchange: '4',
      conditions: ['37'],
      tape: '3',
    });
    expect(sink.changes).toEqual([
      { feed: 'polygon', status: 'UP', at: OPEN + 5 * MINUTE, reason: 'polygon connected' },
    ]);
  });

  it('stops for good on a bad key, without the key in what it reports', async () => {
    const { fake, sink, feed } = await setup('bad-polygon-key');
    await expect(feed.connect()).rejects.toThrow(
      /auth_failed: authentication failed \(check POLYGON_API_KEY/,
    );
    expect(sink.changes).toEqual([
      expect.objectContaining({ status: 'DOWN', fatal: true, code: 'auth_failed' }),
    ]);
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.connectionCount).toBe(1);
    expect(JSON.stringify([sink.changes, sink.problems])).not.toContain('bad-polygon-key');
  });

  it('backfills the minutes of an outage from the aggregates endpoint', async () => {
    const { fake, sink, feed, clock } = await setup();
    feed.follow([sub('SPY')]);
    await feed.connect();
    fake.push(asPolygonMinutes('SPY', SPY.slice(0, 5)));
    await sink.until(() => sink.barsByKind.STREAMED.length === 5);
    clock.now = OPEN + 5 * MINUTE + 1_000;
    fake.dropConnections();
    await sink.until(() => sink.changes.length === 2);
    clock.now = OPEN + 9 * MINUTE + 30_000;
    await sink.until(() => sink.changes.length === 3 && sink.barsByKind.BACKFILL.length === 4);
    expect(sink.barsByKind.BACKFILL.map((b) => (b.ts - OPEN) / MINUTE)).toEqual([5, 6, 7, 8]);
    expect(sink.barsByKind.BACKFILL[0]).toMatchObject({
      open: SPY[5]!.open,
      volume: SPY[5]!.volume,
      tradeCount: SPY[5]!.tradeCount,
    });
    expect(fake.subscription()).toEqual(['AM.SPY']);
  });

  it('retries past max_connections until the slot is free', async () => {
    const { fake, feed } = await setup();
    await feed.connect();
    const sink = new CollectingSink();
    const other = createPolygonFeed({
      key: fake.key,
      wsUrl: fake.wsUrl,
      restUrl: fake.restUrl,
      sink,
      backoff: { baseMs: 20, capMs: 50, minMs: 10 },
    });
    feeds.push(other);
    const connected = other.connect();
    await sink.until(() => sink.changes.length === 1);
    expect(sink.changes[0]).toMatchObject({ status: 'DOWN', code: 'max_connections' });
    await feed.close();
    await connected;
    expect(other.state).toBe('UP');
  });

  it('reports malformed frames, follows and drops symbols mid-stream', async () => {
    const { fake, sink, feed } = await setup();
    feed.follow([sub('SPY')]);
    await feed.connect();
    fake.sendRaw('{oops');
    feed.follow([sub('QQQ')]);
    feed.unfollow(['SPY']);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.subscription()).toEqual(['AM.QQQ']);
    fake.push([...asPolygonMinutes('SPY', SPY.slice(0, 1)), ...asPolygonMinutes('QQQ', SPY.slice(0, 1))]);
    await sink.until(() => sink.barsByKind.STREAMED.length === 1 && sink.problems.length === 1);
    expect(sink.barsByKind.STREAMED[0]!.symbol).toBe('QQQ');
    expect(sink.problems[0]!.message).toMatch(/frame is not JSON/);
  });
});
