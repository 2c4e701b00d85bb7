/**
 * Persistence benchmark, against a real PostgreSQL server (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), in a throw-away database dropped at the end:
 *
 * - persist: 390,000 1m bars (1,000 symbols × one regular session) go through the write-behind
 *   writer, fed minute by minute as a live feed would (1,000 bars per minute, the event loop free
 *   between minutes); bars/s = 390,000 / time until the last one is durable. Target ≥ 100,000.
 * - history-20x5d: 20 symbols × 5 trading days of 1m bars read through fresh per-request loaders
 *   (100 `.load` calls in one tick): time (median of 5) and SQL statements (target 1).
 *
 * `tsx bench/persist.ts` prints the figures; `npm run bench` calls {@link benchPersist}.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { sessionWindow } from '../src/domain/calendar.ts';
import type { IsoDate, StoredBar } from '../src/domain/types.ts';
import type { BarRecord } from '../src/store/bar-repository.ts';
import { openDatabase } from '../src/store/database.ts';
import { createLoaders } from '../src/store/loaders.ts';
import { Repository } from '../src/store/repository.ts';
import { StoreWriter } from '../src/store/writer.ts';

const SYMBOLS = 1_000;
const HISTORY_SYMBOLS = 20;
const DATES: readonly IsoDate[] = ['2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08'];
const PERSIST_DATE: IsoDate = '2024-03-08';
const MIN = 60_000;

/** Figures of the persistence benchmark. */
export interface PersistBenchResult {
  /** 1m bars made durable per second through the writer (390,000 bars). */
  readonly barsPerSecond: number;
  /** Median time to read 20 symbols × 5 days through the loaders. */
  readonly historyMs: number;
  /** SQL statements that read took. */
  readonly historyStatements: number;
  /** Bars returned by that read. */
  readonly historyBars: number;
  /** Bars persisted. */
  readonly bars: number;
  readonly persistMs: number;
}

function regularOpen(date: IsoDate): number {
  const window = sessionWindow(date, false);
  if (window === null) throw new Error(`${date} is not a trading day`);
  return window.start;
}

/** A plausible bar: a random walk per symbol, prices rounded to the cent. */
function makeBar(ts: number, price: number, seed: number): StoredBar {
  const cents = (x: number) => Math.round(x * 100) / 100;
  const open = cents(price);
  const close = cents(price * (1 + ((seed % 7) - 3) / 2_000));
  const high = cents(Math.max(open, close) * 1.0007);
  const low = cents(Math.min(open, close) * 0.9993);
  const volume = 1_000 + ((seed * 7_919) % 50_000);
  return {
    ts,
    open,
    high,
    low,
    close,
    volume,
    vwap: cents((open + close) / 2),
    tradeCount: 10 + (seed % 90),
    revision: 0,
  };
}

/** Runs both measurements and drops the scratch database. */
export async function benchPersist(): Promise<PersistBenchResult> {
  const { DATABASE_URL } = process.env;
  const serverUrl = DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), dataDir: '' });
  try {
    const repo = new Repository(database);

    // History for the read: 4 earlier days of the first 20 symbols (the 5th day comes from the persist run).
    const history: BarRecord[] = [];
    for (const date of DATES.filter((d) => d !== PERSIST_DATE)) {
      const open = regularOpen(date);
      for (let s = 0; s < HISTORY_SYMBOLS; s++) {
        for (let m = 0; m < 390; m++) {
          history.push({
            symbol: `S${s}`,
            interval: '1m',
            sessionDate: date,
            ...makeBar(open + m * MIN, 50 + s, m + s),
          });
        }
      }
    }
    await repo.upsertBars(history);

    // Persist: a live session of 1,000 symbols, minute by minute, through the writer.
    const writer = new StoreWriter(repo, { maxDelayMs: 100 });
    const open = regularOpen(PERSIST_DATE);
    const prices = Array.from({ length: SYMBOLS }, (_, s) => 20 + (s % 400));
    const symbols = Array.from({ length: SYMBOLS }, (_, s) => `S${s}`);
    // The session's bars, made beforehand: generating them is the feed's work, not the store's.
    const minutes: StoredBar[][] = [];
    for (let m = 0; m < 390; m++) {
      const ts = open + m * MIN;
      minutes.push(
        prices.map((price, s) => {
          const bar = makeBar(ts, price, m * SYMBOLS + s);
          prices[s] = bar.close;
          return bar;
        }),
      );
    }
    const started = performance.now();
    for (const bars of minutes) {
      for (let s = 0; s < SYMBOLS; s++) writer.enqueueBar(symbols[s]!, '1m', PERSIST_DATE, bars[s]!);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.flush();
    const persistMs = performance.now() - started;
    const status = writer.status();
    await writer.close();
    if (status.written.bars !== SYMBOLS * 390) throw new Error(`wrote ${status.written.bars} bars`);

    // History read through fresh loaders: 20 symbols × 5 days in one tick.
    const times: number[] = [];
    let statements = 0;
    let bars = 0;
    for (let run = 0; run < 5; run++) {
      const loaders = createLoaders(repo);
      const before = database.statements;
      const t = performance.now();
      const results = await Promise.all(
        symbols
          .slice(0, HISTORY_SYMBOLS)
          .flatMap((symbol) =>
            DATES.map((date) => loaders.storedBars.load({ symbol, interval: '1m', date })),
          ),
      );
      times.push(performance.now() - t);
      statements = database.statements - before;
      bars = results.reduce((n, r) => n + r.length, 0);
    }
    if (bars !== HISTORY_SYMBOLS * DATES.length * 390) throw new Error(`read ${bars} bars`);
    times.sort((a, b) => a - b);
    return {
      barsPerSecond: Math.round((SYMBOLS * 390) / (persistMs / 1000)),
      historyMs: Math.round(times[2]! * 10) / 10,
      historyStatements: statements,
      historyBars: bars,
      bars: SYMBOLS * 390,
      persistMs: Math.round(persistMs),
    };
  } finally {
    await database.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchPersist();
  console.log(
    `persist: ${r.barsPerSecond.toLocaleString('en-US')} bars/s (${r.bars.toLocaleString('en-US')} bars in ${r.persistMs} ms); ` +
      `history-20x5d: ${r.historyMs} ms in ${r.historyStatements} statements (${r.historyBars.toLocaleString('en-US')} bars)`,
  );
}
