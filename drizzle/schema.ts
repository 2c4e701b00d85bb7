/**
 * Table sources for drizzle-kit (`npm run db:generate` writes the SQL into `migrations/`).
 *
 * Only what cannot be derived is stored: base bars, quotes, ticks (for a symbol built from trades:
 * every trade message, its bars' source), the per-symbol configuration, the session state and the
 * feeds' outages. Derived bars, gaps, quality and indicators are recomputed from base bars.
 *
 * Instants are stored as `bigint` milliseconds since the Unix epoch (UTC), exactly the service's
 * `Instant`: no time-zone dependent text round trip (a `timestamptz` is rendered in the connection's
 * `TimeZone`, and both drivers hand it to drizzle as text), no `Date` allocation per row on the hot read
 * path, and exact equality with the in-memory keys. Humans can read them with
 * `to_timestamp(ts / 1000.0)`. The exchange date a bar belongs to is kept as a real `date`
 * (`session_date`), which is what history is queried by.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** Base bars (1s or 1m), one row per symbol, interval and bar start. */
export const bars = pgTable(
  'bars',
  {
    symbol: text('symbol').notNull(),
    /** Canonical interval name of the base series, e.g. `1m`. */
    interval: text('interval').notNull(),
    /** Bar start, UTC milliseconds. */
    ts: bigint('ts', { mode: 'number' }).notNull(),
    /** New York exchange date of the bar start. */
    sessionDate: date('session_date', { mode: 'string' }).notNull(),
    open: doublePrecision('open').notNull(),
    high: doublePrecision('high').notNull(),
    low: doublePrecision('low').notNull(),
    close: doublePrecision('close').notNull(),
    volume: doublePrecision('volume').notNull(),
    vwap: doublePrecision('vwap'),
    tradeCount: integer('trade_count'),
    /** 0 when first written, +1 for every stored change. */
    revision: integer('revision').notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'bars_pkey', columns: [t.symbol, t.interval, t.ts] }),
    index('bars_symbol_interval_date_idx').on(t.symbol, t.interval, t.sessionDate),
  ],
);

/**
 * Top-of-book quotes, append-only. `seq` numbers a symbol's quotes of one session date in arrival
 * order (0, 1, …; the tree assigns it when it accepts the quote), so several updates in one
 * millisecond are all kept, a restart restores them in arrival order, and a write retried after a
 * lost acknowledgement stores nothing twice.
 */
export const quotes = pgTable(
  'quotes',
  {
    symbol: text('symbol').notNull(),
    sessionDate: date('session_date', { mode: 'string' }).notNull(),
    seq: integer('seq').notNull(),
    ts: bigint('ts', { mode: 'number' }).notNull(),
    bid: doublePrecision('bid').notNull(),
    bidSize: doublePrecision('bid_size').notNull(),
    ask: doublePrecision('ask').notNull(),
    askSize: doublePrecision('ask_size').notNull(),
  },
  (t) => [primaryKey({ name: 'quotes_pkey', columns: [t.symbol, t.sessionDate, t.seq] })],
);

/** Trade prints, append-only, numbered like quotes (`seq`: arrival order per symbol and date). */
export const ticks = pgTable(
  'ticks',
  {
    symbol: text('symbol').notNull(),
    sessionDate: date('session_date', { mode: 'string' }).notNull(),
    seq: integer('seq').notNull(),
    ts: bigint('ts', { mode: 'number' }).notNull(),
    price: doublePrecision('price').notNull(),
    size: doublePrecision('size').notNull(),
    /** The venue's trade id (unique per symbol and day); null when the source gives none. */
    tradeId: text('trade_id'),
    exchange: text('exchange'),
    /** Sale conditions as a JSON array of strings (exact round trip, a blank code included). */
    conditions: text('conditions'),
    tape: text('tape'),
    /** A correction: the id of the trade it replaces. */
    replaces: text('replaces'),
    /** A cancel: the id of the trade it cancels (the row repeats that trade's fields). */
    cancels: text('cancels'),
  },
  (t) => [primaryKey({ name: 'ticks_pkey', columns: [t.symbol, t.sessionDate, t.seq] })],
);

/**
 * Outages of the data feeds: one row per period a feed was down, `end_ts` null while it lasts. A
 * feed's status is derived from its latest row (DOWN when open, UP since its end otherwise); a
 * feed never reported has none.
 */
export const feedOutages = pgTable(
  'feed_outages',
  {
    feed: text('feed').notNull(),
    startTs: bigint('start_ts', { mode: 'number' }).notNull(),
    endTs: bigint('end_ts', { mode: 'number' }),
    reason: text('reason'),
  },
  (t) => [primaryKey({ name: 'feed_outages_pkey', columns: [t.feed, t.startTs] })],
);

/** The settings of every symbol the session loads (restored at start-up). */
export const symbolConfig = pgTable('symbol_config', {
  symbol: text('symbol').primaryKey(),
  /** `1s` or `1m`. */
  baseInterval: text('base_interval').notNull(),
  derivedIntervals: text('derived_intervals').array().notNull().default(sql`'{}'::text[]`),
  historicalDays: integer('historical_days').notNull().default(0),
  extendedHours: boolean('extended_hours').notNull().default(false),
  indicators: text('indicators').array().notNull().default(sql`'{}'::text[]`),
  /** `BARS` (streamed) or `TRADES` (built from trades). */
  source: text('source').notNull().default('BARS'),
  /** The feed the symbol's data comes from. */
  feed: text('feed').notNull().default('api'),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
});

/** The session state: a single row (`id` = 1), written when a session starts, ends or moves its clock. */
export const sessionState = pgTable(
  'session_state',
  {
    id: integer('id').primaryKey().default(1),
    /** The session date (New York). */
    date: date('date', { mode: 'string' }).notNull(),
    clockMode: text('clock_mode').notNull().default('LIVE'),
    active: boolean('active').notNull().default(false),
    /** Session clock, UTC milliseconds; null when not started. */
    clock: bigint('clock', { mode: 'number' }),
    /** Market time per wall time of a REPLAY session; null otherwise. */
    replaySpeed: doublePrecision('replay_speed'),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [
    check('session_state_singleton', sql`${t.id} = 1`),
    check('session_state_clock_mode', sql`${t.clockMode} in ('LIVE', 'REPLAY', 'MANUAL')`),
  ],
);
