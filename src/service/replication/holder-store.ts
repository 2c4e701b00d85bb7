/**
 * The store as a replica's session service sees it: reads go to PostgreSQL, writes (symbol
 * configuration, session state) are made by the lease holder only, one after another in the order
 * the records were applied, without holding up the applying (a failed write is logged; the next
 * holder writes the whole state again when it takes over).
 */
import type { Outage } from '../../domain/feed-health.ts';
import type { SymbolSettings } from '../../domain/symbol-settings.ts';
import type { Instant, PersistedSessionState } from '../../domain/types.ts';
import type { SessionStore } from '../session-service.ts';

/** The holder-only writing store (see the module comment). */
export class HolderStore implements SessionStore {
  #chain: Promise<void> = Promise.resolve();
  readonly readSessionBars: SessionStore['readSessionBars'];
  readonly readStoredQuotes: SessionStore['readStoredQuotes'];
  readonly readStoredTicks: SessionStore['readStoredTicks'];
  readonly listSymbolConfigs: SessionStore['listSymbolConfigs'];
  readonly loadSessionState: SessionStore['loadSessionState'];
  readonly readTradeLog: SessionStore['readTradeLog'];
  readonly listFeedStates: SessionStore['listFeedStates'];

  constructor(
    private readonly store: SessionStore,
    private readonly isHolder: () => boolean,
    private readonly onError: (error: unknown) => void,
  ) {
    this.readSessionBars = (keys) => store.readSessionBars(keys);
    this.readStoredQuotes = (...args) => store.readStoredQuotes(...args);
    this.readStoredTicks = (...args) => store.readStoredTicks(...args);
    this.listSymbolConfigs = () => store.listSymbolConfigs();
    this.loadSessionState = () => store.loadSessionState();
    this.readTradeLog = (symbol, date) => store.readTradeLog(symbol, date);
    this.listFeedStates = () => store.listFeedStates();
  }

  /** Queues a task after every write queued so far (the holder's store work, in apply order). */
  queue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(task);
    this.#chain = run.then(
      () => undefined,
      (error: unknown) => this.onError(error),
    );
    return run;
  }

  /** Resolves when every queued write is done. */
  drain(): Promise<void> {
    return this.#chain;
  }

  private write(task: () => Promise<void>): Promise<void> {
    if (this.isHolder()) void this.queue(task).catch(() => undefined);
    return Promise.resolve();
  }

  saveSymbolConfig(settings: SymbolSettings): Promise<void> {
    return this.write(() => this.store.saveSymbolConfig(settings));
  }

  deleteSymbolConfig(symbol: string): Promise<void> {
    return this.write(() => this.store.deleteSymbolConfig(symbol));
  }

  saveSessionState(state: PersistedSessionState): Promise<void> {
    return this.write(() => this.store.saveSessionState(state));
  }

  openOutage(feed: string, outage: Outage): Promise<void> {
    return this.write(() => this.store.openOutage(feed, outage));
  }

  closeOutage(feed: string, end: Instant): Promise<void> {
    return this.write(() => this.store.closeOutage(feed, end));
  }
}
