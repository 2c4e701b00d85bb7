/**
 * Durable ingest benchmark, against a real PostgreSQL server (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), each run in a throw-away database dropped at the end.
 *
 * The real app (createApp) listens on a port; 20 concurrent HTTP clients (a worker thread) send
 * `ingestBars` mutations of 500 bars each, one after another as fast as the answers come, 190,000
 * bars in all (200 symbols × 950 extended-hours minutes, each client its own 10 symbols in time
 * order). bars/s = acknowledged bars / time from the first request to the last answer, in each
 * mode: write-behind (answers at once) and durable (answers once committed; concurrent requests
 * share commits). The modes alternate over two rounds; each keeps its best round.
 * Target: durable ≥ 0.5 of write-behind.
 *
 * `tsx bench/durable.ts` prints the figures; `npm run bench` calls {@link benchDurable}.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import postgres from 'postgres';
import { createApp } from '../src/app.ts';
import type { WriteMode } from '../src/config.ts';
import { sessionWindow } from '../src/domain/calendar.ts';
import { listen } from '../src/http/listen.ts';
import type { IngestClientsInput, IngestClientsResult } from './workers/ingest-clients.ts';

const DATE = '2024-03-08';
const CLIENTS = 20;
const SYMBOLS_PER_CLIENT = 10;
const BATCH = 500;
const MINUTES = 950;
const TOKEN = 'bench-durable-token';
const MUTATION = 'mutation($b: [BarInput!]!) { ingestBars(bars: $b) { accepted rejected { code message } } }';

/** Figures of one mode. */
export interface IngestModeFigures {
  readonly barsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Write-behind: ms from the last answer until every bar was committed (durable: 0). */
  readonly commitLagMs: number;
}

/** Figures of the durable benchmark. */
export interface DurableBenchResult {
  readonly bars: number;
  readonly durable: IngestModeFigures;
  readonly writeBehind: IngestModeFigures;
  /** durable bars/s ÷ write-behind bars/s. */
  readonly ratio: number;
}

/** Each client's request bodies: its 10 symbols minute by minute, 500 bars a request. */
function bodies(): string[][] {
  const open = sessionWindow(DATE, true)!.start;
  return Array.from({ length: CLIENTS }, (_, client) => {
    const symbols = Array.from(
      { length: SYMBOLS_PER_CLIENT },
      (_, k) => `B${client * SYMBOLS_PER_CLIENT + k}`,
    );
    const bars: Record<string, unknown>[] = [];
    for (let minute = 0; minute < MINUTES; minute++) {
      symbols.forEach((symbol, k) => {
        const price = 100 + k + Math.sin(minute / 30) * 2;
        const cents = (x: number) => Math.round(x * 100) / 100;
        bars.push({
          symbol,
          ts: new Date(open + minute * 60_000).toISOString(),
          open: cents(price),
          high: cents(price + 0.05),
          low: cents(price - 0.05),
          close: cents(price + 0.01),
          volume: 1_000 + ((minute * 7 + k) % 500),
        });
      });
    }
    const out: string[] = [];
    for (let i = 0; i < bars.length; i += BATCH) {
      out.push(JSON.stringify({ query: MUTATION, variables: { b: bars.slice(i, i + BATCH) } }));
    }
    return out;
  });
}

function runClients(input: IngestClientsInput): Promise<IngestClientsResult> {
  const entry = new URL('./workers/ingest-clients.ts', import.meta.url).href;
  const worker = new Worker(new URL('./workers/tsx-bootstrap.mjs', import.meta.url), {
    workerData: { ...input, entry },
  });
  return new Promise((resolve, reject) => {
    worker.on('message', (message: { done: IngestClientsResult }) => {
      void worker.terminate();
      if (message.done.error) reject(new Error(message.done.error));
      else resolve(message.done);
    });
    worker.on('error', reject);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** One run of one mode on a fresh database. */
async function runMode(serverUrl: string, mode: WriteMode, work: string[][]): Promise<IngestModeFigures> {
  const name = `bench_durable_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const app = await createApp({
    adminToken: TOKEN,
    databaseUrl: url.href,
    demo: false,
    logLevel: 'silent',
    defaultMetrics: false,
    writeMode: mode,
  });
  const http = await listen({ yoga: app.yoga, session: app.session, host: '127.0.0.1', port: 0 });
  try {
    const gql = async (query: string) => {
      const response = await app.yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ query }),
      });
      const body = (await response.json()) as { errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
    };
    await gql(`mutation { startSession(date: "${DATE}", clockMode: MANUAL) { date } }`);
    for (let s = 0; s < CLIENTS * SYMBOLS_PER_CLIENT; s++) {
      await gql(
        `mutation { loadSymbol(input: { symbol: "B${s}", extendedHours: true, historicalDays: 0, derivedIntervals: ["5m", "1h"] }) { loaded } }`,
      );
    }
    const result = await runClients({ url: `${http.url}/graphql`, token: TOKEN, bodies: work });
    const answered = performance.now();
    await app.writer.flush();
    const commitLagMs = performance.now() - answered;
    const expected = work.reduce((n, list) => n + list.length, 0) * BATCH;
    if (result.acknowledged !== expected)
      throw new Error(`${result.acknowledged} of ${expected} bars acknowledged`);
    const sorted = [...result.latencies].sort((a, b) => a - b);
    return {
      barsPerSec: result.acknowledged / result.seconds,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      commitLagMs: mode === 'durable' ? 0 : commitLagMs,
    };
  } finally {
    await http.close();
    await app.dispose();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end({ timeout: 5 });
  }
}

/** Runs the benchmark (see the module comment). */
export async function benchDurable(): Promise<DurableBenchResult> {
  const serverUrl = process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';
  const work = bodies();
  const best = new Map<WriteMode, IngestModeFigures>();
  for (let round = 0; round < 2; round++) {
    for (const mode of ['write-behind', 'durable'] as const) {
      const figures = await runMode(serverUrl, mode, work);
      const kept = best.get(mode);
      if (kept === undefined || figures.barsPerSec > kept.barsPerSec) best.set(mode, figures);
    }
  }
  const durable = best.get('durable')!;
  const writeBehind = best.get('write-behind')!;
  return {
    bars: CLIENTS * SYMBOLS_PER_CLIENT * MINUTES,
    durable,
    writeBehind,
    ratio: durable.barsPerSec / writeBehind.barsPerSec,
  };
}

/** The benchmark's report line. */
export function describeDurable(result: DurableBenchResult): string {
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const mode = (f: IngestModeFigures) =>
    `${fmt(f.barsPerSec)} bars/s, p50 ${fmt(f.p50Ms, 1)} ms, p99 ${fmt(f.p99Ms, 1)} ms per 500-bar request`;
  return `durable ingest (${CLIENTS} clients, ${BATCH}-bar batches, ${fmt(result.bars)} bars, PostgreSQL): durable ${mode(result.durable)}; write-behind ${mode(result.writeBehind)}, committed ${fmt(result.writeBehind.commitLagMs)} ms after its last answer; ratio ${fmt(result.ratio, 2)} (target ≥ 0.5)`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(describeDurable(await benchDurable()));
}
