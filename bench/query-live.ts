/**
 * The nested session query under a live feed, loopback only:
 *
 * `query($symbols: [String!]) { session { symbols(symbols: $symbols) { metrics { volume vwap }
 * intervals { quality gaps { start } bars(last: 100) { nodes { ts open high low close volume } } } } } }`
 * over 50 symbols × 3 intervals (1m, 5m, 15m), 20 concurrent keep-alive HTTP clients, while a feed
 * drives all 500 loaded symbols: every symbol's forming 1m bar is updated once a second, the 500
 * updates spread over the second (5 symbols every 10 ms), and a new minute starts every 15 s (the
 * clock moves, windows close). Each symbol holds 300 minutes of real SPY bars before the feed starts.
 *
 * Baseline in the same run: a bare `node:http` handler answering the same 50 symbols with
 * `JSON.stringify` of equivalent plain objects built from the tree per request. Also measured:
 * graphql-jit alone (no result cache, no kept fragments), what executing every request costs.
 * ratio-to-raw = raw req/s ÷ ours; targets p99 ≤ 50 ms and ratio-to-raw ≤ 0.33.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { IsoDate } from '../src/domain/types.ts';
import { createYoga } from '../src/graphql/yoga.ts';
import { listen } from '../src/http/listen.ts';
import { SessionData } from '../src/session/session-data.ts';
import type { SymbolSessionData } from '../src/session/symbol-session-data.ts';
import { spyBars, TreeService } from './tree.ts';
import type { HttpLoadInput, HttpLoadResult } from './workers/http-load.ts';
import { percentile, runWorker } from './workers.ts';

const DATE: IsoDate = '2011-01-05';
const QUERY =
  'query($symbols: [String!]) { session { symbols(symbols: $symbols) { metrics { volume vwap } intervals { quality gaps { start } bars(last: 100) { nodes { ts open high low close volume } } } } } }';

/** Options (defaults in brackets). */
export interface LiveQueryOptions {
  /** Symbols the query reads [50]. */
  readonly symbols?: number;
  /** Symbols loaded and driven by the feed [500]. */
  readonly loaded?: number;
  readonly clients?: number;
  readonly warmupMs?: number;
  readonly durationMs?: number;
  /** Seconds of wall time per new minute [15]. */
  readonly minuteSeconds?: number;
  /** Also measure graphql-jit alone [true]. */
  readonly jitAlone?: boolean;
}

/** Figures of one server. */
export interface RunFigures {
  readonly rps: number;
  readonly p99: number;
  /** Size of an answer. */
  readonly bytes: number;
}

/** Figures of the benchmark. */
export interface LiveQueryBench {
  readonly ours: RunFigures;
  readonly raw: RunFigures;
  readonly jit: RunFigures | null;
  /** raw req/s ÷ ours. */
  readonly ratioToRaw: number;
  /** Bar updates the feed made per second while measuring. */
  readonly changesPerSecond: number;
}

/** Plain objects equivalent to the answer, built from the tree. */
function rawAnswer(symbols: readonly SymbolSessionData[]): unknown {
  return {
    data: {
      session: {
        symbols: symbols.map((s) => {
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

function listenRaw(session: SessionData, names: readonly string[]): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const symbols = names.flatMap((name) => session.symbol(name) ?? []);
      const body = JSON.stringify(rawAnswer(symbols));
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs the benchmark. */
export async function benchLiveQuery(overrides: LiveQueryOptions = {}): Promise<LiveQueryBench> {
  const options = {
    symbols: 50,
    loaded: 500,
    clients: 20,
    warmupMs: 1_500,
    durationMs: 5_000,
    minuteSeconds: 15,
    jitAlone: true,
    ...overrides,
  };
  const session = new SessionData();
  const service = new TreeService(session);
  session.start(DATE, 'MANUAL');
  const bars = spyBars(DATE);
  const prefill = 300;
  const names = Array.from({ length: options.loaded }, (_, i) => `S${String(i).padStart(3, '0')}`);
  for (const symbol of names) {
    await service.loadSymbol({ symbol, historicalDays: 0, derivedIntervals: ['5m', '15m'] });
    session.ingestBars(bars.slice(0, prefill).map((b) => ({ ...b, symbol })));
  }
  const queried = names.slice(0, options.symbols);
  const body = JSON.stringify({ query: QUERY, variables: { symbols: queried } });

  // The feed: every symbol's forming bar once a second, spread over the second: each 10 ms tick
  // sends the updates due by then (5 symbols; more when the event loop was busy, never fewer
  // overall); a new minute every minuteSeconds.
  let next = 0;
  let changes = 0;
  const rate = options.loaded; // updates per second
  const started = performance.now();
  const feed = setInterval(() => {
    const elapsed = performance.now() - started;
    const minute = Math.min(bars.length - 1, prefill + Math.floor(elapsed / (options.minuteSeconds * 1000)));
    const bar = bars[minute]!;
    const due = Math.floor((elapsed * rate) / 1000) - changes;
    const batch = [];
    for (let k = 0; k < due; k++) {
      const symbol = names[next]!;
      next = (next + 1) % names.length;
      changes++;
      batch.push({
        ...bar,
        symbol,
        close: bar.close + (changes % 7) / 100,
        high: bar.high + 0.07,
        volume: bar.volume + changes,
      });
    }
    if (batch.length === 0) return;
    const result = session.ingestBars(batch);
    if (result.rejected.length > 0) throw new Error(`feed rejected: ${result.rejected[0]!.message}`);
  }, 10);

  const yoga = createYoga({ service, adminToken: 'bench', graphiql: false });
  const http = await listen({ yoga, session, host: '127.0.0.1', port: 0 });
  const jit = createYoga({
    service,
    adminToken: 'bench',
    graphiql: false,
    resultCache: false,
    hotPath: false,
  });
  const httpJit = await listen({ yoga: jit, session, host: '127.0.0.1', port: 0 });
  const raw = await listenRaw(session, queried);
  const run = async (url: string): Promise<RunFigures> => {
    const input: HttpLoadInput = {
      url,
      body,
      clients: options.clients,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
    };
    const result = await runWorker<HttpLoadResult>('http-load.ts', input);
    if (result.error) throw new Error(result.error);
    return {
      rps: result.latencies.length / result.seconds,
      p99: percentile(result.latencies, 99),
      bytes: result.bytes,
    };
  };
  try {
    const rawResult = await run(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/raw`);
    const changesBefore = changes;
    const measuredFrom = performance.now();
    const ours = await run(`${http.url}/graphql`);
    const changesPerSecond = ((changes - changesBefore) * 1000) / (performance.now() - measuredFrom);
    const jitResult = options.jitAlone ? await run(`${httpJit.url}/graphql`) : null;
    return { ours, raw: rawResult, jit: jitResult, ratioToRaw: rawResult.rps / ours.rps, changesPerSecond };
  } finally {
    clearInterval(feed);
    await http.close();
    await httpJit.close();
    await new Promise((resolve) => raw.close(resolve));
    raw.closeAllConnections();
  }
}

/** Prints the figures. */
export function printLiveQuery(
  r: LiveQueryBench,
  options: { symbols: number; loaded: number; clients: number },
): void {
  const f = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(
    `query-live: nested query over ${options.symbols} symbols × 3 intervals × last 100 (${f(r.ours.bytes / 1024)} KiB), ${options.clients} clients, ` +
      `while a feed drives ${options.loaded} symbols (${f(r.changesPerSecond)} bar updates/s): ` +
      `${f(r.ours.rps)} req/s p99 ${f(r.ours.p99, 1)} ms as served; raw JSON.stringify baseline ${f(r.raw.rps)} req/s p99 ${f(r.raw.p99, 1)} ms; ` +
      `ratio-to-raw ${f(r.ratioToRaw, 2)} (targets: p99 ≤ 50 ms, ratio-to-raw ≤ 0.33)` +
      (r.jit ? `; graphql-jit alone ${f(r.jit.rps)} req/s p99 ${f(r.jit.p99, 1)} ms` : ''),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchLiveQuery();
  printLiveQuery(r, { symbols: 50, loaded: 500, clients: 20 });
}
