/**
 * `tsx bench/cluster.ts` (also part of `npm run bench` when nats-server exists): three replica
 * processes on a private nats-server and one real PostgreSQL database.
 * - lag: 1,000 symbols' 1m bars at 10,000 bars/s through A for 10 s: p99 of publication → applied
 *   on B and C (their `session_replication_data_lag_seconds` summary: ingest records only, not the
 *   loads before);
 * - throughput: the rest of the day (390 minutes × 1,000 symbols in all) as fast as A takes it,
 *   4 batches of 5,000 bars in flight: bars/s until all three applied everything; the first half
 *   as ingestBars (input objects, the baseline), the second as ingestBarRows (the figure);
 * - fan-out: 3,000 graphql-ws subscribers (one WebSocket and one symbol each), 1,000 on each
 *   replica, at 1,000 bars/s through A for 10 s: p99 of ingest sent → event received, events lost;
 * - catch-up: a fourth replica started after the 390,000 bars: seconds until its `/ready` is 200.
 */

import { Worker } from 'node:worker_threads';
import {
  killReplica,
  mutate,
  type ReplicaProcess,
  startReplica,
  waitConverged,
} from '../test/helpers/cluster.ts';
import { createScratchDatabase } from '../test/helpers/db.ts';
import { natsServer, startNats } from '../test/helpers/nats.ts';
import type { FanoutInput, FanoutResult } from './workers/graphql-ws-fanout.ts';

/** The figures of the cluster benchmark. */
export interface ClusterFigures {
  readonly barsPerSec: number;
  /** The same run's ingestBars (input objects) figure: the baseline of barsPerSec. */
  readonly objectsPerSec: number;
  readonly fanoutP99Ms: number;
  readonly fanoutLost: number;
  readonly lagP99Ms: number;
  readonly catchUpSec: number;
}

const OPEN = Date.parse('2024-03-01T14:30:00Z');
// F000…F999: the names the fan-out worker (bench/workers/graphql-ws-fanout.ts) subscribes to
const SYMBOLS = Array.from({ length: 1000 }, (_, i) => `F${String(i).padStart(3, '0')}`);
const FANOUT_MINUTES = 10;
const INGEST = `mutation ($bars: [BarInput!]!) { ingestBars(bars: $bars) { accepted } }`;
const INGEST_ROWS = `mutation ($rows: BarRows!) { ingestBarRows(rows: $rows) { accepted } }`;

type MinuteBar = ReturnType<typeof minuteBars>[number];
const asRow = (b: object) => {
  const { symbol, ts, open, high, low, close, volume } = b as MinuteBar;
  return [symbol, ts, open, high, low, close, volume];
};

function minuteBars(minute: number, from = 0, to = SYMBOLS.length) {
  const ts = new Date(OPEN + minute * 60_000).toISOString();
  return SYMBOLS.slice(from, to).map((symbol, i) => ({
    symbol,
    ts,
    open: 100 + i,
    high: 101 + i,
    low: 99 + i,
    close: 100.5 + i + minute / 1000,
    volume: 1000 + minute,
  }));
}

/** p99 of a replica's lag summary (`data`: ingest records only; else every record), in ms. */
async function lagQuantile(
  replica: ReplicaProcess,
  metric: 'data' | 'apply' = 'data',
  quantile = '0.99',
): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const match = new RegExp(
    `session_replication_${metric}_lag_seconds\\{quantile="${quantile}"\\} ([\\d.e+-]+)`,
  ).exec(text);
  return match ? Number(match[1]) * 1000 : Number.NaN;
}

const FANOUT_SUBSCRIBERS = 3000;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A subscriber worker (bench/workers/graphql-ws-fanout.ts) on one replica. */
function fanoutWorker(replica: ReplicaProcess, subscribers: number) {
  const entry = new URL('./workers/graphql-ws-fanout.ts', import.meta.url).href;
  const input: FanoutInput = {
    url: `${replica.url.replace('http', 'ws')}/graphql`,
    subscribers,
    symbols: SYMBOLS.length,
  };
  const worker = new Worker(new URL('./workers/tsx-bootstrap.mjs', import.meta.url), {
    workerData: { ...input, entry },
  });
  let started!: () => void;
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = new Promise<FanoutResult>((resolve, reject) => {
    worker.on('message', (message: unknown) => {
      if (message === 'started') started();
      else if (message && typeof message === 'object' && 'done' in message) {
        resolve((message as { done: FanoutResult }).done);
        void worker.terminate();
      }
    });
    worker.on('error', reject);
  });
  return { ready, done, finish: () => worker.postMessage('finish') };
}

async function subscribers(replica: ReplicaProcess): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const match = /^session_graphql_subscribers(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * Fan-out: FANOUT_SUBSCRIBERS graphql-ws subscribers (one WebSocket each, one symbol's 1m bars
 * each), a third on each replica, while minutes `from`…`to` go through A at 1,000 bars/s: p99 of
 * ingest sent → event received, and the events lost.
 */
async function fanOut(
  replicas: readonly ReplicaProcess[],
  from: number,
  to: number,
): Promise<{ p99: number; delivered: number; lost: number }> {
  const per = FANOUT_SUBSCRIBERS / replicas.length;
  const workers = replicas.map((r) => fanoutWorker(r, per));
  await Promise.all(workers.map((w) => w.ready));
  const deadline = Date.now() + 60_000;
  while ((await Promise.all(replicas.map(subscribers))).some((n) => n < per)) {
    if (Date.now() > deadline) throw new Error('the fan-out subscribers did not all subscribe');
    await new Promise((r) => setTimeout(r, 100));
  }
  const sentAt = new Map<number, number>();
  const t0 = performance.now();
  for (let minute = from; minute < to; minute++) {
    const wait = t0 + (minute - from) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAt.set(OPEN + minute * 60_000, performance.timeOrigin + performance.now());
    await mutate(replicas[0]!, INGEST_ROWS, { rows: minuteBars(minute).map(asRow) });
  }
  await waitConverged(replicas, 60_000);
  await new Promise((r) => setTimeout(r, 2000));
  for (const w of workers) w.finish();
  const results = await Promise.all(workers.map((w) => w.done));
  const latencies: number[] = [];
  for (const { received } of results) {
    for (let i = 0; i < received.length; i += 2) {
      const sent = sentAt.get(received[i + 1]!);
      if (sent !== undefined) latencies.push(received[i]! - sent);
    }
  }
  const expected = (to - from) * FANOUT_SUBSCRIBERS;
  return { p99: percentile(latencies, 99), delivered: latencies.length, lost: expected - latencies.length };
}

/** Runs the benchmark; null (after saying why) when nats-server or PostgreSQL is missing. */
export async function benchCluster(): Promise<ClusterFigures | null> {
  if (natsServer === null) return null;
  const serverUrl = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = await createScratchDatabase(serverUrl, 'bench_cluster').catch((error: unknown) => {
    console.warn(`cluster bench skipped: no PostgreSQL at ${serverUrl} (${(error as Error).message})`);
    return null;
  });
  if (db === null) return null;
  const nats = await startNats();
  // NODE_ENV=production as a deployment runs it (graphql-js then skips its development checks).
  const env = { BUS_URL: nats.url, DATABASE_URL: db.url, LOG_LEVEL: 'error', NODE_ENV: 'production' };
  const replicas: ReplicaProcess[] = [];
  try {
    replicas.push(await startReplica('a', env), await startReplica('b', env), await startReplica('c', env));
    const [a, b, c] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
    await waitConverged(replicas, 60_000);
    await mutate(a, `mutation { startSession(date: "2024-03-01", clockMode: MANUAL) { date } }`);
    for (let i = 0; i < SYMBOLS.length; i += 50) {
      await Promise.all(
        SYMBOLS.slice(i, i + 50).map((s) =>
          mutate(a, `mutation ($s: String!) { loadSymbol(input: { symbol: $s }) { loaded } }`, { s }),
        ),
      );
    }
    await waitConverged(replicas, 60_000);

    // lag at 10,000 bars/s: 1,000 bars every 100 ms for 10 s
    const paced = Date.now();
    for (let minute = 0; minute < 100; minute++) {
      await mutate(a, INGEST_ROWS, { rows: minuteBars(minute).map(asRow) });
      const wait = paced + (minute + 1) * 100 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await waitConverged(replicas, 60_000);
    const lagP99Ms = Math.max(await lagQuantile(b), await lagQuantile(c));
    const lagP50Ms = Math.max(await lagQuantile(b, 'data', '0.5'), await lagQuantile(c, 'data', '0.5'));
    const lagP90Ms = Math.max(await lagQuantile(b, 'data', '0.9'), await lagQuantile(c, 'data', '0.9'));
    const allLagP99Ms = Math.max(await lagQuantile(b, 'apply'), await lagQuantile(c, 'apply'));

    // throughput: the remaining 280 minutes, 4 batches of 5,000 bars in flight; the first half as
    // ingestBars (input objects: the baseline), the second as ingestBarRows (rows), same cluster
    const throughput = async (from: number, to: number, rows: boolean): Promise<number> => {
      const batches: object[][] = [];
      for (let minute = from; minute < to; minute += 5) {
        const bars: object[] = [];
        for (let m = minute; m < Math.min(to, minute + 5); m++) bars.push(...minuteBars(m));
        batches.push(rows ? bars.map(asRow) : bars);
      }
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < batches.length) {
            const batch = batches[next++]!;
            await mutate(a, rows ? INGEST_ROWS : INGEST, rows ? { rows: batch } : { bars: batch });
          }
        }),
      );
      await waitConverged(replicas, 120_000);
      return ((to - from) * SYMBOLS.length) / ((performance.now() - started) / 1000);
    };
    const fanout = await fanOut(replicas, 100, 100 + FANOUT_MINUTES);
    const objectsPerSec = await throughput(100 + FANOUT_MINUTES, 250, false);
    const barsPerSec = await throughput(250, 390, true);

    // catch-up of a replica joining after 390,000 bars
    const joinStart = performance.now();
    const d = await startReplica('d', env);
    replicas.push(d);
    await waitConverged([a, d], 300_000);
    const catchUpSec = (performance.now() - joinStart) / 1000;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(
      `cluster: 3 replicas, 1,000 symbols' 1m bars through one: ${fmt(barsPerSec)} bars/s applied on all three as ingestBarRows (ingestBars in the same run: ${fmt(objectsPerSec)}); lag p99 ${lagP99Ms.toFixed(1)} ms (p50 ${lagP50Ms.toFixed(1)}, p90 ${lagP90Ms.toFixed(1)}; 100 records) at 10,000 bars/s (every record since the loads: ${allLagP99Ms.toFixed(1)} ms); a joiner after 390,000 bars ready in ${catchUpSec.toFixed(1)} s`,
    );
    console.log(
      `cluster fan-out: ${fmt(FANOUT_SUBSCRIBERS)} graphql-ws subscribers over 3 replicas at 1,000 bars/s through A: delivery p99 ${fanout.p99.toFixed(1)} ms (ingest sent → event received), ${fmt(fanout.delivered)} events delivered, ${fanout.lost} lost`,
    );
    return {
      barsPerSec,
      objectsPerSec,
      lagP99Ms,
      catchUpSec,
      fanoutP99Ms: fanout.p99,
      fanoutLost: fanout.lost,
    };
  } finally {
    for (const r of replicas) await killReplica(r, 'SIGTERM').catch(() => undefined);
    await nats.remove();
    await db.drop().catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchCluster();
  if (figures) console.log(JSON.stringify(figures));
}
