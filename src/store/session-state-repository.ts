/**
 * The symbol_config, session_state and feed_outages tables: what a restarted server needs to
 * rebuild the same tree (each symbol's settings; the session's date, clock mode, clock and replay
 * speed; the feeds' outages).
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { feedOutages, sessionState, symbolConfig } from '../../drizzle/schema.ts';
import { type FeedState, MAX_OUTAGES, type Outage } from '../domain/feed-health.ts';
import { type BarSource, DEFAULT_FEED, type SymbolSettings } from '../domain/symbol-settings.ts';
import type { ClockMode, PersistedSessionState } from '../domain/types.ts';
import type { Database, StoreDb } from './database.ts';

/** Saves and reads the symbols' configuration and the session state. */
export class SessionStateRepository {
  readonly #db: StoreDb;

  /** @param database an open {@link Database} (or a drizzle database / transaction of the same schema). */
  constructor(database: Database | StoreDb) {
    this.#db = 'driver' in database ? database.db : database;
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
      source: config.source ?? 'BARS',
      feed: config.feed ?? DEFAULT_FEED,
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
      source: r.source as BarSource,
      feed: r.feed,
    }));
  }

  /** Records the start of an outage (a feed reported DOWN). Idempotent. */
  async openOutage(feed: string, outage: Outage): Promise<void> {
    await this.#db
      .insert(feedOutages)
      .values({ feed, startTs: outage.start, endTs: outage.end, reason: outage.reason })
      .onConflictDoNothing();
  }

  /** Closes a feed's open outage at `end` (the feed reported UP). */
  async closeOutage(feed: string, end: number): Promise<void> {
    await this.#db
      .update(feedOutages)
      .set({ endTs: end })
      .where(and(eq(feedOutages.feed, feed), isNull(feedOutages.endTs)));
  }

  /**
   * Every feed reported on, with its latest outages (at most {@link MAX_OUTAGES}, ascending): its
   * status is DOWN since the start of an open last outage, else UP since the end of the last one.
   */
  async listFeedStates(): Promise<FeedState[]> {
    const rows = await this.#db
      .select()
      .from(feedOutages)
      .orderBy(asc(feedOutages.feed), asc(feedOutages.startTs));
    const byFeed = new Map<string, Outage[]>();
    for (const r of rows) {
      const list = byFeed.get(r.feed) ?? [];
      list.push({ start: r.startTs, end: r.endTs, reason: r.reason });
      byFeed.set(r.feed, list);
    }
    return [...byFeed].map(([feed, all]) => {
      const outages = all.slice(-MAX_OUTAGES);
      const last = outages.at(-1)!;
      return last.end === null
        ? { feed, status: 'DOWN' as const, since: last.start, outages }
        : { feed, status: 'UP' as const, since: last.end, outages };
    });
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
