/**
 * The bar repository: every read and write of the store goes through here, and only domain types
 * (`StoredBar`, `Quote`, `Tick`, …) come in and out — never drizzle rows.
 *
 * Writes of bars are `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM …`
 * statements: one parameter per column whatever the row count (far below PostgreSQL's 65,535
 * parameter limit), rows split into chunks of {@link BarRepositoryOptions.chunkSize} to bound the
 * statement size. A row whose values equal the stored ones is not rewritten and keeps its revision.
 */
import { and, asc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { bars, quotes, sessionState, symbolConfig, ticks } from '../../drizzle/schema.ts';
import type { SymbolSettings } from '../domain/symbol-settings.ts';
import type {
  ClockMode,
  Instant,
  IsoDate,
  MarketDataKey,
  PersistedSessionState,
  Quote,
  QuoteInput,
  SessionBarsKey,
  StoredBar,
  StoredMarketData,
  Tick,
  TickInput,
} from '../domain/types.ts';
import type { Database, StoreDb } from './database.ts';
import { numberArrayLiteral, textArrayLiteral } from './pg-array.ts';

/** A base bar with the key it is stored under. */
export interface BarRecord extends StoredBar {
  readonly symbol: string;
  /** Canonical base interval name (`1s`, `1m`). */
  readonly interval: string;
  /** New York exchange date of the bar start. */
  readonly sessionDate: IsoDate;
}

/** Outcome of {@link BarRepository.upsertBars}. */
export interface UpsertResult {
  /** Rows inserted, or updated because their values changed (their revision was bumped). */
  readonly stored: number;
  /** Rows whose stored values were already identical (nothing written). */
  readonly unchanged: number;
  /** Rows dropped because a later row of the same call had the same key (the later one wins). */
  readonly superseded: number;
}

/** Options of {@link BarRepository.upsertBars}. */
export interface UpsertOptions {
  /** The caller guarantees that no two rows share a key: the duplicate check is skipped. */
  readonly distinct?: boolean;
}

/** A quote with the key it is stored under. */
export type QuoteRecord = QuoteInput & MarketDataKey;

/** A trade print with the key it is stored under. */
export type TickRecord = TickInput & MarketDataKey;

/** Options of {@link BarRepository}. */
export interface BarRepositoryOptions {
  /** Rows per `unnest` statement (default 5,000). */
  readonly chunkSize?: number;
  /**
   * Statements of one call run at the same time (default 3 on postgres.js, whose pool has several
   * connections; always 1 on PGlite and inside a transaction). Chunks are independent upserts, so a
   * failed call can be repeated as a whole.
   */
  readonly concurrency?: number;
}

const MAX_CHUNK = 100_000;

/** Reads and writes bars, quotes, ticks, symbol configuration and session state. */
export class BarRepository {
  readonly #db: StoreDb;
  readonly #chunkSize: number;
  readonly #concurrency: number;

  /** @param database an open {@link Database} (or a drizzle database / transaction of the same schema). */
  constructor(database: Database | StoreDb, options: BarRepositoryOptions = {}) {
    const isDatabase = 'driver' in database;
    this.#db = isDatabase ? database.db : database;
    this.#concurrency =
      isDatabase && database.driver === 'postgres' ? Math.max(1, Math.floor(options.concurrency ?? 3)) : 1;
    const chunkSize = options.chunkSize ?? 5_000;
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK) {
      throw new RangeError(`chunkSize must be an integer in 1…${MAX_CHUNK}`);
    }
    this.#chunkSize = chunkSize;
  }

  /** Runs `work` in one transaction, with a repository bound to it. */
  transaction<T>(work: (repo: BarRepository) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx) => work(new BarRepository(tx, { chunkSize: this.#chunkSize })));
  }

  /**
   * Inserts or updates bars by key (symbol, interval, ts).
   *
   * A row whose key exists is rewritten only if a value differs (`IS DISTINCT FROM`); its revision then
   * becomes `max(row.revision, stored.revision + 1)`, so the stored revision never goes backwards and
   * every stored change bumps it (a correction from the session carries its new revision; a re-import
   * of changed data bumps it by one). Within one call, the last row of a key wins.
   */
  async upsertBars(rows: readonly BarRecord[], options: UpsertOptions = {}): Promise<UpsertResult> {
    const unique = options.distinct === true ? rows : dedupeBars(rows);
    let stored = 0;
    const size = this.#chunkSize;
    await runLimited(Math.ceil(unique.length / size), this.#concurrency, async (i) => {
      const written = await this.#upsertChunk(unique.slice(i * size, (i + 1) * size));
      stored += written;
    });
    return { stored, unchanged: unique.length - stored, superseded: rows.length - unique.length };
  }

  async #upsertChunk(rows: readonly BarRecord[]): Promise<number> {
    const n = rows.length;
    const symbols = new Array<string>(n);
    const intervals = new Array<string>(n);
    const dates = new Array<string>(n);
    const tss = new Array<number>(n);
    const opens = new Array<number>(n);
    const highs = new Array<number>(n);
    const lows = new Array<number>(n);
    const closes = new Array<number>(n);
    const volumes = new Array<number>(n);
    const vwaps = new Array<number | null>(n);
    const tradeCounts = new Array<number | null>(n);
    const revisions = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      symbols[i] = r.symbol;
      intervals[i] = r.interval;
      dates[i] = r.sessionDate;
      tss[i] = r.ts;
      opens[i] = r.open;
      highs[i] = r.high;
      lows[i] = r.low;
      closes[i] = r.close;
      volumes[i] = r.volume;
      vwaps[i] = r.vwap;
      tradeCounts[i] = r.tradeCount;
      revisions[i] = r.revision;
    }
    const query = sql`insert into ${bars} as b
        (symbol, interval, ts, session_date, open, high, low, close, volume, vwap, trade_count, revision)
      select * from unnest(
        ${textArrayLiteral(symbols)}::text[], ${textArrayLiteral(intervals)}::text[],
        ${numberArrayLiteral(tss)}::int8[], ${textArrayLiteral(dates)}::date[],
        ${numberArrayLiteral(opens)}::float8[], ${numberArrayLiteral(highs)}::float8[],
        ${numberArrayLiteral(lows)}::float8[], ${numberArrayLiteral(closes)}::float8[],
        ${numberArrayLiteral(volumes)}::float8[], ${numberArrayLiteral(vwaps)}::float8[],
        ${numberArrayLiteral(tradeCounts)}::int4[], ${numberArrayLiteral(revisions)}::int4[])
      on conflict (symbol, interval, ts) do update set
        session_date = excluded.session_date, open = excluded.open, high = excluded.high,
        low = excluded.low, close = excluded.close, volume = excluded.volume, vwap = excluded.vwap,
        trade_count = excluded.trade_count, revision = greatest(excluded.revision, b.revision + 1)
      where (b.session_date, b.open, b.high, b.low, b.close, b.volume, b.vwap, b.trade_count)
        is distinct from (excluded.session_date, excluded.open, excluded.high, excluded.low,
          excluded.close, excluded.volume, excluded.vwap, excluded.trade_count)`;
    return affectedRows(await this.#db.execute(query));
  }

  /** Bars of one symbol and interval with `from ≤ ts < to`, ascending. */
  async readBars(symbol: string, interval: string, from: Instant, to: Instant): Promise<StoredBar[]> {
    const rows = await this.#db
      .select(barColumns)
      .from(bars)
      .where(and(eq(bars.symbol, symbol), eq(bars.interval, interval), gte(bars.ts, from), lt(bars.ts, to)))
      .orderBy(asc(bars.ts));
    // The selection is exactly a StoredBar's fields.
    return rows;
  }

  /**
   * The bars of each (symbol, interval, session date) key, ascending, in ONE statement however many
   * keys: the result is aligned with `keys` (an empty array for a key without bars).
   */
  async readSessionBars(keys: readonly SessionBarsKey[]): Promise<StoredBar[][]> {
    const out = keys.map((): StoredBar[] => []);
    if (keys.length === 0) return out;
    const { unique, positions } = indexKeys(keys);
    // Rows carry the key's ordinal rather than its text, and ts as float8 (exact below 2^53), so both
    // drivers hand back plain numbers. They are put in order here, per key: sorting them on the server
    // would sort (and on a small work_mem spill) every column of every row.
    const rows = await rowsOf<BarRow & { i: number }>(
      this.#db,
      sql`select k.i::int4 as i, b.ts::float8 as ts, b.open, b.high, b.low, b.close, b.volume, b.vwap,
          b.trade_count, b.revision
        from unnest(${keyArrays(unique)}) with ordinality as k(symbol, interval, d, i)
        join ${bars} b on b.symbol = k.symbol and b.interval = k.interval and b.session_date = k.d`,
    );
    const groups = unique.map((): StoredBar[] => []);
    for (const row of rows) groups[row.i - 1]!.push(fromBarRow(row));
    unique.forEach((k, u) => {
      const group = groups[u]!;
      sortByTs(group);
      const targets = positions.get(keyOf(k.symbol, k.interval, k.date))!;
      out[targets[0]!] = group;
      for (let t = 1; t < targets.length; t++) out[targets[t]!] = [...group];
    });
    return out;
  }

  /**
   * Appends quotes under their key (symbol, session date, arrival number). A quote whose key is
   * already stored is skipped, so a write retried after a lost acknowledgement stores nothing twice.
   */
  async appendQuotes(rows: readonly QuoteRecord[]): Promise<void> {
    for (let start = 0; start < rows.length; start += this.#chunkSize) {
      const chunk = rows.slice(start, start + this.#chunkSize);
      await this.#db.execute(sql`insert into ${quotes} (symbol, session_date, seq, ts, bid, bid_size, ask, ask_size)
        select * from unnest(${textArrayLiteral(chunk.map((q) => q.symbol))}::text[],
          ${textArrayLiteral(chunk.map((q) => q.sessionDate))}::date[],
          ${numberArrayLiteral(chunk.map((q) => q.seq))}::int4[],
          ${numberArrayLiteral(chunk.map((q) => q.ts))}::int8[],
          ${numberArrayLiteral(chunk.map((q) => q.bid))}::float8[],
          ${numberArrayLiteral(chunk.map((q) => q.bidSize))}::float8[],
          ${numberArrayLiteral(chunk.map((q) => q.ask))}::float8[],
          ${numberArrayLiteral(chunk.map((q) => q.askSize))}::float8[])
        on conflict do nothing`);
    }
  }

  /** Appends trade prints under their key, like {@link appendQuotes}. */
  async appendTicks(rows: readonly TickRecord[]): Promise<void> {
    for (let start = 0; start < rows.length; start += this.#chunkSize) {
      const chunk = rows.slice(start, start + this.#chunkSize);
      await this.#db.execute(sql`insert into ${ticks} (symbol, session_date, seq, ts, price, size)
        select * from unnest(${textArrayLiteral(chunk.map((t) => t.symbol))}::text[],
          ${textArrayLiteral(chunk.map((t) => t.sessionDate))}::date[],
          ${numberArrayLiteral(chunk.map((t) => t.seq))}::int4[],
          ${numberArrayLiteral(chunk.map((t) => t.ts))}::int8[],
          ${numberArrayLiteral(chunk.map((t) => t.price))}::float8[],
          ${numberArrayLiteral(chunk.map((t) => t.size))}::float8[])
        on conflict do nothing`);
    }
  }

  /**
   * A symbol's stored quotes of one session date with `from ≤ ts < to`, for a restore: the latest
   * `limit` in arrival order, how many there are, and the arrival number after every stored quote
   * of the date (whatever its ts). One statement.
   */
  async readStoredQuotes(
    symbol: string,
    date: IsoDate,
    from: Instant,
    to: Instant,
    limit: number,
  ): Promise<StoredMarketData<Quote>> {
    const rows = await this.#readStoredMarketData<{
      bid: number;
      bid_size: number;
      ask: number;
      ask_size: number;
    }>(quotes, sql`bid, bid_size, ask, ask_size`, { symbol, date, from, to, limit });
    return storedMarketData(rows, (r) => ({
      ts: Number(r.ts),
      bid: r.bid,
      bidSize: r.bid_size,
      ask: r.ask,
      askSize: r.ask_size,
    }));
  }

  /** A symbol's stored ticks of one session date, like {@link readStoredQuotes}. */
  async readStoredTicks(
    symbol: string,
    date: IsoDate,
    from: Instant,
    to: Instant,
    limit: number,
  ): Promise<StoredMarketData<Tick>> {
    const rows = await this.#readStoredMarketData<{ price: number; size: number }>(ticks, sql`price, size`, {
      symbol,
      date,
      from,
      to,
      limit,
    });
    return storedMarketData(rows, (r) => ({ ts: Number(r.ts), price: r.price, size: r.size }));
  }

  /** The date's figures joined to its latest `limit` items of `table` (quotes or ticks). */
  #readStoredMarketData<R>(
    table: typeof quotes | typeof ticks,
    columns: SQL,
    k: { symbol: string; date: IsoDate; from: Instant; to: Instant; limit: number },
  ): Promise<(MarketDataRow & R)[]> {
    return rowsOf<MarketDataRow & R>(
      this.#db,
      sql`select s.next, s.count, m.ts::float8 as ts, ${columns}
        from (select coalesce(max(seq) + 1, 0)::int4 as next,
                (count(*) filter (where ts >= ${k.from} and ts < ${k.to}))::int4 as count
              from ${table} where symbol = ${k.symbol} and session_date = ${k.date}) s
        left join lateral (select * from ${table}
              where symbol = ${k.symbol} and session_date = ${k.date} and ts >= ${k.from} and ts < ${k.to}
              order by seq desc limit ${k.limit}) m on true
        order by m.seq`,
    );
  }

  /** Creates or replaces a symbol's configuration. */
  async saveSymbolConfig(config: SymbolSettings): Promise<void> {
    const values = {
      symbol: config.symbol,
      baseInterval: config.baseInterval,
      derivedIntervals: [...config.derivedIntervals],
      historicalDays: config.historicalDays,
      extendedHours: config.extendedHours,
      indicators: [...config.indicators],
    };
    const { symbol: _symbol, ...update } = values;
    await this.#db
      .insert(symbolConfig)
      .values(values)
      .onConflictDoUpdate({ target: symbolConfig.symbol, set: { ...update, updatedAt: sql`now()` } });
  }

  /** Deletes a symbol's configuration (its bars stay); nothing happens if there is none. */
  async deleteSymbolConfig(symbol: string): Promise<void> {
    await this.#db.delete(symbolConfig).where(eq(symbolConfig.symbol, symbol));
  }

  /** Every symbol configuration, by symbol. */
  async listSymbolConfigs(): Promise<SymbolSettings[]> {
    const rows = await this.#db.select().from(symbolConfig).orderBy(asc(symbolConfig.symbol));
    return rows.map((r) => ({
      symbol: r.symbol,
      baseInterval: r.baseInterval,
      derivedIntervals: r.derivedIntervals,
      historicalDays: r.historicalDays,
      extendedHours: r.extendedHours,
      indicators: r.indicators,
    }));
  }

  /** Creates or replaces the session state. */
  async saveSessionState(state: PersistedSessionState): Promise<void> {
    const values = {
      date: state.date,
      clockMode: state.clockMode,
      active: state.active,
      clock: state.clock,
      replaySpeed: state.replaySpeed ?? null,
    };
    await this.#db
      .insert(sessionState)
      .values({ id: 1, ...values })
      .onConflictDoUpdate({ target: sessionState.id, set: { ...values, updatedAt: sql`now()` } });
  }

  /** The saved session state, or null when none was ever saved. */
  async loadSessionState(): Promise<PersistedSessionState | null> {
    const rows = await this.#db.select().from(sessionState).where(eq(sessionState.id, 1));
    const row = rows[0];
    if (row === undefined) return null;
    return {
      date: row.date,
      clockMode: row.clockMode as ClockMode,
      active: row.active,
      clock: row.clock,
      replaySpeed: row.replaySpeed,
    };
  }
}

const barColumns = {
  ts: bars.ts,
  open: bars.open,
  high: bars.high,
  low: bars.low,
  close: bars.close,
  volume: bars.volume,
  vwap: bars.vwap,
  tradeCount: bars.tradeCount,
  revision: bars.revision,
};

/** A bar as a raw statement returns it (`ts` selected as float8). */
interface BarRow {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number | null;
  trade_count: number | null;
  revision: number;
}

function fromBarRow(r: BarRow): StoredBar {
  return {
    ts: r.ts,
    open: r.open,
    high: r.high,
    low: r.low,
    close: r.close,
    volume: r.volume,
    vwap: r.vwap,
    tradeCount: r.trade_count,
    revision: r.revision,
  };
}

/** Sorts bars by ts in place (skipped when already in order, as they usually are). */
function sortByTs(group: StoredBar[]): void {
  for (let i = 1; i < group.length; i++) {
    if (group[i - 1]!.ts > group[i]!.ts) {
      group.sort((a, b) => a.ts - b.ts);
      return;
    }
  }
}

function keyOf(symbol: string, interval: string, date: string): string {
  return `${symbol}\u0000${interval}\u0000${date}`;
}

/** Distinct keys, and the positions in the input of each. */
function indexKeys(keys: readonly SessionBarsKey[]): {
  unique: SessionBarsKey[];
  positions: Map<string, number[]>;
} {
  const positions = new Map<string, number[]>();
  const unique: SessionBarsKey[] = [];
  keys.forEach((k, i) => {
    const key = keyOf(k.symbol, k.interval, k.date);
    const list = positions.get(key);
    if (list === undefined) {
      positions.set(key, [i]);
      unique.push(k);
    } else {
      list.push(i);
    }
  });
  return { unique, positions };
}

/** The three array arguments of `unnest(symbols, intervals, dates)`. */
function keyArrays(keys: readonly SessionBarsKey[]): SQL {
  return sql`${textArrayLiteral(keys.map((k) => k.symbol))}::text[], ${textArrayLiteral(
    keys.map((k) => k.interval),
  )}::text[], ${textArrayLiteral(keys.map((k) => k.date))}::date[]`;
}

/** Keeps the last row of each key, in first-seen order. */
function dedupeBars(rows: readonly BarRecord[]): readonly BarRecord[] {
  // Nested maps with numeric ts keys: no key string per row.
  const seen = new Map<string, Map<string, Map<number, number>>>();
  let duplicates = false;
  const out: BarRecord[] = [];
  for (const row of rows) {
    let byInterval = seen.get(row.symbol);
    if (byInterval === undefined) {
      byInterval = new Map();
      seen.set(row.symbol, byInterval);
    }
    let series = byInterval.get(row.interval);
    if (series === undefined) {
      series = new Map();
      byInterval.set(row.interval, series);
    }
    const at = series.get(row.ts);
    if (at === undefined) {
      series.set(row.ts, out.length);
      out.push(row);
    } else {
      out[at] = row;
      duplicates = true;
    }
  }
  return duplicates ? out : rows;
}

/**
 * Runs `task(0…count-1)` with at most `limit` at a time. On a failure no new task starts; the promise
 * rejects with the first error once the running ones have settled.
 */
async function runLimited(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}

/** Rows written by a raw statement: postgres.js reports `count`, PGlite `affectedRows`. */
function affectedRows(result: unknown): number {
  const r = result as { count?: unknown; affectedRows?: unknown };
  return Number(Array.isArray(result) ? r.count : (r.affectedRows ?? 0));
}

/** Rows of a raw statement: postgres.js returns an array, PGlite an object with `rows`. */
/** A row of a stored quotes/ticks read: the date's figures, then one item (null columns: none). */
interface MarketDataRow {
  readonly next: number;
  readonly count: number;
  readonly ts: number | string | null;
}

function storedMarketData<R extends MarketDataRow, T>(
  rows: readonly R[],
  item: (row: R) => T,
): StoredMarketData<T> {
  const first = rows[0];
  return {
    items: rows.filter((r) => r.ts !== null).map(item),
    count: Number(first?.count ?? 0),
    next: Number(first?.next ?? 0),
  };
}

async function rowsOf<T>(db: StoreDb, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  if (Array.isArray(result)) return result as T[];
  return (result as { rows: T[] }).rows;
}
