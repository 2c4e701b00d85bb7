/**
 * The symbol_config and session_state tables: what a restarted server needs to rebuild the same
 * tree (each symbol's settings; the session's date, clock mode, clock and replay speed).
 */
import { asc, eq, sql } from 'drizzle-orm';
import { sessionState, symbolConfig } from '../../drizzle/schema.ts';
import type { SymbolSettings } from '../domain/symbol-settings.ts';
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
