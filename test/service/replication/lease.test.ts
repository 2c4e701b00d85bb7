/**
 * The lease against a real, private nats-server: one holder at a time, failover within the
 * documented bound after the holder dies, release, and giving it up when NATS is unreachable.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lease } from '../../../src/service/replication/lease.ts';
import { natsServer, type PrivateNats, startNats } from '../../helpers/nats.ts';
import { waitFor } from '../../helpers/wait.ts';

function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  return waitFor(check, { timeoutMs });
}

const TTL = 1200;

describe.skipIf(natsServer === null)('the lease on a private NATS server', () => {
  let nats: PrivateNats;
  const connections: NatsConnection[] = [];
  let bucket = 0;

  interface Candidate {
    readonly lease: Lease;
    readonly connection: NatsConnection;
    readonly events: string[];
    acquiredAt: number | null;
  }

  async function candidate(replica: string, name: string): Promise<Candidate> {
    const connection = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    connections.push(connection);
    const c: Candidate = { connection, events: [], acquiredAt: null, lease: null as never };
    (c as { lease: Lease }).lease = await Lease.open({
      connection,
      replica,
      bucket: name,
      ttlMs: TTL,
      onAcquired: (token) => {
        c.acquiredAt = Date.now();
        c.events.push(`acquired ${token}`);
      },
      onLost: (reason) => c.events.push(`lost: ${reason}`),
    });
    return c;
  }

  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    for (const c of connections) await c.close().catch(() => undefined);
    await nats?.remove();
  });

  it('is held by one replica at a time; another takes it within TTL + a tick after the holder dies', async () => {
    const name = `lease${++bucket}`;
    const a = await candidate('a', name);
    const b = await candidate('b', name);
    a.lease.start();
    await until(() => a.lease.held);
    b.lease.start();
    await new Promise((r) => setTimeout(r, TTL * 2));
    expect(b.lease.held).toBe(false);
    expect(await b.lease.holder()).toBe('a');
    const firstToken = a.lease.token!;

    // The holder dies: it stops renewing and its connection goes, nothing is released.
    a.lease.abandon();
    await a.connection.close();
    const died = Date.now();
    await until(() => b.lease.held);
    const failoverMs = b.acquiredAt! - died;
    expect(failoverMs).toBeLessThanOrEqual(TTL + b.lease.tickMs + 1000);
    expect(b.lease.token!).toBeGreaterThan(firstToken);
    expect(await b.lease.holder()).toBe('b');
    await b.lease.release();
  }, 30_000);

  it('passes on at the next tick when the holder releases it', async () => {
    const name = `lease${++bucket}`;
    const a = await candidate('a', name);
    const b = await candidate('b', name);
    a.lease.start();
    await until(() => a.lease.held);
    b.lease.start();
    await a.lease.release();
    const released = Date.now();
    expect(a.events.at(-1)).toBe('lost: released');
    await until(() => b.lease.held);
    expect(Date.now() - released).toBeLessThan(b.lease.tickMs + 500);
    await b.lease.release();
  }, 30_000);

  it('is given up when it cannot be renewed (NATS down), and taken again once NATS is back', async () => {
    const name = `lease${++bucket}`;
    const a = await candidate('a', name);
    a.lease.start();
    await until(() => a.lease.held);
    await nats.stop();
    const down = Date.now();
    await until(() => !a.lease.held);
    expect(Date.now() - down).toBeLessThan(TTL);
    expect(a.events.at(-1)).toMatch(/^lost: the lease could not be renewed/);
    await nats.start();
    await until(() => a.lease.held, 20_000);
    await a.lease.release();
  }, 40_000);
});
