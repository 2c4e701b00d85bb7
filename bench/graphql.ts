/**
 * GraphQL benchmarks of read throughput and subscription fan-out, loopback only, bounded in time:
 *
 * - **query-live**: the nested session query under a live feed (bench/query-live.ts).
 * - **fanout**: 1,000 graphql-ws subscribers (1,000 WebSocket connections; 10 per symbol, each
 *   subscribed to its symbol's 1m bars) while 1,000 base bars/s are ingested (100 symbols, one
 *   batch of one bar per symbol every 100 ms): p99 delivery latency from the ingest call to the
 *   client's receipt, and the events lost (expected − received, warm-up included). The first
 *   second is a warm-up at the same rate (V8 compiles the delivery path, sockets get their first
 *   writes), reported apart; the p99 is over the 5 s after it.
 *
 * The load generators run in worker threads (`bench/workers/`), so clients and server do not share
 * an event loop.
 */

import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { BarInput, IsoDate } from '../src/domain/types.ts';
import { createYoga } from '../src/graphql/yoga.ts';
import { listen } from '../src/http/listen.ts';
import { SessionData } from '../src/session/session-data.ts';
import { benchLiveQuery, type LiveQueryBench, printLiveQuery } from './query-live.ts';
import { spyBars, TreeService } from './tree.ts';
import type { FanoutInput, FanoutResult } from './workers/graphql-ws-fanout.ts';
import { percentile, runWorker } from './workers.ts';

/** The figures of one run. */
export interface GraphqlBench {
  /** The nested query under a live feed (bench/query-live.ts). */
  readonly live: LiveQueryBench;
  readonly fanoutP99Ms: number;
  /** p99 of the warm-up second alone. */
  readonly fanoutWarmupP99Ms: number;
  readonly fanoutLost: number;
  readonly fanoutDelivered: number;
}

/** Options (defaults: 50 of 500 symbols, 20 clients, 1,000 subscribers at 1,000 bars/s). */
export interface GraphqlBenchOptions {
  readonly symbols?: number;
  readonly loaded?: number;
  readonly clients?: number;
  readonly warmupMs?: number;
  readonly durationMs?: number;
  readonly subscribers?: number;
  readonly fanoutSymbols?: number;
  readonly barsPerSecond?: number;
  readonly fanoutSeconds?: number;
  readonly fanoutWarmupSeconds?: number;
}

const DATE: IsoDate = '2011-01-05';

async function benchFanout(
  options: Required<GraphqlBenchOptions>,
): Promise<{ p99: number; warmupP99: number; lost: number; delivered: number }> {
  const session = new SessionData();
  const service = new TreeService(session);
  session.start(DATE, 'MANUAL');
  const symbols = Array.from({ length: options.fanoutSymbols }, (_, i) => `F${String(i).padStart(3, '0')}`);
  for (const symbol of symbols) await service.loadSymbol({ symbol, historicalDays: 0 });
  const bars = spyBars(DATE);
  const yoga = createYoga({ service, adminToken: 'bench', graphiql: false });
  const http = await listen({ yoga, session, host: '127.0.0.1', port: 0 });
  const ingestAt = new Map<number, number>();
  let worker: Worker | null = null;
  let resultPromise: Promise<FanoutResult> | null = null;
  const started = new Promise<void>((resolve, reject) => {
    const input: FanoutInput = {
      url: `${http.url.replace('http', 'ws')}/graphql`,
      subscribers: options.subscribers,
      symbols: symbols.length,
    };
    const done = runWorker<FanoutResult>('graphql-ws-fanout.ts', input, (message, w) => {
      worker = w;
      if (message === 'started') resolve();
    });
    resultPromise = done;
    done.catch(reject);
  });
  try {
    await started;
    const deadline = Date.now() + 30_000;
    while (yoga.pubsub.subscribers < options.subscribers && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (yoga.pubsub.subscribers < options.subscribers) {
      throw new Error(`only ${yoga.pubsub.subscribers} of ${options.subscribers} subscribers connected`);
    }
    const batchesPerSecond = 10;
    const perBatch = Math.round(options.barsPerSecond / batchesPerSecond);
    const warmupMinutes = Math.round(options.fanoutWarmupSeconds * batchesPerSecond);
    const minutes = Math.min(
      bars.length,
      warmupMinutes + Math.round(options.fanoutSeconds * batchesPerSecond),
    );
    const bySymbolPerBatch = Math.max(1, Math.round(perBatch / symbols.length));
    let expected = 0;
    const t0 = performance.now();
    for (let m = 0; m < minutes; m += bySymbolPerBatch) {
      const wait = t0 + (m / bySymbolPerBatch) * (1000 / batchesPerSecond) - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const batch: BarInput[] = [];
      for (let k = 0; k < bySymbolPerBatch && m + k < minutes; k++) {
        const bar = bars[m + k]!;
        ingestAt.set(bar.ts, performance.timeOrigin + performance.now());
        for (const symbol of symbols) batch.push({ ...bar, symbol });
      }
      const result = session.ingestBars(batch);
      if (result.rejected.length > 0) throw new Error(`rejected: ${result.rejected[0]!.message}`);
      expected += (batch.length / symbols.length) * options.subscribers;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    (worker as Worker | null)?.postMessage('finish');
    const { received } = await resultPromise!;
    const warmupEnd = bars[Math.min(warmupMinutes, bars.length - 1)]!.ts;
    const latencies: number[] = [];
    const warmup: number[] = [];
    for (let i = 0; i < received.length; i += 2) {
      const ts = received[i + 1]!;
      const sent = ingestAt.get(ts);
      if (sent !== undefined) (ts < warmupEnd ? warmup : latencies).push(received[i]! - sent);
    }
    const delivered = latencies.length + warmup.length;
    return {
      p99: percentile(latencies, 99),
      warmupP99: percentile(warmup, 99),
      lost: expected - delivered,
      delivered,
    };
  } finally {
    await http.close();
  }
}

/** Runs both benchmarks. */
export async function benchGraphql(overrides: GraphqlBenchOptions = {}): Promise<GraphqlBench> {
  const options: Required<GraphqlBenchOptions> = {
    symbols: 50,
    loaded: 500,
    clients: 20,
    warmupMs: 1_500,
    durationMs: 5_000,
    subscribers: 1_000,
    fanoutSymbols: 100,
    barsPerSecond: 1_000,
    fanoutSeconds: 5,
    fanoutWarmupSeconds: 1,
    ...overrides,
  };
  const live = await benchLiveQuery({
    symbols: options.symbols,
    loaded: options.loaded,
    clients: options.clients,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
  });
  printLiveQuery(live, options);
  const fanout = await benchFanout(options);
  const r: GraphqlBench = {
    live,
    fanoutP99Ms: fanout.p99,
    fanoutWarmupP99Ms: fanout.warmupP99,
    fanoutLost: fanout.lost,
    fanoutDelivered: fanout.delivered,
  };
  console.log(
    `fan-out: ${options.subscribers} graphql-ws subscribers, ${options.barsPerSecond} bars/s: p99 ${r.fanoutP99Ms.toFixed(1)} ms ` +
      `(warm-up second ${r.fanoutWarmupP99Ms.toFixed(1)} ms), ${r.fanoutDelivered} delivered, ${r.fanoutLost} lost`,
  );
  return r;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchGraphql();
}
