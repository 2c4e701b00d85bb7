/**
 * Three replicas as real child processes on real ports, one private nats-server, one real
 * PostgreSQL database: subscribers on B and C get every event of an ingest through A, in order;
 * exports are byte-identical once lag is 0; B killed with SIGKILL mid-ingest and restarted, and a
 * fourth replica started mid-session, converge to the same export; with NATS stopped mutations get
 * BUS_UNAVAILABLE while reads go on, and after its restart writes resume, everything converges and
 * the store holds every acknowledged bar. Needs nats-server and DATABASE_URL (skips saying why).
 */
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  exportText,
  graphql,
  killReplica,
  mutate,
  type ReplicaProcess,
  startReplica,
  waitConverged,
} from '../helpers/cluster.ts';
import { createScratchDatabase, type ScratchDatabase, testDatabaseUrl } from '../helpers/db.ts';
import { natsServer, type PrivateNats, startNats } from '../helpers/nats.ts';

const serverUrl = testDatabaseUrl();
if (serverUrl === undefined)
  console.warn('cluster tests skipped: they need a shared PostgreSQL (set DATABASE_URL)');

const OPEN = Date.parse('2024-03-01T14:30:00Z');
const INGEST = `mutation ($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted rejected { index code } } }`;

function bars(symbols: readonly string[], minute: number) {
  return symbols.map((symbol, i) => ({
    symbol,
    ts: new Date(OPEN + minute * 60_000).toISOString(),
    open: 100 + i,
    high: 101 + i + minute / 100,
    low: 99 + i,
    close: 100.5 + i + minute / 1000,
    volume: 1000 + minute,
  }));
}

describe.skipIf(natsServer === null || serverUrl === undefined)('a cluster of replica processes', () => {
  let nats: PrivateNats;
  let db: ScratchDatabase;
  const running: ReplicaProcess[] = [];
  let env: Record<string, string>;

  async function replica(id: string): Promise<ReplicaProcess> {
    const r = await startReplica(id, env);
    running.push(r);
    return r;
  }

  beforeAll(async () => {
    nats = await startNats();
    db = await createScratchDatabase(serverUrl!, 'cluster');
    env = { BUS_URL: nats.url, DATABASE_URL: db.url, LEASE_TTL_MS: '1500', WRITE_DELAY_MS: '20' };
  }, 60_000);
  afterAll(async () => {
    for (const r of running) await killReplica(r).catch(() => undefined);
    await nats?.remove();
    await db?.drop();
  });

  it('replicates, survives SIGKILL and a NATS outage, and converges byte for byte', async () => {
    const [a, b, c] = await Promise.all([replica('a'), replica('b'), replica('c')]);
    await waitConverged([a, b, c]);
    await mutate(a, `mutation { startSession(date: "2024-03-01", clockMode: MANUAL) { date } }`);
    const symbols = ['SPY', 'QQQ', 'IWM'];
    for (const symbol of symbols) {
      await mutate(
        b,
        `mutation ($s: String!) { loadSymbol(input: { symbol: $s, derivedIntervals: ["5m"] }) { loaded } }`,
        { s: symbol },
      );
    }
    await waitConverged([a, b, c]);

    // subscribers on B and C
    const received = new Map<string, string[]>();
    const clients = [b, c].map((r) =>
      createClient({ url: `${r.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, lazy: false }),
    );
    const subscribed = clients.map(
      (client, i) =>
        new Promise<void>((resolve) => {
          const events: string[] = [];
          received.set(['b', 'c'][i]!, events);
          client.subscribe(
            {
              query: `subscription { barUpdates(intervals: ["1m", "5m"]) { symbol interval kind bar { ts close revision } } }`,
            },
            {
              next: (value) => {
                const e = (
                  value.data as {
                    barUpdates: {
                      symbol: string;
                      interval: string;
                      kind: string;
                      bar: { ts: string; close: number; revision: number };
                    };
                  }
                ).barUpdates;
                events.push(
                  `${e.symbol} ${e.interval} ${e.kind} ${e.bar.ts} ${e.bar.close} ${e.bar.revision}`,
                );
              },
              error: () => undefined,
              complete: () => undefined,
            },
          );
          setTimeout(resolve, 300);
        }),
    );
    await Promise.all(subscribed);
    for (let m = 0; m < 20; m++) {
      const answer = await mutate<{ ingestBars: { accepted: number } }>(a, INGEST, {
        bars: bars(symbols, m),
      });
      expect(answer.ingestBars.accepted).toBe(3);
    }
    await waitConverged([a, b, c]);
    // per bar 1m ADDED + 5m ADDED/UPDATED (120), and the 4 closed 5m windows of each symbol (12)
    await expect.poll(() => received.get('b')!.length, { timeout: 10_000 }).toBe(132);
    await expect.poll(() => received.get('c')!.length, { timeout: 10_000 }).toBe(132);
    expect(received.get('c')).toEqual(received.get('b'));
    for (const client of clients) await client.dispose();
    const [ea, eb, ec] = await Promise.all([exportText(a), exportText(b), exportText(c)]);
    expect(eb).toBe(ea);
    expect(ec).toBe(ea);

    // SIGKILL B mid-ingest, keep ingesting through A and C, restart B
    const ingesting = (async () => {
      for (let m = 20; m < 60; m++) await mutate(m % 2 ? a : c, INGEST, { bars: bars(symbols, m) });
    })();
    await new Promise((r) => setTimeout(r, 150));
    await killReplica(b);
    await ingesting;
    const b2 = await replica('b');
    const d = await replica('d');
    await waitConverged([a, b2, c, d]);
    const again = await Promise.all([a, b2, c, d].map(exportText));
    for (const text of again.slice(1)) expect(text).toBe(again[0]);
    expect(JSON.parse(again[0]!).data.symbols.SPY.session.data['1m'].count).toBe(60);

    // NATS down: mutations refused, reads go on; back: writes resume, everything converges
    await nats.stop();
    await new Promise((r) => setTimeout(r, 500));
    const refused = await graphql(c, INGEST, { bars: bars(symbols, 60) });
    expect(refused.codes).toEqual(['BUS_UNAVAILABLE']);
    const read = await graphql<{ session: { symbols: { symbol: string }[] } }>(
      d,
      `{ session { symbols { symbol } } }`,
    );
    expect(read.data?.session.symbols.map((s) => s.symbol)).toEqual(['IWM', 'QQQ', 'SPY']);
    await nats.start();
    let accepted = 0;
    for (let i = 0; i < 100 && accepted === 0; i++) {
      const answer = await graphql<{ ingestBars: { accepted: number } }>(c, INGEST, {
        bars: bars(symbols, 60),
      });
      accepted = answer.data?.ingestBars.accepted ?? 0;
      if (accepted === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(accepted).toBe(3);
    await waitConverged([a, b2, c, d], 60_000);
    const last = await Promise.all([a, b2, c, d].map(exportText));
    for (const text of last.slice(1)) expect(text).toBe(last[0]);
    // nothing acknowledged is lost: the store holds all 61 minutes of every symbol
    const { default: postgres } = await import('postgres');
    const sql = postgres(db.url, { max: 1 });
    try {
      for (let i = 0; i < 50; i++) {
        const [row] = await sql`select count(*)::int as n from bars where interval = '1m'`;
        if (row!['n'] === 61 * 3) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const rows =
        await sql`select symbol, count(*)::int as n from bars where interval = '1m' group by symbol order by symbol`;
      expect(rows.map((r) => [r['symbol'], r['n']])).toEqual([
        ['IWM', 61],
        ['QQQ', 61],
        ['SPY', 61],
      ]);
    } finally {
      await sql.end();
    }
  }, 240_000);
});
