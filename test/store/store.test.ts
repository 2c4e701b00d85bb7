/**
 * The store suite: runs on PGlite, and on the PostgreSQL server of DATABASE_URL when it is set
 * (one database per suite, emptied before each test, see test/helpers/db.ts). The writer's tests
 * are in writer.test.ts.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { StoredBar } from '../../src/domain/types.ts';
import type { BarRecord } from '../../src/store/bar-repository.ts';
import {
  DatabaseUnavailableError,
  DataDirLockedError,
  defaultMigrationsFolder,
  openDatabase,
} from '../../src/store/database.ts';
import { createLoaders } from '../../src/store/loaders.ts';
import { numberArrayLiteral, textArrayLiteral } from '../../src/store/pg-array.ts';
import { Repository } from '../../src/store/repository.ts';
import { migratedImage, testDrivers, useTestDatabase, withTestDatabase } from '../helpers/db.ts';
import { scratchFolder } from '../helpers/scratch.ts';

const MIN = 60_000;
/** 2024-03-04 09:30 New York (EST, UTC−5). */
const OPEN_0304 = Date.UTC(2024, 2, 4, 14, 30);
const DATES = ['2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08'] as const;
const DAY = 86_400_000;

function bar(ts: number, price: number, extra: Partial<StoredBar> = {}): StoredBar {
  return {
    ts,
    open: price,
    high: price + 0.5,
    low: price - 0.5,
    close: price + 0.25,
    volume: 1000,
    vwap: price + 0.1,
    tradeCount: 10,
    revision: 0,
    ...extra,
  };
}

function record(symbol: string, date: string, b: StoredBar, interval = '1m'): BarRecord {
  return { symbol, interval, sessionDate: date, ...b };
}

/** `count` 1m bars from the regular open of `DATES[dayIndex]`. */
function sessionRecords(symbol: string, dayIndex: number, count: number, base = 100): BarRecord[] {
  const open = OPEN_0304 + dayIndex * DAY;
  return Array.from({ length: count }, (_, i) =>
    record(symbol, DATES[dayIndex]!, bar(open + i * MIN, base + dayIndex + i / 100)),
  );
}

describe('pg array literals', () => {
  it('quotes text only when needed and keeps doubles exact', () => {
    expect(textArrayLiteral(['SPY', 'BRK.B', 'a b', 'x"y\\z', 'null', '', null])).toBe(
      '{SPY,BRK.B,"a b","x\\"y\\\\z","null","",NULL}',
    );
    expect(numberArrayLiteral([1, 0.1 + 0.2, null, -5e-324])).toBe('{1,0.30000000000000004,NULL,-5e-324}');
    expect(() => numberArrayLiteral([Number.NaN])).toThrow(RangeError);
    expect(() => numberArrayLiteral([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});

describe.each(testDrivers())('store on %s', (driver) => {
  const ctx = useTestDatabase(driver, { persistent: true });
  const repoOf = () => new Repository(ctx().database);

  it('applies the migrations once and keeps the data across a reopen', async () => {
    const { database } = ctx();
    expect(database.driver).toBe(driver);
    const tables = await database.db.execute(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const names = (Array.isArray(tables) ? tables : (tables as { rows: unknown[] }).rows).map(
      (r) => (r as { table_name: string }).table_name,
    );
    expect(names).toEqual(['bars', 'feed_outages', 'quotes', 'session_state', 'symbol_config', 'ticks']);
    await repoOf().upsertBars(sessionRecords('SPY', 0, 3));
    const reopened = await ctx().reopen();
    const applied = await reopened.db.execute(
      sql`select count(*)::int4 as n from drizzle.__drizzle_migrations`,
    );
    const rows = Array.isArray(applied) ? applied : (applied as { rows: unknown[] }).rows;
    const journal = JSON.parse(
      readFileSync(join(defaultMigrationsFolder, 'meta', '_journal.json'), 'utf8'),
    ) as {
      entries: unknown[];
    };
    expect(rows).toEqual([{ n: journal.entries.length }]);
    const bars = await new Repository(reopened).readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(bars).toHaveLength(3);
  });

  it('migrates quotes and ticks stored under the first schema to arrival-numbered keys', async () => {
    const firstOnly = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      await cp(defaultMigrationsFolder, firstOnly, { recursive: true });
      const journalFile = join(firstOnly, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: unknown[] };
      await writeFile(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }));
      await withTestDatabase(
        driver,
        async (db) => {
          // 2024-03-04 in New York: 14:30Z, 23:30Z and 02:00Z of the next UTC day (21:00 ET).
          const late = Date.UTC(2024, 2, 5, 2, 0);
          await db.database.db.execute(sql`insert into quotes (symbol, ts, bid, bid_size, ask, ask_size) values
            ('SPY', ${late}, 3, 1, 3.1, 1), ('SPY', ${OPEN_0304}, 1, 1, 1.1, 1),
            ('SPY', ${OPEN_0304 + 9 * 3_600_000}, 2, 1, 2.1, 1), ('SPY', ${OPEN_0304 + DAY}, 4, 1, 4.1, 1)`);
          await db.database.db.execute(sql`insert into ticks (symbol, ts, price, size) values
            ('SPY', ${OPEN_0304}, 1, 10), ('SPY', ${OPEN_0304}, 2, 20), ('QQQ', ${OPEN_0304}, 7, 1)`);
          const repo = new Repository(await db.reopen({ migrationsFolder: defaultMigrationsFolder }));
          const quote = (ts: number, bid: number) => ({ ts, bid, bidSize: 1, ask: bid + 0.1, askSize: 1 });
          expect(await repo.readStoredQuotes('SPY', DATES[0], 0, Number.MAX_SAFE_INTEGER, 10)).toEqual({
            items: [quote(OPEN_0304, 1), quote(OPEN_0304 + 9 * 3_600_000, 2), quote(late, 3)],
            count: 3,
            next: 3,
          });
          expect(await repo.readStoredQuotes('SPY', DATES[1], 0, Number.MAX_SAFE_INTEGER, 10)).toMatchObject({
            count: 1,
            next: 1,
          });
          expect(await repo.readStoredTicks('SPY', DATES[0], 0, Number.MAX_SAFE_INTEGER, 10)).toEqual({
            items: [
              { ts: OPEN_0304, price: 1, size: 10 },
              { ts: OPEN_0304, price: 2, size: 20 },
            ],
            count: 2,
            next: 2,
          });
          // New arrivals continue the numbering; the old key no longer collapses a millisecond.
          await repo.appendQuotes([{ symbol: 'SPY', sessionDate: DATES[0], seq: 3, ...quote(late, 5) }]);
          expect(await repo.readStoredQuotes('SPY', DATES[0], 0, Number.MAX_SAFE_INTEGER, 1)).toEqual({
            items: [quote(late, 5)],
            count: 4,
            next: 4,
          });
        },
        { migrationsFolder: firstOnly, persistent: true },
      );
    } finally {
      await rm(firstOnly, { recursive: true, force: true });
    }
  });

  it('upserts bars, applies corrections with their revision and leaves identical rows alone', async () => {
    const repo = repoOf();
    const rows = sessionRecords('SPY', 0, 3);
    expect(await repo.upsertBars(rows)).toEqual({ stored: 3, unchanged: 0, superseded: 0 });
    expect(await repo.upsertBars(rows)).toEqual({ stored: 0, unchanged: 3, superseded: 0 });

    const corrected = { ...rows[1]!, close: 101.5, revision: 1 };
    expect(await repo.upsertBars([corrected])).toEqual({ stored: 1, unchanged: 0, superseded: 0 });
    let bars = await repo.readBars('SPY', '1m', OPEN_0304, OPEN_0304 + 3 * MIN);
    expect(bars.map((b) => b.revision)).toEqual([0, 1, 0]);
    expect(bars[1]).toEqual({ ...bar(OPEN_0304 + MIN, 100.01), close: 101.5, revision: 1 });

    // The same correction again changes nothing (a retried write is harmless).
    expect(await repo.upsertBars([corrected])).toEqual({ stored: 0, unchanged: 1, superseded: 0 });
    // Changed data without a newer revision (a re-import) still bumps the stored revision.
    expect((await repo.upsertBars([{ ...rows[1]!, vwap: null }])).stored).toBe(1);
    // Within one call the last row of a key wins.
    const twice = [
      { ...rows[2]!, close: 1, revision: 1 },
      { ...rows[2]!, close: 2, revision: 2 },
    ];
    expect(await repo.upsertBars(twice)).toEqual({ stored: 1, unchanged: 0, superseded: 1 });
    bars = await repo.readBars('SPY', '1m', OPEN_0304, OPEN_0304 + 3 * MIN);
    expect(bars.map((b) => [b.revision, b.close, b.vwap])).toEqual([
      [0, 100.25, 100.1],
      [2, 100.26, null],
      [2, 2, rows[2]!.vwap],
    ]);
  });

  it('chunks large upserts into a few statements and keeps every value exact', async () => {
    const repo = new Repository(ctx().database, { chunkSize: 1_000 });
    const rows: BarRecord[] = [];
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 390; i++) {
        rows.push(
          record(
            `S${s}`,
            DATES[0],
            bar(OPEN_0304 + i * MIN, Math.PI * (s + 1) + i / 3, { tradeCount: null }),
          ),
        );
      }
    }
    const before = ctx().database.statements;
    expect((await repo.upsertBars(rows)).stored).toBe(3_900);
    expect(ctx().database.statements - before).toBe(4);
    const back = await repo.readBars('S7', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(back).toEqual(rows.slice(7 * 390, 8 * 390).map(({ symbol, interval, sessionDate, ...b }) => b));
  });

  it('reads a time range [from, to) in ascending order, for one symbol and interval', async () => {
    const repo = repoOf();
    const rows = sessionRecords('SPY', 0, 10);
    await repo.upsertBars([...rows].reverse());
    await repo.upsertBars(sessionRecords('QQQ', 0, 10));
    await repo.upsertBars(sessionRecords('SPY', 0, 10).map((r) => ({ ...r, interval: '1s' })));
    const bars = await repo.readBars('SPY', '1m', OPEN_0304 + 2 * MIN, OPEN_0304 + 5 * MIN);
    expect(bars.map((b) => b.ts)).toEqual([2, 3, 4].map((i) => OPEN_0304 + i * MIN));
    expect(await repo.readBars('SPY', '1m', OPEN_0304 + 20 * MIN, OPEN_0304 + 30 * MIN)).toEqual([]);
  });

  it('reads the bars of many symbols × dates in ONE statement, grouped per key', async () => {
    const repo = repoOf();
    const symbols = Array.from({ length: 20 }, (_, i) => `SYM${i}`);
    const rows = symbols.flatMap((s, si) => DATES.flatMap((_, d) => sessionRecords(s, d, 5 + si, 10 * si)));
    await repo.upsertBars(rows.reverse()); // stored out of order: read back in order anyway
    const keys = symbols.flatMap((symbol) => DATES.map((date) => ({ symbol, interval: '1m', date })));
    keys.push({ symbol: 'NONE', interval: '1m', date: DATES[0] }, { ...keys[3]! });
    const before = ctx().database.statements;
    const result = await repo.readSessionBars(keys);
    expect(ctx().database.statements - before).toBe(1);
    expect(result).toHaveLength(keys.length);
    keys.forEach((key, i) => {
      if (key.symbol === 'NONE') {
        expect(result[i]).toEqual([]);
        return;
      }
      const si = Number(key.symbol.slice(3));
      const d = DATES.indexOf(key.date as (typeof DATES)[number]);
      const expected = sessionRecords(key.symbol, d, 5 + si, 10 * si).map(
        ({ symbol, interval, sessionDate, ...b }) => b,
      );
      expect(result[i]).toEqual(expected);
    });
    expect(await repo.readSessionBars([])).toEqual([]);
  });

  it('batches every load of a tick into one statement through the loaders', async () => {
    const repo = repoOf();
    const symbols = ['AAPL', 'TSLA', 'RIVN'];
    await repo.upsertBars(
      symbols.flatMap((s, si) => DATES.flatMap((_, d) => sessionRecords(s, d, 3, si * 100))),
    );
    const loaders = createLoaders(repo);
    const before = ctx().database.statements;
    const loads = symbols.flatMap((symbol) =>
      DATES.map((date) => loaders.storedBars.load({ symbol, interval: '1m', date })),
    );
    const results = await Promise.all(loads);
    expect(ctx().database.statements - before).toBe(1);
    expect(results.every((bars) => bars.length === 3)).toBe(true);
    expect(results[7]).toEqual(
      sessionRecords('TSLA', 2, 3, 100).map(({ symbol, interval, sessionDate, ...b }) => b),
    );
    // Cached for the rest of the request.
    await loaders.storedBars.load({ symbol: 'AAPL', interval: '1m', date: DATES[0] });
    expect(ctx().database.statements - before).toBe(1);
    // A new request gets fresh loaders.
    const fresh = createLoaders(repo);
    await fresh.storedBars.load({ symbol: 'AAPL', interval: '1m', date: DATES[0] });
    expect(ctx().database.statements - before).toBe(2);
  });

  it('runs work in one transaction: all or nothing', async () => {
    const repo = repoOf();
    await expect(
      repo.transaction(async (tx) => {
        await tx.upsertBars(sessionRecords('SPY', 0, 3));
        await tx.saveSymbolConfig({
          symbol: 'SPY',
          baseInterval: '1m',
          derivedIntervals: [],
          historicalDays: 0,
          extendedHours: false,
          indicators: [],
          source: 'BARS',
          feed: 'api',
        });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await repo.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(await repo.listSymbolConfigs()).toEqual([]);
    const stored = await repo.transaction(
      async (tx) => (await tx.upsertBars(sessionRecords('SPY', 0, 3))).stored,
    );
    expect(stored).toBe(3);
    expect(await repo.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(3);
  });

  it('appends quotes and ticks under their arrival number: every update of a millisecond, nothing twice', async () => {
    const repo = repoOf();
    const d = DATES[0];
    const quote = (seq: number, ts: number, bid: number) => ({
      symbol: 'SPY',
      sessionDate: d,
      seq,
      ts,
      bid,
      bidSize: 10,
      ask: bid + 0.1,
      askSize: 20,
    });
    await repo.appendQuotes([quote(0, OPEN_0304, 1), quote(1, OPEN_0304 + 5, 2), quote(2, OPEN_0304 + 5, 3)]);
    // A retried write (its first commit's answer lost) stores nothing twice; an arrival out of ts
    // order stays in arrival order.
    await repo.appendQuotes([quote(2, OPEN_0304 + 5, 3), quote(3, OPEN_0304 + 1, 4)]);
    await repo.appendTicks([
      { symbol: 'SPY', sessionDate: d, seq: 0, ts: OPEN_0304, price: 1, size: 100 },
      { symbol: 'SPY', sessionDate: d, seq: 1, ts: OPEN_0304, price: 1.01, size: 50 },
      { symbol: 'QQQ', sessionDate: d, seq: 0, ts: OPEN_0304, price: 7, size: 1 },
    ]);
    await repo.appendTicks([{ symbol: 'SPY', sessionDate: d, seq: 1, ts: OPEN_0304, price: 1.01, size: 50 }]);
    const q = (ts: number, bid: number) => ({ ts, bid, bidSize: 10, ask: bid + 0.1, askSize: 20 });
    expect(await repo.readStoredQuotes('SPY', d, OPEN_0304, OPEN_0304 + MIN, 10)).toEqual({
      items: [q(OPEN_0304, 1), q(OPEN_0304 + 5, 2), q(OPEN_0304 + 5, 3), q(OPEN_0304 + 1, 4)],
      count: 4,
      next: 4,
    });
    // The latest `limit` only; a range that stops early counts what it holds, and the next arrival
    // number still follows every stored quote of the date.
    expect(await repo.readStoredQuotes('SPY', d, OPEN_0304, OPEN_0304 + MIN, 2)).toEqual({
      items: [q(OPEN_0304 + 5, 3), q(OPEN_0304 + 1, 4)],
      count: 4,
      next: 4,
    });
    expect(await repo.readStoredQuotes('SPY', d, OPEN_0304, OPEN_0304 + 2, 10)).toEqual({
      items: [q(OPEN_0304, 1), q(OPEN_0304 + 1, 4)],
      count: 2,
      next: 4,
    });
    expect(await repo.readStoredQuotes('SPY', DATES[1], 0, Number.MAX_SAFE_INTEGER, 10)).toEqual({
      items: [],
      count: 0,
      next: 0,
    });
    expect(await repo.readStoredTicks('SPY', d, OPEN_0304, OPEN_0304 + 1, 10)).toEqual({
      items: [
        { ts: OPEN_0304, price: 1, size: 100 },
        { ts: OPEN_0304, price: 1.01, size: 50 },
      ],
      count: 2,
      next: 2,
    });
  });

  it('saves, lists and deletes symbol configuration, and keeps the session state', async () => {
    const repo = repoOf();
    expect(await repo.loadSessionState()).toBeNull();
    const aapl = {
      symbol: 'AAPL',
      baseInterval: '1m',
      derivedIntervals: ['5m', '1h'],
      historicalDays: 5,
      extendedHours: true,
      indicators: ['avg_volume_2d', 'prev_close'],
      source: 'BARS' as const,
      feed: 'api',
    };
    await repo.saveSymbolConfig(aapl);
    await repo.saveSymbolConfig({ ...aapl, symbol: 'AA', derivedIntervals: [], indicators: [] });
    await repo.saveSymbolConfig({ ...aapl, historicalDays: 2, extendedHours: false });
    expect(await repo.listSymbolConfigs()).toEqual([
      { ...aapl, symbol: 'AA', derivedIntervals: [], indicators: [] },
      { ...aapl, historicalDays: 2, extendedHours: false },
    ]);
    await repo.deleteSymbolConfig('AA');
    await repo.deleteSymbolConfig('NOPE');
    expect((await repo.listSymbolConfigs()).map((c) => c.symbol)).toEqual(['AAPL']);

    const state = {
      date: '2024-03-04',
      clockMode: 'REPLAY' as const,
      active: true,
      clock: OPEN_0304,
      replaySpeed: 60,
    };
    await repo.saveSessionState(state);
    expect(await repo.loadSessionState()).toEqual(state);
    await repo.saveSessionState({ date: '2024-03-05', clockMode: 'MANUAL', active: false, clock: null });
    expect(await repo.loadSessionState()).toEqual({
      date: '2024-03-05',
      clockMode: 'MANUAL',
      active: false,
      clock: null,
      replaySpeed: null,
    });
  });
});

describe('pglite data folder', () => {
  it('is locked while open: a second opener is refused, a stale lock is taken over', async () => {
    const dir = await scratchFolder('store-lock');
    const dataDir = join(dir, 'data');
    try {
      const first = await openDatabase({ dataDir, image: await migratedImage() });
      await expect(openDatabase({ dataDir })).rejects.toThrow(DataDirLockedError);
      await expect(openDatabase({ dataDir })).rejects.toThrow(`in use by process ${process.pid}`);
      await first.close();
      // A lock left by a process that died (SIGKILL) does not block the next start.
      await writeFile(`${dataDir}.lock`, '2147483646');
      const second = await openDatabase({ dataDir });
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(testDrivers().includes('postgres'))('store on postgres: faults', () => {
  it('fails fast with a clear error when the server cannot be reached', async () => {
    const started = Date.now();
    const attempt = openDatabase({ url: 'postgres://postgres:secret@127.0.0.1:1/nowhere', dataDir: '' });
    await expect(attempt).rejects.toThrow(DatabaseUnavailableError);
    await expect(attempt).rejects.toThrow(
      'Cannot use PostgreSQL at postgres://postgres:***@127.0.0.1:1/nowhere: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
