/**
 * Replicas in one process on a private nats-server, sharing one store (PGlite, and real PostgreSQL
 * when DATABASE_URL is set): identical trees and exports, every event everywhere in order, the
 * lease holder's death (persistence and the replay clock move on, nothing applied twice, nothing
 * acknowledged lost), a replica joining mid-session, NATS down and back.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BarInput } from '../../../src/domain/types.ts';
import { CommandLog } from '../../../src/service/replication/log.ts';
import { Replica } from '../../../src/service/replication/replica.ts';
import { exportSession } from '../../../src/session/export.ts';
import { SessionData } from '../../../src/session/session-data.ts';
import { Repository } from '../../../src/store/repository.ts';
import { StoreWriter } from '../../../src/store/writer.ts';
import { createTestDatabase, type TestDatabase, testDrivers } from '../../helpers/db.ts';
import { natsServer, type PrivateNats, startNats } from '../../helpers/nats.ts';

const DATE = '2024-03-01';
const OPEN = Date.parse('2024-03-01T14:30:00Z');
const MINUTE = 60_000;

async function until(check: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function bar(symbol: string, minute: number, close: number): BarInput {
  return {
    symbol,
    ts: OPEN + minute * MINUTE,
    open: close,
    high: close + 1,
    low: close - 1,
    close,
    volume: 100 + minute,
    vwap: null,
    tradeCount: 5,
  };
}

interface Node {
  readonly replica: Replica;
  readonly session: SessionData;
  readonly writer: StoreWriter;
  readonly events: string[];
}

describe.skipIf(natsServer === null).each(testDrivers())('replicas on %s', (driver) => {
  let nats: PrivateNats;
  let db: TestDatabase;
  let repository: Repository;
  const nodes: Node[] = [];
  let cluster = 0;

  async function node(name: string, prefix: string, wallClock?: () => number): Promise<Node> {
    let replica: Replica | null = null;
    const session = new SessionData({ now: () => replica?.now() ?? 0 });
    const writer = new StoreWriter(repository, { maxDelayMs: 10 });
    replica = await Replica.start({
      busUrl: nats.url,
      replicaId: name,
      session,
      store: repository,
      writer,
      logger: pino({ level: 'silent' }),
      leaseTtlMs: 1000,
      stream: prefix.toUpperCase(),
      prefix,
      ...(wallClock ? { wallClock } : {}),
    });
    const events: string[] = [];
    session.events.on('bar', (e) =>
      events.push(
        `${e.symbol} ${e.interval} ${e.kind} ${e.bar.ts} ${e.bar.close} ${e.bar.revision} ${e.closed}`,
      ),
    );
    const n = { replica, session, writer, events };
    nodes.push(n);
    return n;
  }

  async function stopNode(n: Node, crash = false): Promise<void> {
    if (crash) await n.replica.crash();
    else await n.replica.dispose();
    await n.writer.close();
  }

  const exported = (n: Node) => JSON.stringify(exportSession(n.session));
  const converged = (group: readonly Node[]) => {
    const positions = group.map((n) => n.replica.status().applied);
    return positions.every((p) => p === positions[0]) && group.every((n) => n.replica.status().lag === 0);
  };

  beforeAll(async () => {
    nats = await startNats();
    db = await createTestDatabase(driver);
    repository = new Repository(db.database);
  });
  afterAll(async () => {
    for (const n of nodes) await n.replica.crash().catch(() => undefined);
    for (const n of nodes) await n.writer.close().catch(() => undefined);
    await db?.dispose();
    await nats?.remove();
  });

  it('applies every change on every replica: identical exports, the same events in the same order', async () => {
    const prefix = `c${++cluster}`;
    const [a, b, c] = [await node('a', prefix), await node('b', prefix), await node('c', prefix)];
    await until(() => [a, b, c].every((n) => n.replica.ready()), 20_000, 'ready');
    await a.replica.startSession(DATE, 'MANUAL');
    const spy = await b.replica.loadSymbol({ symbol: 'spy', derivedIntervals: ['5m', '1h'] });
    expect(spy.loaded).toBe(true);
    await c.replica.loadSymbol({ symbol: 'QQQ', baseInterval: '1m', derivedIntervals: ['5m'] });
    // read-your-writes: the replica that answered has applied it
    expect(c.session.symbol('QQQ')?.loaded).toBe(true);
    for (let m = 0; m < 60; m++) {
      const via = [a, b, c][m % 3]!;
      const result = await via.replica.ingestBars([
        bar('SPY', m, 100 + m),
        bar('QQQ', m, 200 + m),
        bar('QQQ', m + 400, 5),
      ]);
      expect(result.accepted).toBe(2);
      expect(result.rejected.map((r) => r.code)).toEqual(['OUTSIDE_SESSION']);
      expect(via.session.symbol('SPY')!.day.base.series.latestSlot()).toBe(m);
    }
    // corrections and a clock move through other replicas
    await b.replica.ingestBars([bar('SPY', 10, 1000)]);
    await a.replica.advanceClock(OPEN + 90 * MINUTE);
    await expect(a.replica.advanceClock(OPEN)).rejects.toMatchObject({ code: 'CLOCK_BACKWARDS' });
    await until(() => converged([a, b, c]), 10_000, 'convergence');
    expect(exported(b)).toBe(exported(a));
    expect(exported(c)).toBe(exported(a));
    expect(b.events).toEqual(a.events);
    expect(c.events).toEqual(a.events);
    expect(a.events.length).toBeGreaterThan(200);
    // persisted once, by the holder: the store holds every acknowledged bar with its revision
    for (const n of [a, b, c]) await n.writer.flush();
    await until(() => [a, b, c].some((n) => n.replica.status().holder), 5000, 'a holder');
    const holder = [a, b, c].find((n) => n.replica.status().holder)!;
    await until(
      () => holder.replica.status().persisted >= holder.replica.status().applied - 1,
      5000,
      'persisted',
    );
    const [stored] = await repository.readSessionBars([{ symbol: 'SPY', interval: '1m', date: DATE }]);
    expect(stored!.length).toBe(60);
    expect(stored!.find((s) => s.ts === OPEN + 10 * MINUTE)).toMatchObject({ close: 1000, revision: 1 });
    const written = [a, b, c].map((n) => n.writer.status().written.bars);
    expect(written.filter((w) => w > 0)).toHaveLength(1);
    for (const n of [a, b, c]) await stopNode(n);
  }, 60_000);

  it('survives the lease holder dying mid-ingest and converges a replica that joins mid-session', async () => {
    const prefix = `c${++cluster}`;
    const group = [await node('a', prefix), await node('b', prefix), await node('c', prefix)];
    await until(() => group.every((n) => n.replica.ready()), 20_000, 'ready');
    await group[0]!.replica.startSession(DATE, 'MANUAL');
    await group[1]!.replica.loadSymbol({ symbol: 'SPY' });
    await until(() => group.some((n) => n.replica.status().holder), 5000, 'a holder');
    const holder = group.find((n) => n.replica.status().holder)!;
    const others = group.filter((n) => n !== holder);
    for (let m = 0; m < 30; m++) await others[m % 2]!.replica.ingestBars([bar('SPY', m, 50 + m)]);
    await stopNode(holder, true);
    for (let m = 30; m < 60; m++) await others[m % 2]!.replica.ingestBars([bar('SPY', m, 50 + m)]);
    await until(() => others.some((n) => n.replica.status().holder), 5000, 'a new holder');
    const joiner = await node('d', prefix);
    await until(() => joiner.replica.ready(), 20_000, 'the joiner ready');
    for (let m = 60; m < 70; m++) await joiner.replica.ingestBars([bar('SPY', m, 50 + m)]);
    const alive = [...others, joiner];
    await until(() => converged(alive), 10_000, 'convergence');
    expect(exported(joiner)).toBe(exported(others[0]!));
    expect(exported(others[1]!)).toBe(exported(others[0]!));
    // nothing acknowledged is lost in the store, though the first holder died with writes pending
    const newHolder = alive.find((n) => n.replica.status().holder)!;
    await until(
      () => newHolder.replica.status().persisted >= newHolder.replica.status().applied - 1,
      5000,
      'persisted',
    );
    const [stored] = await repository.readSessionBars([{ symbol: 'SPY', interval: '1m', date: DATE }]);
    expect(stored!.map((s) => s.close)).toEqual(Array.from({ length: 70 }, (_, m) => 50 + m));
    for (const n of alive) await stopNode(n);
  }, 60_000);

  it('moves the replay on under a new holder after the holder dies, applying no step twice', async () => {
    const prefix = `c${++cluster}`;
    const stored = Array.from({ length: 120 }, (_, m) => ({
      ...bar('IBM', m, 10 + m),
      interval: '1m',
      sessionDate: DATE,
      revision: 0,
    }));
    await repository.upsertBars(stored);
    await repository.saveSymbolConfig({
      symbol: 'IBM',
      baseInterval: '1m',
      derivedIntervals: ['5m'],
      historicalDays: 0,
      extendedHours: false,
      indicators: [],
      source: 'BARS',
      feed: 'api',
    });
    const group = [await node('a', prefix), await node('b', prefix), await node('c', prefix)];
    await until(() => group.every((n) => n.replica.ready()), 20_000, 'ready');
    // a raw follower counts the replay steps that take effect (token not older than the latest lease)
    const log = await CommandLog.open({ url: nats.url, stream: prefix.toUpperCase(), prefix });
    const applied = new Map<string, number>();
    let token = 0;
    const follower = await log.follow(1, (record) => {
      const c = record.command;
      if (c.kind === 'leaseTaken') token = Math.max(token, record.lease ?? 0);
      if (c.kind === 'replayBars' && (record.lease ?? 0) >= token) {
        for (const b of c.bars)
          applied.set(`${b.symbol} ${b.ts}`, (applied.get(`${b.symbol} ${b.ts}`) ?? 0) + 1);
      }
    });
    await group[0]!.replica.startSession(DATE, 'REPLAY', 60 * 50); // one 1m bar per 20 ms
    await until(() => group.every((n) => n.session.symbol('IBM')?.loaded === true), 10_000, 'IBM loaded');
    await until(
      () => (group[0]!.session.symbol('IBM')!.day.base.series.latestSlot() ?? -1) >= 30,
      10_000,
      'replay under way',
    );
    const holder = group.find((n) => n.replica.status().holder)!;
    await stopNode(holder, true);
    const survivors = group.filter((n) => n !== holder);
    const diedAt = survivors[0]!.session.time!;
    await until(() => !survivors[0]!.session.active, 30_000, 'the replay to finish');
    expect(survivors[0]!.session.ended).toBe(true);
    expect(survivors[0]!.session.time!).toBeGreaterThan(diedAt);
    await until(() => converged(survivors), 10_000, 'convergence');
    expect(exported(survivors[1]!)).toBe(exported(survivors[0]!));
    const ibm = survivors[0]!.session.symbol('IBM')!;
    expect(ibm.day.base.series.latestSlot()).toBe(119);
    expect(Math.max(...applied.values())).toBe(1);
    expect([...applied.keys()].filter((k) => k.startsWith('IBM ')).length).toBe(120);
    await follower.stop();
    await log.close();
    for (const n of survivors) await stopNode(n);
  }, 90_000);

  it('moves the LIVE clock on under a new holder after the holder dies, applying no tick twice', async () => {
    const prefix = `c${++cluster}`;
    // the injected wall clock: 10:00 New York on the session date, at 60× real time (a tick a minute)
    const t0 = Date.now();
    const wallClock = () => OPEN + 30 * MINUTE + (Date.now() - t0) * 60;
    const group = [
      await node('a', prefix, wallClock),
      await node('b', prefix, wallClock),
      await node('c', prefix, wallClock),
    ];
    await until(() => group.every((n) => n.replica.ready()), 20_000, 'ready');
    // a raw follower keeps the clock ticks that take effect (token not older than the latest lease)
    const log = await CommandLog.open({ url: nats.url, stream: prefix.toUpperCase(), prefix });
    const ticks: { at: number; lease: number; received: number }[] = [];
    let token = 0;
    const follower = await log.follow(1, (record) => {
      const c = record.command;
      if (c.kind === 'leaseTaken') token = Math.max(token, record.lease ?? 0);
      if (c.kind === 'clockTick' && (record.lease ?? 0) >= token) {
        ticks.push({ at: c.at, lease: record.lease ?? 0, received: Date.now() });
      }
    });
    await group[1]!.replica.startSession(DATE, 'LIVE');
    await group[2]!.replica.loadSymbol({ symbol: 'SPY' });
    await until(() => ticks.length >= 3, 10_000, 'the holder ticking');
    const holder = group.find((n) => n.replica.status().holder)!;
    const survivors = group.filter((n) => n !== holder);
    const killedAt = Date.now();
    const before = ticks.length;
    await stopNode(holder, true);
    const diedAt = survivors[0]!.session.time!;
    // documented: a new holder within TTL + TTL/4 + the server's expiry scan, then its first tick
    // within a second; with TTL 1 s well under 5 s even on a loaded machine
    await until(
      () => ticks.slice(before).some((t) => t.lease > ticks[before - 1]!.lease),
      10_000,
      'a new holder ticking',
    );
    const firstNew = ticks.find((t) => t.lease > ticks[before - 1]!.lease)!;
    const failoverMs = firstNew.received - killedAt;
    console.log(`LIVE failover: the clock ticked under a new holder ${failoverMs} ms after the holder died`);
    expect(failoverMs).toBeLessThan(5000);
    await until(() => survivors.every((n) => (n.session.time ?? 0) > diedAt), 5000, 'the clock moving on');
    await until(() => ticks.length >= before + 3, 10_000, 'more ticks');
    // no tick twice: every effective tick is later than the one before it
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.at).toBeGreaterThan(ticks[i - 1]!.at);
    await until(() => converged(survivors), 10_000, 'convergence');
    expect(exported(survivors[1]!)).toBe(exported(survivors[0]!));
    expect(survivors[0]!.session.clockMode).toBe('LIVE');
    expect(survivors[0]!.session.active).toBe(true);
    await follower.stop();
    await log.close();
    for (const n of survivors) await stopNode(n);
  }, 60_000);

  it('refuses mutations with BUS_UNAVAILABLE while NATS is down, keeps reads, and converges when it is back', async () => {
    const prefix = `c${++cluster}`;
    const group = [await node('a', prefix), await node('b', prefix)];
    await until(() => group.every((n) => n.replica.ready()), 20_000, 'ready');
    await group[0]!.replica.startSession(DATE, 'MANUAL');
    await group[0]!.replica.loadSymbol({ symbol: 'MSFT' });
    await group[1]!.replica.ingestBars([bar('MSFT', 0, 300)]);
    await nats.stop();
    await until(() => group.every((n) => !n.replica.status().connected), 10_000, 'disconnected');
    await expect(group[0]!.replica.ingestBars([bar('MSFT', 1, 301)])).rejects.toMatchObject({
      code: 'BUS_UNAVAILABLE',
    });
    await expect(group[1]!.replica.loadSymbol({ symbol: 'IBM' })).rejects.toMatchObject({
      code: 'BUS_UNAVAILABLE',
    });
    expect(exportSession(group[1]!.session).data['symbols']).toHaveProperty('MSFT');
    await nats.start();
    await until(() => group.every((n) => n.replica.status().connected), 20_000, 'reconnected');
    let result = null;
    for (let i = 0; i < 50 && result === null; i++) {
      result = await group[0]!.replica.ingestBars([bar('MSFT', 1, 301)]).catch(() => null);
      if (result === null) await new Promise((r) => setTimeout(r, 200));
    }
    expect(result?.accepted).toBe(1);
    await until(() => converged(group), 20_000, 'convergence');
    expect(exported(group[1]!)).toBe(exported(group[0]!));
    for (const n of group) await stopNode(n);
  }, 90_000);
});
