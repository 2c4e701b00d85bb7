/**
 * The command log against a real, private nats-server: order, de-duplication, large records,
 * an outage (BUS_UNAVAILABLE) and the catch-up after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/service/replication/commands.ts';
import { CommandLog, type Follower } from '../../../src/service/replication/log.ts';
import { natsServer, type PrivateNats, startNats } from '../../helpers/nats.ts';
import { waitFor } from '../../helpers/wait.ts';

let counter = 0;
function tick(at: number, replica = 'a'): LogRecord {
  return { id: `r${++counter}`, replica, at, lease: null, command: { kind: 'advanceClock', to: at } };
}

function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  return waitFor(check, { timeoutMs });
}

describe.skipIf(natsServer === null)('the command log on a private NATS server', () => {
  let nats: PrivateNats;
  const logs: CommandLog[] = [];
  const followers: Follower[] = [];
  let stream = 0;

  async function open(name: string): Promise<CommandLog> {
    const log = await CommandLog.open({
      url: nats.url,
      stream: `T${stream}`,
      prefix: `t${stream}`,
      name,
      publishTimeoutMs: 1500,
    });
    logs.push(log);
    return log;
  }

  async function follow(
    log: CommandLog,
    from = 1,
  ): Promise<{ seen: [number, LogRecord][]; follower: Follower }> {
    const seen: [number, LogRecord][] = [];
    const follower = await log.follow(from, (record, seq) => {
      seen.push([seq, record]);
    });
    followers.push(follower);
    return { seen, follower };
  }

  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    for (const f of followers) await f.stop();
    for (const log of logs) await log.close();
    await nats?.remove();
  });

  it('applies the records of several publishers in one stream order on every follower', async () => {
    stream++;
    const [a, b, c] = [await open('a'), await open('b'), await open('c')];
    const onB = await follow(b);
    const onC = await follow(c);
    const published = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).publish(tick(i, i % 2 === 0 ? 'a' : 'b'))),
    );
    await until(() => onB.seen.length === 200 && onC.seen.length === 200);
    expect(onB.seen.map(([seq]) => seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(onC.seen.map(([, r]) => r.id)).toEqual(onB.seen.map(([, r]) => r.id));
    expect(new Set(published.map((p) => p.seq)).size).toBe(200);
    expect(onB.follower.position).toBe(200);
    expect(onB.follower.pending).toBe(0);
    expect(await a.lastSeq()).toBe(200);
  });

  it('stores a record published twice once (Nats-Msg-Id), and a follower applies it once', async () => {
    stream++;
    const log = await open('a');
    const { seen } = await follow(log);
    const record = tick(1);
    const first = await log.publish(record);
    const again = await log.publish(record);
    await log.publish(tick(2));
    await until(() => seen.length === 2);
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ seq: first.seq, duplicate: true });
    expect(seen.map(([, r]) => r.id)).toEqual([record.id, expect.any(String)]);
  });

  it('splits a record over the part size and applies it once, whole, at its last part', async () => {
    stream++;
    const log = await CommandLog.open({
      url: nats.url,
      stream: `T${stream}`,
      prefix: `t${stream}`,
      maxChunkBytes: 4096,
    });
    logs.push(log);
    const { seen } = await follow(log);
    const bars = Array.from({ length: 1000 }, (_, i) => ({
      symbol: 'SPY',
      ts: i * 60_000,
      open: 1,
      high: 2,
      low: 0.5,
      close: 1 + i / 1e4,
      volume: i,
      vwap: null,
      tradeCount: null,
    }));
    const big: LogRecord = {
      id: 'big',
      replica: 'a',
      at: 1,
      lease: null,
      command: { kind: 'ingestBars', bars },
    };
    const landed = await log.publish(big);
    await log.publish(tick(5));
    await until(() => seen.length === 2);
    expect(landed.seq).toBeGreaterThan(5);
    expect(seen[0]).toEqual([landed.seq, big]);
    expect(seen[1]![0]).toBe(landed.seq + 1);
    // Read from the middle of the record: its remaining parts are skipped, the next record applies.
    const late = await follow(log, 2);
    await until(() => late.seen.length === 1);
    expect(late.seen[0]![1].command.kind).toBe('advanceClock');
  });

  it('finds the latest record that begins a session', async () => {
    stream++;
    const log = await open('a');
    expect(await log.latestSessionStart()).toBeNull();
    await log.publish(tick(1));
    const start = await log.publish({
      id: 's1',
      replica: 'a',
      at: 1,
      lease: null,
      command: { kind: 'restoreSession' },
    });
    await log.publish(tick(2));
    expect(await log.latestSessionStart()).toBe(start.seq);
  });

  it('refuses to publish with BUS_UNAVAILABLE while NATS is down, and catches up when it is back', async () => {
    stream++;
    const writer = await open('w');
    const reader = await open('r');
    const { seen } = await follow(reader);
    await writer.publish(tick(1));
    await until(() => seen.length === 1);

    await nats.stop();
    await until(() => !writer.connected);
    await expect(writer.publish(tick(2))).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });
    await expect(writer.lastSeq()).rejects.toMatchObject({ code: 'BUS_UNAVAILABLE' });

    await nats.start();
    await until(() => writer.connected, 15_000);
    const published: number[] = [];
    for (let i = 0; i < 20; i++) {
      // The first publishes after a restart may still meet a stream that is not yet ready.
      const ack = await writer.publish(tick(10 + i)).catch(() => null);
      if (ack) published.push(ack.seq);
    }
    await until(() => seen.length === 1 + published.length, 20_000);
    expect(seen.map(([seq]) => seq)).toEqual([1, ...published]);
    expect(published.length).toBeGreaterThan(15);
  }, 60_000);
});
