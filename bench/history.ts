/**
 * Stored-history benchmark on a real PostgreSQL server (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres; skipped with a line saying so when it cannot be
 * reached), in a throw-away database dropped at the end.
 *
 * The table holds 50 symbols × 30 trading days of 1m bars (585,000 rows). SPY is loaded with a
 * 2-day in-memory window, so the ranges read lie wholly in PostgreSQL. Six cases: the first 100 and
 * the first 1,000 stored 1m bars and the first 100 5m bars (aggregated in SQL), each over a 4-day
 * and a 20-day range, `{ symbol(symbol: "SPY") { historical { interval(name) { bars(from, to,
 * first) { nodes { ts open high low close volume } } } } } }`, 20 concurrent keep-alive HTTP
 * clients (bench/workers/http-load.ts).
 *
 * Baseline, in the same run against the same database: a bare `node:http` handler doing the same
 * keyset SELECT (the 5m case: the same windowed aggregate) with postgres.js — prepared, its own pool
 * of the same size — and `JSON.stringify` of the same answer: the physical limit of a
 * PostgreSQL-backed JSON API here. Targets: ours ≥ 0.7 × baseline req/s in every case, and the
 * 20-day figures within 10% of the 4-day ones (a page costs what the page costs).
 *
 * `tsx bench/history.ts` prints the table; `npm run bench` calls {@link benchHistory}.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sql as drizzleSql } from 'drizzle-orm';
import postgres from 'postgres';
import { nyDate, sessionWindow, tradingDatesBefore } from '../src/domain/calendar.ts';

import type { IsoDate, StoredBar } from '../src/domain/types.ts';
import { createYoga } from '../src/graphql/yoga.ts';
import { listen } from '../src/http/listen.ts';
import { SessionService } from '../src/service/session-service.ts';
import { SessionData } from '../src/session/session-data.ts';
import type { BarRecord } from '../src/store/bar-repository.ts';
import { openDatabase } from '../src/store/database.ts';
import { createLoaders } from '../src/store/loaders.ts';
import { Repository } from '../src/store/repository.ts';
import { StoreWriter } from '../src/store/writer.ts';

import type { HttpLoadInput, HttpLoadResult } from './workers/http-load.ts';
import { percentile, runWorker } from './workers.ts';

const SESSION: IsoDate = '2024-04-12';
const SYMBOLS = 50;
const DAYS = 30;
const MIN = 60_000;

/** One case of the benchmark. */
export interface HistoryCase {
  readonly name: string;
  readonly interval: '1m' | '5m';
  readonly first: number;
  readonly days: 4 | 20;
  readonly ours: { readonly rps: number; readonly p99: number };
  readonly baseline: { readonly rps: number; readonly p99: number };
  /** ours ÷ baseline req/s. */
  readonly ratio: number;
}

/** The figures; null when no PostgreSQL server could be reached. */
export interface HistoryBench {
  readonly cases: readonly HistoryCase[];
  /** The worse ratio of the two 100-bar 1m cases (4 and 20 days). */
  readonly history100: number;
  /** The worse ratio of the two 1,000-bar 1m cases. */
  readonly history1000: number;
  /** The worse ratio of the two 100-bar 5m cases. */
  readonly history5m: number;
  /** Largest |20-day − 4-day| / 4-day req/s of ours over the three sizes. */
  readonly rangeSpread: number;
}

/** Options (defaults: 20 clients, 0.5 s warm-up, 2 s measured, 3 paired rounds per case). */
export interface HistoryBenchOptions {
  readonly clients?: number;
  readonly warmupMs?: number;
  readonly durationMs?: number;
  /** Paired rounds per case (baseline and ours back to back); the median is kept (default 3). */
  readonly rounds?: number;
}

/** A plausible bar: a random walk, prices rounded to the cent. */
function makeBar(ts: number, price: number, seed: number): StoredBar {
  const cents = (x: number) => Math.round(x * 100) / 100;
  const open = cents(price);
  const close = cents(price * (1 + ((seed % 7) - 3) / 2_000));
  return {
    ts,
    open,
    high: cents(Math.max(open, close) * 1.0007),
    low: cents(Math.min(open, close) * 0.9993),
    close,
    volume: 1_000 + ((seed * 7_919) % 50_000),
    vwap: cents((open + close) / 2),
    tradeCount: 10 + (seed % 90),
    revision: 0,
  };
}

const iso = (ts: number) => new Date(ts).toISOString();

/** Both servers' answer for one case: the GraphQL document, and the baseline's SQL. */
interface CaseSpec {
  readonly name: string;
  readonly interval: '1m' | '5m';
  readonly first: number;
  readonly days: 4 | 20;
  readonly from: number;
  readonly to: number;
  /** The stored dates' session windows. */
  readonly windows: readonly { start: number; end: number }[];
}

function specs(): CaseSpec[] {
  // The 2 dates before the session are in memory: the ranges end 3 trading dates before it.
  const before = tradingDatesBefore(SESSION, 22);
  const out: CaseSpec[] = [];
  for (const [interval, first] of [
    ['1m', 100],
    ['1m', 1_000],
    ['5m', 100],
  ] as const) {
    for (const days of [4, 20] as const) {
      const dates = before.slice(20 - days, 20);
      const windows = dates.map((d) => sessionWindow(d, false)!);
      out.push({
        name: `${first} ${interval} / ${days}d`,
        interval,
        first,
        days,
        from: windows[0]!.start,
        to: windows.at(-1)!.end,
        windows,
      });
    }
  }
  return out;
}

function documentOf(spec: CaseSpec): string {
  return `{ symbol(symbol: "SPY") { historical { interval(name: "${spec.interval}") { bars(from: "${iso(spec.from)}", to: "${iso(spec.to)}", first: ${spec.first}) { nodes { ts open high low close volume } } } } } }`;
}

/**
 * The baseline: per request, the keyset SELECT of the case (the 5m one groups the first 5 × n + 1
 * base bars into 5-minute windows of their date, as a hand-written API would) and JSON.stringify.
 */
function listenBaseline(
  url: string,
  cases: readonly CaseSpec[],
  pool: number,
): Promise<{ server: Server; end: () => Promise<void> }> {
  const sql = postgres(url, { max: pool, onnotice: () => {} });
  const byPath = new Map(cases.map((c, i) => [`/case/${i}`, c]));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', async () => {
      const spec = byPath.get(req.url ?? '');
      if (spec === undefined) {
        res.writeHead(404).end();
        return;
      }
      try {
        const starts = spec.windows.map((w) => w.start);
        const rows =
          spec.interval === '1m'
            ? await sql`select ts::float8 as ts, open, high, low, close, volume from bars
                where symbol = 'SPY' and interval = '1m' and ts >= ${spec.from} and ts < ${spec.to}
                order by ts limit ${spec.first}`
            : await sql`select ws::float8 as ts, (min(array[ts::float8, open]))[2] as open, max(high) as high,
                  min(low) as low, (max(array[ts::float8, close]))[2] as close, sum(volume order by ts) as volume
                from (select b.*, s.ds + (b.ts - s.ds) / 300000 * 300000 as ws
                  from (select ts, open, high, low, close, volume from bars
                    where symbol = 'SPY' and interval = '1m' and ts >= ${spec.from} and ts < ${spec.to}
                    order by ts limit ${spec.first * 5 + 1}) b
                  cross join lateral (select (${starts}::int8[])[width_bucket(b.ts, ${starts}::int8[])] as ds) s) w
                group by ws order by ws limit ${spec.first}`;
        const body = JSON.stringify({
          data: {
            symbol: {
              historical: {
                interval: {
                  bars: {
                    nodes: rows.map((r) => ({
                      ts: iso(r['ts'] as number),
                      open: r['open'],
                      high: r['high'],
                      low: r['low'],
                      close: r['close'],
                      volume: r['volume'],
                    })),
                  },
                },
              },
            },
          },
        });
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        });
        res.end(body);
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, end: () => sql.end({ timeout: 5 }) })),
  );
}

async function reachable(url: string): Promise<string | null> {
  const probe = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await probe`select 1`;
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await probe.end({ timeout: 1 }).catch(() => {});
  }
}

/** Runs the benchmark; null (and a line saying why) without a PostgreSQL server. */
export async function benchHistory(overrides: HistoryBenchOptions = {}): Promise<HistoryBench | null> {
  const options = { clients: 20, warmupMs: 500, durationMs: 2_000, rounds: 3, ...overrides };
  const serverUrl = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
  const unreachable = await reachable(serverUrl);
  if (unreachable !== null) {
    console.log(`history: skipped, no PostgreSQL server at ${serverUrl} (${unreachable})`);
    return null;
  }
  const name = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), dataDir: '' });
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const repo = new Repository(database);
    const dates = tradingDatesBefore(SESSION, DAYS);
    const rows: BarRecord[] = [];
    for (let s = 0; s < SYMBOLS; s++) {
      const symbol = s === 0 ? 'SPY' : `S${String(s).padStart(2, '0')}`;
      let price = 50 + s;
      for (const date of dates) {
        const open = sessionWindow(date, false)!.start;
        for (let m = 0; m < 390; m++) {
          const bar = makeBar(open + m * MIN, price, m * 31 + s);
          price = bar['close'];
          rows.push({ symbol, interval: '1m', sessionDate: nyDate(bar.ts), ...bar });
        }
      }
    }
    await repo.upsertBars(rows);
    await database.db.execute(drizzleSql`vacuum analyze bars`);

    const session = new SessionData();
    const writer = new StoreWriter(repo);
    const service = new SessionService(session, repo, writer);
    const yoga = createYoga({
      service,
      adminToken: 'bench',
      graphiql: false,
      createLoaders: () => createLoaders(repo),
    });
    await service.startSession(SESSION, 'MANUAL');
    await service.loadSymbol({ symbol: 'SPY', derivedIntervals: ['5m'], historicalDays: 2 });
    const http = await listen({ yoga, session, host: '127.0.0.1', port: 0 });
    closers.push(
      () => http.close(),
      async () => yoga.dispose(),
      async () => service.dispose(),
      () => writer['close'](),
    );
    const cases = specs();
    const baseline = await listenBaseline(url.toString(), cases, 10);
    closers.push(baseline.end, () => new Promise((resolve) => baseline.server['close'](resolve)));
    const baseUrl = `http://127.0.0.1:${(baseline.server.address() as AddressInfo).port}`;

    const run = async (target: string, body: string) => {
      const { clients, warmupMs, durationMs } = options;
      const input: HttpLoadInput = { url: target, body, clients, warmupMs, durationMs };
      const result = await runWorker<HttpLoadResult>('http-load.ts', input);
      if (result.error) throw new Error(result.error);
      return { rps: result.latencies.length / result.seconds, p99: percentile(result.latencies, 99) };
    };
    const results: HistoryCase[] = [];
    for (const [i, spec] of cases.entries()) {
      const body = JSON.stringify({ query: documentOf(spec) });
      const check = await yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const answer = (await check.json()) as {
        data?: { symbol: { historical: { interval: { bars: { nodes: unknown[] } } } } };
        errors?: unknown;
      };
      const got = answer.data?.symbol.historical.interval.bars.nodes.length;
      if (got !== spec.first) throw new Error(`${spec.name}: ${got} bars (${JSON.stringify(answer.errors)})`);
      // Paired rounds (baseline and ours back to back, the order alternating): the machine is
      // shared and its load drifts; the median round is kept.
      const rounds: { ours: { rps: number; p99: number }; base: { rps: number; p99: number } }[] = [];
      for (let round = 0; round < options.rounds; round++) {
        const first = round % 2 === 0;
        const a = await run(first ? `${baseUrl}/case/${i}` : `${http.url}/graphql`, body);
        const b = await run(first ? `${http.url}/graphql` : `${baseUrl}/case/${i}`, body);
        rounds.push(first ? { base: a, ours: b } : { base: b, ours: a });
      }
      rounds.sort((x, y) => x.ours.rps / x.base.rps - y.ours.rps / y.base.rps);
      const { ours, base } = rounds[Math.floor(rounds.length / 2)]!;
      results.push({ ...spec, ours, baseline: base, ratio: ours.rps / base.rps });
    }
    const worst = (interval: string, first: number) =>
      Math.min(...results.filter((r) => r.interval === interval && r.first === first).map((r) => r.ratio));
    let rangeSpread = 0;
    for (const r of results.filter((x) => x.days === 20)) {
      const short = results.find((x) => x.days === 4 && x.interval === r.interval && x.first === r.first)!;
      rangeSpread = Math.max(rangeSpread, Math.abs(r.ours.rps - short.ours.rps) / short.ours.rps);
    }
    const bench: HistoryBench = {
      cases: results,
      history100: worst('1m', 100),
      history1000: worst('1m', 1_000),
      history5m: worst('5m', 100),
      rangeSpread,
    };
    printHistory(bench, options.clients);
    return bench;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await database.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

function printHistory(bench: HistoryBench, clients: number): void {
  const f = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(
    `history: stored bars from real PostgreSQL, ${clients} clients (ours vs bare node:http + postgres.js + JSON.stringify)`,
  );
  console.log('  case              ours req/s  p99 ms   baseline req/s  p99 ms   ours ÷ baseline');
  for (const c of bench.cases) {
    console.log(
      `  ${c.name.padEnd(16)} ${f(c.ours.rps).padStart(11)} ${f(c.ours.p99, 1).padStart(7)} ${f(c.baseline.rps).padStart(16)} ${f(c.baseline.p99, 1).padStart(7)} ${f(c.ratio, 2).padStart(17)}`,
    );
  }
  console.log(
    `  targets: ours ≥ 0.7 × baseline (worst: 100 1m ${f(bench.history100, 2)}, 1000 1m ${f(bench.history1000, 2)}, 100 5m ${f(bench.history5m, 2)}); 20-day within 10% of 4-day (largest gap ${f(bench.rangeSpread * 100, 1)}%)`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchHistory();
}
