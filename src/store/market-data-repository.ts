/**
 * The quotes and ticks tables: append-only, keyed by (symbol, session date, arrival number), and the
 * reads a restore needs. Domain types in and out.
 */
import { type SQL, sql } from 'drizzle-orm';
import { quotes, ticks } from '../../drizzle/schema.ts';
import type {
  Instant,
  IsoDate,
  MarketDataKey,
  Quote,
  QuoteInput,
  StoredMarketData,
  Tick,
  TickInput,
} from '../domain/types.ts';
import type { Database, StoreDb } from './database.ts';
import { numberArrayLiteral, textArrayLiteral } from './pg-array.ts';
import { type RepositoryOptions, rowsOf, type StoreTarget, storeTarget } from './sql.ts';

/** A quote with the key it is stored under. */
export type QuoteRecord = QuoteInput & MarketDataKey;

/** A trade print with the key it is stored under. */
export type TickRecord = TickInput & MarketDataKey;

/** Appends and reads stored quotes and ticks. */
export class MarketDataRepository {
  readonly #target: StoreTarget;

  /** @param database an open {@link Database} (or a drizzle database / transaction of the same schema). */
  constructor(database: Database | StoreDb, options: RepositoryOptions = {}) {
    this.#target = storeTarget(database, options);
  }

  /**
   * Appends quotes under their key (symbol, session date, arrival number). A quote whose key is
   * already stored is skipped, so a write retried after a lost acknowledgement stores nothing twice.
   */
  async appendQuotes(rows: readonly QuoteRecord[]): Promise<void> {
    for (let start = 0; start < rows.length; start += this.#target.chunkSize) {
      const chunk = rows.slice(start, start + this.#target.chunkSize);
      await this.#target.db.execute(sql`insert into ${quotes} (symbol, session_date, seq, ts, bid, bid_size, ask, ask_size)
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
    for (let start = 0; start < rows.length; start += this.#target.chunkSize) {
      const chunk = rows.slice(start, start + this.#target.chunkSize);
      await this.#target.db.execute(sql`insert into ${ticks}
          (symbol, session_date, seq, ts, price, size, trade_id, exchange, conditions, tape, replaces, cancels)
        select * from unnest(${textArrayLiteral(chunk.map((t) => t.symbol))}::text[],
          ${textArrayLiteral(chunk.map((t) => t.sessionDate))}::date[],
          ${numberArrayLiteral(chunk.map((t) => t.seq))}::int4[],
          ${numberArrayLiteral(chunk.map((t) => t.ts))}::int8[],
          ${numberArrayLiteral(chunk.map((t) => t.price))}::float8[],
          ${numberArrayLiteral(chunk.map((t) => t.size))}::float8[],
          ${textArrayLiteral(chunk.map((t) => t.id ?? null))}::text[],
          ${textArrayLiteral(chunk.map((t) => t.exchange ?? null))}::text[],
          ${textArrayLiteral(chunk.map((t) => (t.conditions == null ? null : JSON.stringify(t.conditions))))}::text[],
          ${textArrayLiteral(chunk.map((t) => t.tape ?? null))}::text[],
          ${textArrayLiteral(chunk.map((t) => t.replaces ?? null))}::text[],
          ${textArrayLiteral(chunk.map((t) => t.cancels ?? null))}::text[])
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
    const rows = await this.#readStoredMarketData<TickColumns>(ticks, TICK_COLUMNS, {
      symbol,
      date,
      from,
      to,
      limit,
    });
    return storedMarketData(rows, tickOf);
  }

  /**
   * Every stored trade message of a symbol's session date, in arrival order (what rebuilds the trade
   * book of a symbol built from trades). One statement.
   */
  async readTradeLog(symbol: string, date: IsoDate): Promise<Tick[]> {
    const rows = await rowsOf<TickColumns & { ts: number | string }>(
      this.#target.db,
      sql`select ts::float8 as ts, ${TICK_COLUMNS} from ${ticks}
        where symbol = ${symbol} and session_date = ${date} order by seq`,
    );
    return rows.map(tickOf);
  }

  /** The date's figures joined to its latest `limit` items of `table` (quotes or ticks). */
  #readStoredMarketData<R>(
    table: typeof quotes | typeof ticks,
    columns: SQL,
    k: { symbol: string; date: IsoDate; from: Instant; to: Instant; limit: number },
  ): Promise<(MarketDataRow & R)[]> {
    return rowsOf<MarketDataRow & R>(
      this.#target.db,
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
}

/** The tick columns read back (besides ts). */
const TICK_COLUMNS = sql`price, size, trade_id, exchange, conditions, tape, replaces, cancels`;

interface TickColumns {
  readonly price: number;
  readonly size: number;
  readonly trade_id: string | null;
  readonly exchange: string | null;
  readonly conditions: string | null;
  readonly tape: string | null;
  readonly replaces: string | null;
  readonly cancels: string | null;
}

/** A stored tick: its print and the venue fields it was given (absent ones stay absent). */
function tickOf(r: TickColumns & { readonly ts: number | string | null }): Tick {
  return {
    ts: Number(r.ts),
    price: r.price,
    size: r.size,
    ...(r.trade_id !== null ? { id: r.trade_id } : {}),
    ...(r.exchange !== null ? { exchange: r.exchange } : {}),
    ...(r.conditions !== null ? { conditions: JSON.parse(r.conditions) as string[] } : {}),
    ...(r.tape !== null ? { tape: r.tape } : {}),
    ...(r.replaces !== null ? { replaces: r.replaces } : {}),
    ...(r.cancels !== null ? { cancels: r.cancels } : {}),
  };
}

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
