/**
 * The write-behind writer on fake timers (delays, back-off, write and close timeouts are exact and
 * cost no waiting) over the real repository, on PGlite and on the PostgreSQL server of DATABASE_URL
 * when it is set; and, on real timers, a real PostgreSQL server going away and coming back.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredBar } from '../../src/domain/types.ts';
import type { BarRecord } from '../../src/store/bar-repository.ts';
import { openDatabase } from '../../src/store/database.ts';
import { Repository } from '../../src/store/repository.ts';
import { StoreWriter, type WriterSink } from '../../src/store/writer.ts';
import {
  createScratchDatabase,
  createTcpProxy,
  testDatabaseUrl,
  testDrivers,
  useTestDatabase,
} from '../helpers/db.ts';
import { useLeftovers } from '../helpers/leftovers.ts';
import { settle, settleUntil, waitFor } from '../helpers/wait.ts';

const MIN = 60_000;
/** 2024-03-04 09:30 New York (EST, UTC−5). */
const OPEN_0304 = Date.UTC(2024, 2, 4, 14, 30);
const DATES = ['2024-03-04', '2024-03-05', '2024-03-06'] as const;
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

/** `count` 1m bars from the regular open of `DATES[dayIndex]`. */
function sessionRecords(symbol: string, dayIndex: number, count: number, base = 100): BarRecord[] {
  const open = OPEN_0304 + dayIndex * DAY;
  return Array.from({ length: count }, (_, i) => ({
    symbol,
    interval: '1m',
    sessionDate: DATES[dayIndex]!,
    ...bar(open + i * MIN, base + dayIndex + i / 100),
  }));
}

const leftovers = useLeftovers();

describe.each(testDrivers())('writer on %s', (driver) => {
  const ctx = useTestDatabase(driver);
  const repoOf = () => new Repository(ctx().database);
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    leftovers.defer(() => vi.useRealTimers()); // after the test's own leftovers, which may need the fake clock
  });

  it('batches within the delay, latest version wins, flush and close make it durable', async () => {
    const { database } = ctx();
    const repo = repoOf();
    const writer = leftovers.keep(new StoreWriter(repo, { maxDelayMs: 50 }), (w) => w.close());
    const statements: string[] = [];
    leftovers.defer(database.onStatement((query) => statements.push(query)));

    const rows = sessionRecords('SPY', 0, 390);
    for (const r of rows) writer.enqueueBar(r.symbol, r.interval, r.sessionDate, r);
    const first = rows[0]!;
    const seq = writer.enqueueBar('SPY', '1m', DATES[0], { ...first, close: 1, revision: 1 });
    expect(seq).toBe(391);
    writer.enqueueQuote('SPY', DATES[0], 0, { ts: OPEN_0304, bid: 1, bidSize: 1, ask: 2, askSize: 1 });
    writer.enqueueTick('SPY', DATES[0], 0, { ts: OPEN_0304, price: 1.5, size: 3 });
    expect(writer.status()).toMatchObject({ acceptedSeq: 393, durableSeq: 0, backlog: { total: 392 } });

    // Nothing is written before the delay is over…
    await vi.advanceTimersByTimeAsync(49);
    expect(statements).toEqual([]);
    // …and everything within it, without a flush (the clock stands at 50 ms until it is durable).
    await vi.advanceTimersByTimeAsync(1);
    await settleUntil(() => writer.status().durableSeq === 393, { what: 'the first batch' });
    expect(Date.now() - (writer.status().lastWriteAt ?? 0)).toBe(0);
    expect(statements.filter((q) => q.includes('insert into "bars"'))).toHaveLength(1);
    expect(statements).toHaveLength(3);
    const stored = await repo.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(stored).toHaveLength(390);
    expect(stored[0]).toMatchObject({ close: 1, revision: 1 });

    // flush() waits for what came before it.
    const more = sessionRecords('QQQ', 1, 50);
    for (const r of more) writer.enqueueBar(r.symbol, r.interval, r.sessionDate, r);
    await settle(writer.flush());
    expect(await repo.readBars('QQQ', '1m', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(50);

    // close() writes what is left and refuses new items.
    const last = sessionRecords('IWM', 2, 5);
    for (const r of last) writer.enqueueBar(r.symbol, r.interval, r.sessionDate, r);
    await settle(writer.close());
    expect(await repo.readBars('IWM', '1m', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(5);
    expect(writer.enqueueBar('IWM', '1m', DATES[2], bar(OPEN_0304, 1))).toBeNull();
    expect(writer.status()).toMatchObject({
      durableSeq: 448,
      backlog: { total: 0 },
      written: { bars: 445, quotes: 1, ticks: 1 },
      refused: { bars: 1 },
      healthy: true,
      closed: true,
    });
  });

  it('retries with back-off while writes fail, bounds the backlog, loses nothing', async () => {
    const repo = repoOf();
    let down = true;
    const attempts: number[] = [];
    const guard = async <T>(work: () => Promise<T>): Promise<T> => {
      attempts.push(Date.now());
      if (down)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return work();
    };
    const sink: WriterSink = {
      upsertBars: (rows) => guard(() => repo.upsertBars(rows)),
      appendQuotes: (rows) => guard(() => repo.appendQuotes(rows)),
      appendTicks: (rows) => guard(() => repo.appendTicks(rows)),
    };
    const writer = new StoreWriter(sink, {
      maxDelayMs: 10,
      maxBacklog: 100,
      retryInitialMs: 20,
      retryMaxMs: 80,
    });
    leftovers.defer(() => settle(writer.close()));
    const rows = sessionRecords('SPY', 0, 120);
    const seqs = rows.map((r) => writer.enqueueBar(r.symbol, r.interval, r.sessionDate, r));
    expect(seqs.filter((s) => s === null)).toHaveLength(20);
    expect(writer.hasCapacity()).toBe(false);
    // A newer version of a waiting bar takes no room: still accepted.
    expect(writer.enqueueBar('SPY', '1m', DATES[0], { ...rows[0]!, close: 7, revision: 1 })).toBe(101);
    expect(writer.enqueueTick('SPY', DATES[0], 0, { ts: OPEN_0304, price: 1, size: 1 })).toBeNull();

    const flushed = writer.flush();
    // The first attempt at once, then retries after 20, 40, 80, 80 … ms (jittered down to 80 %).
    for (let ms = 0; writer.status().failedAttempts < 4 && ms <= 3_000; ms += 5) {
      await vi.advanceTimersByTimeAsync(5);
    }
    const status = writer.status();
    expect(status).toMatchObject({
      healthy: false,
      full: true,
      durableSeq: 0,
      backlog: { bars: 100, total: 100 },
      refused: { bars: 20, ticks: 1, total: 21 },
      lastError: 'connect ECONNREFUSED 127.0.0.1:5432',
    });
    expect(status.failedAttempts).toBeGreaterThanOrEqual(4);
    expect(status.nextRetryAt).not.toBeNull();
    // Exponential back-off: on a fake clock each gap is its delay, between 80 % and 100 % of it.
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    gaps.slice(0, 3).forEach((gap, i) => {
      const delay = Math.min(80, 20 * 2 ** i);
      expect(gap).toBeGreaterThanOrEqual(Math.floor(0.8 * delay) - 2);
      expect(gap).toBeLessThanOrEqual(delay);
    });

    down = false;
    await vi.advanceTimersByTimeAsync(80); // the next retry is due within the longest delay
    await settle(flushed);
    expect(writer.status()).toMatchObject({
      healthy: true,
      durableSeq: 101,
      backlog: { total: 0 },
      lastError: null,
    });
    const stored = await repo.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(stored).toHaveLength(100);
    expect(stored[0]).toMatchObject({ close: 7, revision: 1 });
    expect(writer.hasCapacity(100)).toBe(true);
  });

  it('a write that hangs times out and is retried; its late end changes nothing', async () => {
    const repo = repoOf();
    let calls = 0;
    let release: () => void = () => {};
    const sink: WriterSink = {
      upsertBars: (rows) => {
        calls++;
        if (calls === 1) return new Promise<void>((resolve) => (release = resolve)); // hangs
        return repo.upsertBars(rows);
      },
      appendQuotes: (rows) => repo.appendQuotes(rows),
      appendTicks: (rows) => repo.appendTicks(rows),
    };
    const writer = new StoreWriter(sink, { maxDelayMs: 0, writeTimeoutMs: 1_000, retryInitialMs: 1_000 });
    leftovers.defer(() => settle(writer.close()));
    writer.enqueueBar('SPY', '1m', DATES[0], bar(OPEN_0304, 1));
    await vi.advanceTimersByTimeAsync(999);
    expect(writer.status().failedAttempts).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(writer.status().failedAttempts).toBe(1);
    expect(writer.status().lastError).toBe('write did not finish within 1000 ms');
    writer.enqueueBar('SPY', '1m', DATES[0], bar(OPEN_0304 + MIN, 2));
    const flushed = writer.flush();
    await vi.advanceTimersByTimeAsync(1_000); // the retry (after 800–1000 ms)
    await settle(flushed);
    release(); // the abandoned attempt ends now: nothing to undo, nothing marked written twice
    await vi.advanceTimersByTimeAsync(20);
    expect(writer.status()).toMatchObject({ durableSeq: 2, written: { bars: 2 }, healthy: true });
    expect(await repo.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER)).toHaveLength(2);
  });

  it('close() gives up after its timeout and reports what was not written', async () => {
    const sink: WriterSink = {
      upsertBars: () => Promise.reject(new Error('down')),
      appendQuotes: () => Promise.reject(new Error('down')),
      appendTicks: () => Promise.reject(new Error('down')),
    };
    const writer = new StoreWriter(sink, { maxDelayMs: 0, retryInitialMs: 10 });
    writer.enqueueBar('SPY', '1m', DATES[0], bar(OPEN_0304, 1));
    const flushed = expect(writer.flush()).rejects.toThrow(/not written/);
    const closed = expect(writer.close(100)).rejects.toThrow(/1 item\(s\) not written.*last error: down/);
    await vi.advanceTimersByTimeAsync(99);
    expect(writer.status().closed).toBe(true);
    expect(writer.status().failedAttempts).toBeGreaterThan(1);
    await vi.advanceTimersByTimeAsync(1);
    await closed;
    await flushed;
  });
});

describe.runIf(testDrivers().includes('postgres'))('writer on postgres: faults', () => {
  it('the server goes away mid-session (connections cut, new ones refused), then comes back', async () => {
    // Real timers: postgres.js's reconnects and the writer's back-off against a real server. A TCP
    // proxy stands between postgres.js and the server: cut() destroys every open connection and
    // stops listening (new connections get ECONNREFUSED), restore() listens again on the same port;
    // postgres.js reconnects by itself.
    const scratch = await createScratchDatabase(testDatabaseUrl()!);
    leftovers.defer(() => scratch.drop());
    const proxy = await createTcpProxy(scratch.url);
    leftovers.defer(() => proxy.close());
    const database = await openDatabase({ url: proxy.url, dataDir: '', connectTimeoutSeconds: 2 });
    leftovers.defer(() => database.close());
    const repo = new Repository(database);
    const writer = new StoreWriter(repo, { maxDelayMs: 20, retryInitialMs: 50, retryMaxMs: 200 });
    leftovers.defer(() => writer.close());
    const rows = sessionRecords('SPY', 0, 390);
    for (const r of rows.slice(0, 10)) writer.enqueueBar(r.symbol, r.interval, r.sessionDate, r);
    await writer.flush();

    await proxy.cut();
    for (const r of rows.slice(10)) writer.enqueueBar(r.symbol, r.interval, r.sessionDate, r);
    writer.enqueueBar('SPY', '1m', DATES[0], { ...rows[0]!, close: 3, revision: 1 });
    writer.enqueueTick('SPY', DATES[0], 0, { ts: OPEN_0304, price: 3, size: 1 });
    await waitFor(() => writer.status().failedAttempts >= 3, { timeoutMs: 10_000, what: 'three failures' });
    expect(writer.status()).toMatchObject({
      healthy: false,
      durableSeq: 10,
      backlog: { bars: 381, ticks: 1 },
    });
    expect(writer.status().lastError).not.toBeNull();

    await proxy.restore();
    await writer.flush();
    expect(writer.status()).toMatchObject({ healthy: true, durableSeq: 392, backlog: { total: 0 } });
    const stored = await repo.readBars('SPY', '1m', 0, Number.MAX_SAFE_INTEGER);
    expect(stored).toHaveLength(390);
    expect(stored[0]).toMatchObject({ close: 3, revision: 1 });
    expect(await repo.readStoredTicks('SPY', DATES[0], 0, Number.MAX_SAFE_INTEGER, 10)).toMatchObject({
      count: 1,
    });
  });
});
