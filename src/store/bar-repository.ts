/**
 * The bars table: every read and write of stored base bars, domain types in and out (never drizzle
 * rows).
 *
 * Writes are `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM …`
 * statements: one parameter per column whatever the row count (far below PostgreSQL's 65,535
 * parameter limit), rows split into chunks of {@link RepositoryOptions.chunkSize} to bound the
 * statement size. A row whose values equal the stored ones is not rewritten and keeps its revision.
 */
import { and, asc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { bars } from '../../drizzle/schema.ts';
import type { HistoryPageRequest, HistoryPageResult } from '../domain/history-page.ts';
import type { Instant, IsoDate, SessionBarsKey, StoredBar } from '../domain/types.ts';
import { BarSet } from './bar-set.ts';
import type { Database, StoreDb } from './database.ts';
import { readHistoryPages } from './history-pages.ts';
import { numberArrayLiteral, textArrayLiteral } from './pg-array.ts';
import {
  affectedRows,
  type RepositoryOptions,
  rowsOf,
  runLimited,
  type StoreTarget,
  sessionBarsKeyOf,
  storeTarget,
} from './sql.ts';

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

/** Reads and writes stored base bars. */
export class BarRepository {
  readonly #target: StoreTarget;

  /** @param database an open {@link Database} (or a drizzle database / transaction of the same schema). */
  constructor(database: Database | StoreDb, options: RepositoryOptions = {}) {
    this.#target = storeTarget(database, options);
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
    const unique = options.distinct === true ? rows : latestOfEachKey(rows);
    let stored = 0;
    const size = this.#target.chunkSize;
    await runLimited(Math.ceil(unique.length / size), this.#target.concurrency, async (i) => {
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
    return affectedRows(await this.#target.db.execute(query));
  }

  /** Bars of one symbol and interval with `from ≤ ts < to`, ascending. */
  async readBars(symbol: string, interval: string, from: Instant, to: Instant): Promise<StoredBar[]> {
    const rows = await this.#target.db
      .select(barColumns)
      .from(bars)
      .where(and(eq(bars.symbol, symbol), eq(bars.interval, interval), gte(bars.ts, from), lt(bars.ts, to)))
      .orderBy(asc(bars.ts));
    // The selection is exactly a StoredBar's fields.
    return rows;
  }

  /**
   * Pages of stored history (base or derived bars, existence probes, counts), in ONE statement
   * however many requests, each costing what its page costs (src/store/history-pages.ts): results
   * aligned with `requests`.
   */
  readHistoryPages(requests: readonly HistoryPageRequest[]): Promise<HistoryPageResult[]> {
    return readHistoryPages(this.#target, requests);
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
      this.#target.db,
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
      const targets = positions.get(sessionBarsKeyOf(k))!;
      out[targets[0]!] = group;
      for (let t = 1; t < targets.length; t++) out[targets[t]!] = [...group];
    });
    return out;
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

/** Distinct keys, and the positions in the input of each. */
function indexKeys(keys: readonly SessionBarsKey[]): {
  unique: SessionBarsKey[];
  positions: Map<string, number[]>;
} {
  const positions = new Map<string, number[]>();
  const unique: SessionBarsKey[] = [];
  keys.forEach((k, i) => {
    const key = sessionBarsKeyOf(k);
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

/** The last row of each key (the input itself when its keys are distinct). */
function latestOfEachKey(rows: readonly BarRecord[]): readonly BarRecord[] {
  const set = new BarSet<BarRecord>();
  for (const row of rows) set.set(row);
  return set.size === rows.length ? rows : set.values();
}
