/**
 * GraphQL benchmarks of read throughput and subscription fan-out, loopback only, bounded in time:
 *
 * - **query**: the nested read `{ session { symbols { metrics { volume vwap } intervals { quality
 *   gaps { start } bars(last: 100) { nodes { ts open high low close volume } } } } } }` over 50
 *   loaded symbols × 3 intervals (1m, 5m, 15m; a full regular session of real SPY bars each), with
 *   20 concurrent keep-alive HTTP clients. Alongside, in the same run, a bare `node:http` handler
 *   serves the same data as `JSON.stringify` of equivalent plain objects built from the same tree
 *   per request: the physical limit of a JSON API in Node. All three runs (raw, GraphQL as served,
 *   GraphQL with its result cache off) happen while the tree changes once a second (a correction
 *   of every symbol's latest bar), so the result cache is invalidated as in a live session.
 *   ratioToRaw = raw req/s ÷ GraphQL req/s without the cache: what GraphQL execution costs.
 * - **fanout**: 1,000 graphql-ws subscribers (1,000 WebSocket connections; 10 per symbol, each
 *   subscribed to its symbol's 1m bars) while 1,000 base bars/s are ingested (100 symbols, one
 *   batch of one bar per symbol every 100 ms): p99 delivery latency from the ingest call to the
 *   client's receipt, and the events lost (expected − received, warm-up included). The first
 *   second is a warm-up at the same rate (V8 compiles the delivery path, sockets get their first
 *   writes), reported apart; the p99 is over the 5 s after it, like the query bench's warm-up.
 *
 * The load generators run in worker threads (`bench/workers/`), so clients and server do not share
 * an event loop.
 */

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { nyDate, tradingDay } from '../src/domain/calendar.ts';
import type { FeedState, FeedStatus } from '../src/domain/feed-health.ts';
import type { SymbolSettingsInput } from '../src/domain/symbol-settings.ts';
import type {
  BarInput,
  IngestResult,
  Instant,
  IsoDate,
  QuoteInput,
  StoredBar,
  TickInput,
} from '../src/domain/types.ts';
import type { GraphqlService } from '../src/graphql/context.ts';
import { createYoga } from '../src/graphql/yoga.ts';
import { listen } from '../src/http/listen.ts';
import { SessionData } from '../src/session/session-data.ts';
import type { SymbolSessionData } from '../src/session/symbol-session-data.ts';
import type { FanoutInput, FanoutResult } from './workers/graphql-ws-fanout.ts';
import type { HttpLoadInput, HttpLoadResult } from './workers/http-load.ts';
import { percentile, runWorker } from './workers.ts';

/** The figures of one run. */
export interface GraphqlBench {
  /** The server as configured by default (result cache on), while the tree changes every second. */
  readonly reqPerSec: number;
  readonly p99Ms: number;
  /** Raw JSON req/s ÷ GraphQL req/s with the result cache off: the cost of GraphQL execution. */
  readonly ratioToRaw: number;
  /** GraphQL with the result cache off (every request executed). */
  readonly uncachedReqPerSec: number;
  readonly uncachedP99Ms: number;
  readonly rawReqPerSec: number;
  readonly rawP99Ms: number;
  readonly fanoutP99Ms: number;
  /** p99 of the warm-up second alone. */
  readonly fanoutWarmupP99Ms: number;
  readonly fanoutLost: number;
  readonly fanoutDelivered: number;
}

/** Options (defaults: the sizes above: 50 symbols, 20 clients, 1,000 subscribers at 1,000 bars/s). */
export interface GraphqlBenchOptions {
  readonly symbols?: number;
  readonly clients?: number;
  readonly warmupMs?: number;
  readonly durationMs?: number;
  readonly subscribers?: number;
  readonly fanoutSymbols?: number;
  readonly barsPerSecond?: number;
  readonly fanoutSeconds?: number;
  readonly fanoutWarmupSeconds?: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATE: IsoDate = '2011-01-05';
const QUERY =
  '{ session { symbols { metrics { volume vwap } intervals { quality gaps { start } bars(last: 100) { nodes { ts open high low close volume } } } } } }';

/** The regular-session SPY bars of one date from the bundled sample. */
function spyBars(date: IsoDate): StoredBar[] {
  const open = tradingDay(date).regularOpen!;
  const close = tradingDay(date).regularClose!;
  const out: StoredBar[] = [];
  for (const line of readFileSync(`${ROOT}fixtures/spy/nt-spy-minute-2011.csv`, 'utf8').split('\n')) {
    const m = /^(\d{4})(\d{2})(\d{2}) (\d{2})(\d{2})(\d{2});([^;]+);([^;]+);([^;]+);([^;]+);([^;]+)$/.exec(
      line.trim(),
    );
    if (!m) continue;
    const ts = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - 60_000;
    if (ts < open || ts >= close || nyDate(ts) !== date) continue;
    out.push({
      ts,
      open: +m[7]!,
      high: +m[8]!,
      low: +m[9]!,
      close: +m[10]!,
      volume: +m[11]!,
      vwap: null,
      tradeCount: null,
      revision: 0,
    });
  }
  return out;
}

/** The session service reduced to the tree (no store): what the benchmark needs. */
class TreeService implements GraphqlService {
  constructor(readonly session: SessionData) {}
  async startSession(date: IsoDate, mode: 'LIVE' | 'REPLAY' | 'MANUAL'): Promise<void> {
    this.session.start(date, mode);
  }
  async endSession(): Promise<void> {
    this.session.end();
  }
  async advanceClock(to: number): Promise<void> {
    this.session.advanceClock(to);
  }
  async loadSymbol(input: SymbolSettingsInput): Promise<SymbolSessionData> {
    const { data } = this.session.beginLoad(input);
    return this.session.completeLoad(data.symbol, new Map(), []) ?? data;
  }
  async removeSymbol(symbol: string): Promise<boolean> {
    return this.session.removeSymbol(symbol);
  }
  ingestBars(bars: readonly BarInput[]): IngestResult {
    return this.session.ingestBars(bars);
  }
  ingestQuotes(quotes: readonly QuoteInput[]): IngestResult {
    return this.session.ingestQuotes(quotes);
  }
  ingestTicks(ticks: readonly TickInput[]): IngestResult {
    return this.session.ingestTicks(ticks);
  }
  async reportFeedStatus(
    feed: string,
    status: FeedStatus,
    at: Instant,
    reason: string | null,
  ): Promise<FeedState> {
    return this.session.reportFeedStatus(feed, status, at, reason);
  }
}

/** Plain objects equivalent to the GraphQL answer, built from the tree. */
function rawAnswer(session: SessionData): unknown {
  return {
    data: {
      session: {
        symbols: session.symbols().map((s) => {
          const m = s.metrics();
          return {
            metrics: { volume: m.volume, vwap: m.vwap },
            intervals: s.intervals().map((i) => ({
              quality: i.quality(),
              gaps: i.gaps().map((g) => ({ start: new Date(g.start).toISOString() })),
              bars: {
                nodes: i.lastBars(100).map((b) => ({
                  ts: new Date(b.ts).toISOString(),
                  open: b.open,
                  high: b.high,
                  low: b.low,
                  close: b.close,
                  volume: b.volume,
                })),
              },
            })),
          };
        }),
      },
    },
  };
}

function listenRaw(session: SessionData): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify(rawAnswer(session));
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface RunFigures {
  readonly rps: number;
  readonly p99: number;
}

async function benchQuery(
  options: Required<GraphqlBenchOptions>,
): Promise<{ gql: RunFigures; bare: RunFigures; raw: RunFigures }> {
  const session = new SessionData();
  const service = new TreeService(session);
  session.start(DATE, 'MANUAL');
  const bars = spyBars(DATE);
  for (let i = 0; i < options.symbols; i++) {
    const symbol = `S${String(i).padStart(2, '0')}`;
    await service.loadSymbol({ symbol, historicalDays: 0, derivedIntervals: ['5m', '15m'] });
    session.ingestBars(bars.map((b) => ({ ...b, symbol })));
  }
  const yoga = createYoga({ service, adminToken: 'bench', graphiql: false });
  const http = await listen({ yoga, session, host: '127.0.0.1', port: 0 });
  const bare = createYoga({ service, adminToken: 'bench', graphiql: false, resultCache: false });
  const httpBare = await listen({ yoga: bare, session, host: '127.0.0.1', port: 0 });
  const raw = await listenRaw(session);
  let toggle = 0;
  const changes = setInterval(() => {
    toggle ^= 1;
    const latest = bars.at(-1)!;
    session.ingestBars(
      session.symbols().map((s) => ({ ...latest, symbol: s.symbol, volume: latest.volume + toggle })),
    );
  }, 1_000);
  const run = async (url: string) => {
    const input: HttpLoadInput = {
      url,
      body: JSON.stringify({ query: QUERY }),
      clients: options.clients,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
    };
    const result = await runWorker<HttpLoadResult>('http-load.ts', input);
    if (result.error) throw new Error(result.error);
    return { rps: result.latencies.length / result.seconds, p99: percentile(result.latencies, 99) };
  };
  try {
    const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/raw`;
    const rawResult = await run(rawUrl);
    const gqlResult = await run(`${http.url}/graphql`);
    const bareResult = await run(`${httpBare.url}/graphql`);
    return { gql: gqlResult, bare: bareResult, raw: rawResult };
  } finally {
    clearInterval(changes);
    await http.close();
    await httpBare.close();
    await new Promise((resolve) => raw.close(resolve));
    raw.closeAllConnections();
  }
}

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
  const query = await benchQuery(options);
  const fanout = await benchFanout(options);
  const r: GraphqlBench = {
    reqPerSec: query.gql.rps,
    p99Ms: query.gql.p99,
    ratioToRaw: query.raw.rps / query.bare.rps,
    uncachedReqPerSec: query.bare.rps,
    uncachedP99Ms: query.bare.p99,
    rawReqPerSec: query.raw.rps,
    rawP99Ms: query.raw.p99,
    fanoutP99Ms: fanout.p99,
    fanoutWarmupP99Ms: fanout.warmupP99,
    fanoutLost: fanout.lost,
    fanoutDelivered: fanout.delivered,
  };
  console.log(
    `graphql: nested query over ${options.symbols} symbols × 3 intervals, ${options.clients} clients, tree changing every second: ` +
      `${r.reqPerSec.toFixed(0)} req/s p99 ${r.p99Ms.toFixed(1)} ms as served (result cache on); ` +
      `${r.uncachedReqPerSec.toFixed(0)} req/s p99 ${r.uncachedP99Ms.toFixed(1)} ms executing every request; ` +
      `raw JSON.stringify baseline ${r.rawReqPerSec.toFixed(0)} req/s p99 ${r.rawP99Ms.toFixed(1)} ms; ratio-to-raw ${r.ratioToRaw.toFixed(2)}. ` +
      `fan-out: ${options.subscribers} graphql-ws subscribers, ${options.barsPerSecond} bars/s: p99 ${r.fanoutP99Ms.toFixed(1)} ms ` +
      `(warm-up second ${r.fanoutWarmupP99Ms.toFixed(1)} ms), ` +
      `${r.fanoutDelivered} delivered, ${r.fanoutLost} lost`,
  );
  return r;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchGraphql();
}
