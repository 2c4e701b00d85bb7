/**
 * The store's entry point: one object over the three table repositories, so the service, the writer,
 * the import and the loaders all take the same thing. A caller that needs one table can take that
 * repository alone ({@link Repository.bars}, {@link Repository.marketData},
 * {@link Repository.sessionState}).
 */
import type { FeedState, Outage } from '../domain/feed-health.ts';
import type { HistoryPageRequest, HistoryPageResult } from '../domain/history-page.ts';
import type { SymbolSettings } from '../domain/symbol-settings.ts';
import type {
  Instant,
  IsoDate,
  PersistedSessionState,
  Quote,
  SessionBarsKey,
  StoredBar,
  StoredMarketData,
  Tick,
} from '../domain/types.ts';
import { type BarRecord, BarRepository, type UpsertOptions, type UpsertResult } from './bar-repository.ts';
import type { Database, StoreDb } from './database.ts';
import { MarketDataRepository, type QuoteRecord, type TickRecord } from './market-data-repository.ts';
import { SessionStateRepository } from './session-state-repository.ts';
import type { RepositoryOptions } from './sql.ts';

/** Reads and writes bars, quotes, ticks, symbol configuration and session state. */
export class Repository {
  /** The bars table. */
  readonly bars: BarRepository;
  /** The quotes and ticks tables. */
  readonly marketData: MarketDataRepository;
  /** The symbol configuration and the session state. */
  readonly sessionState: SessionStateRepository;
  readonly #db: StoreDb;
  readonly #options: RepositoryOptions;

  /** @param database an open {@link Database} (or a drizzle database / transaction of the same schema). */
  constructor(database: Database | StoreDb, options: RepositoryOptions = {}) {
    this.#db = 'driver' in database ? database.db : database;
    this.#options = options;
    this.bars = new BarRepository(database, options);
    this.marketData = new MarketDataRepository(database, options);
    this.sessionState = new SessionStateRepository(database);
  }

  /** Runs `work` in one transaction, with a repository bound to it (statements one at a time). */
  transaction<T>(work: (repo: Repository) => Promise<T>): Promise<T> {
    const options = this.#options.chunkSize === undefined ? {} : { chunkSize: this.#options.chunkSize };
    return this.#db.transaction((tx) => work(new Repository(tx, options)));
  }

  /** See {@link BarRepository.upsertBars}. */
  upsertBars(rows: readonly BarRecord[], options?: UpsertOptions): Promise<UpsertResult> {
    return this.bars.upsertBars(rows, options);
  }

  /** See {@link BarRepository.readBars}. */
  readBars(symbol: string, interval: string, from: Instant, to: Instant): Promise<StoredBar[]> {
    return this.bars.readBars(symbol, interval, from, to);
  }

  /** See {@link BarRepository.readSessionBars}. */
  readSessionBars(keys: readonly SessionBarsKey[]): Promise<StoredBar[][]> {
    return this.bars.readSessionBars(keys);
  }

  /** See {@link BarRepository.readHistoryPages}. */
  readHistoryPages(requests: readonly HistoryPageRequest[]): Promise<HistoryPageResult[]> {
    return this.bars.readHistoryPages(requests);
  }

  /** See {@link MarketDataRepository.appendQuotes}. */
  appendQuotes(rows: readonly QuoteRecord[]): Promise<void> {
    return this.marketData.appendQuotes(rows);
  }

  /** See {@link MarketDataRepository.appendTicks}. */
  appendTicks(rows: readonly TickRecord[]): Promise<void> {
    return this.marketData.appendTicks(rows);
  }

  /** See {@link MarketDataRepository.readStoredQuotes}. */
  readStoredQuotes(
    symbol: string,
    date: IsoDate,
    from: Instant,
    to: Instant,
    limit: number,
  ): Promise<StoredMarketData<Quote>> {
    return this.marketData.readStoredQuotes(symbol, date, from, to, limit);
  }

  /** See {@link MarketDataRepository.readStoredTicks}. */
  readStoredTicks(
    symbol: string,
    date: IsoDate,
    from: Instant,
    to: Instant,
    limit: number,
  ): Promise<StoredMarketData<Tick>> {
    return this.marketData.readStoredTicks(symbol, date, from, to, limit);
  }

  /** See {@link MarketDataRepository.readTradeLog}. */
  readTradeLog(symbol: string, date: IsoDate): Promise<Tick[]> {
    return this.marketData.readTradeLog(symbol, date);
  }

  /** See {@link SessionStateRepository.openOutage}. */
  openOutage(feed: string, outage: Outage): Promise<void> {
    return this.sessionState.openOutage(feed, outage);
  }

  /** See {@link SessionStateRepository.closeOutage}. */
  closeOutage(feed: string, end: Instant): Promise<void> {
    return this.sessionState.closeOutage(feed, end);
  }

  /** See {@link SessionStateRepository.listFeedStates}. */
  listFeedStates(): Promise<FeedState[]> {
    return this.sessionState.listFeedStates();
  }

  /** See {@link SessionStateRepository.saveSymbolConfig}. */
  saveSymbolConfig(config: SymbolSettings): Promise<void> {
    return this.sessionState.saveSymbolConfig(config);
  }

  /** See {@link SessionStateRepository.deleteSymbolConfig}. */
  deleteSymbolConfig(symbol: string): Promise<void> {
    return this.sessionState.deleteSymbolConfig(symbol);
  }

  /** See {@link SessionStateRepository.listSymbolConfigs}. */
  listSymbolConfigs(): Promise<SymbolSettings[]> {
    return this.sessionState.listSymbolConfigs();
  }

  /** See {@link SessionStateRepository.saveSessionState}. */
  saveSessionState(state: PersistedSessionState): Promise<void> {
    return this.sessionState.saveSessionState(state);
  }

  /** See {@link SessionStateRepository.loadSessionState}. */
  loadSessionState(): Promise<PersistedSessionState | null> {
    return this.sessionState.loadSessionState();
  }
}
