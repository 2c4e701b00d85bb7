/**
 * The context of every GraphQL operation and the ports it holds: what the resolvers need from the
 * session service, the per-request loaders of stored bars and the metrics. Implemented below the
 * GraphQL layer (`src/service/`, `src/store/`, `src/http/metrics.ts`), wired in `src/app.ts`.
 */
import type { FeedState, FeedStatus } from '../domain/feed-health.ts';
import type { HistoryPageRequest, HistoryPageResult } from '../domain/history-page.ts';
import type { SymbolSettingsInput } from '../domain/symbol-settings.ts';
import type {
  BarInput,
  ClockMode,
  IngestResult,
  Instant,
  IsoDate,
  QuoteInput,
  SessionBarsKey,
  StoredBar,
  TickInput,
} from '../domain/types.ts';
import type { ReplayStatus } from '../feed/replay.ts';
import type { SessionData } from '../session/session-data.ts';
import type { SymbolSessionData } from '../session/symbol-session-data.ts';
import type { Limits } from './limits.ts';
import type { SessionPubSub } from './pubsub.ts';

/**
 * What the GraphQL layer needs from the session service (`src/service/session-service.ts`).
 * Every mutation goes through it; reads go straight to `session`, the in-memory tree.
 */
export interface GraphqlService {
  readonly session: SessionData;
  /** `replaySpeed`: REPLAY only, market time per wall time (the service's default when omitted). */
  startSession(date: IsoDate, mode: ClockMode, replaySpeed?: number): Promise<void>;
  endSession(): Promise<void>;
  advanceClock(to: Instant): Promise<void>;
  loadSymbol(input: SymbolSettingsInput): Promise<SymbolSessionData>;
  removeSymbol(symbol: string): Promise<boolean>;
  /** Ingest: a promise on a replica (answered once the batch is in the log and applied there). */
  ingestBars(bars: readonly BarInput[]): IngestResult | Promise<IngestResult>;
  ingestQuotes(quotes: readonly QuoteInput[]): IngestResult | Promise<IngestResult>;
  ingestTicks(ticks: readonly TickInput[]): IngestResult | Promise<IngestResult>;
  /** Records a feed's status (and persists it when there is a store). */
  reportFeedStatus(feed: string, status: FeedStatus, at: Instant, reason: string | null): Promise<FeedState>;
  /**
   * Resolves when what was ingested may be acknowledged: committed to the store in durable mode,
   * at once in write-behind mode. Rejects with STORE_UNAVAILABLE when the commit does not come.
   * A replica has none: its batches are acknowledged once they are in the command log.
   */
  acknowledged?(): Promise<void>;
  /** Pauses the running replay; false when none runs. */
  pauseReplay?(): boolean | Promise<boolean>;
  /** Resumes a paused replay; false when none runs. */
  resumeReplay?(): boolean | Promise<boolean>;
  /** Where the replay stands; null when no replay runs. */
  replayStatus?(): ReplayStatus | null;
}

/**
 * The per-request loaders of stored data (fresh for every request, so nothing is cached across
 * requests). `storedBars` batches every key a request asks for into one SQL statement.
 */
export interface HistoryLoaders {
  readonly storedBars: { load(key: SessionBarsKey): Promise<readonly StoredBar[]> };
  /** Pages of stored history: every request of a tick in one statement (src/store/history-pages.ts). */
  readonly historyPages: { load(request: HistoryPageRequest): Promise<HistoryPageResult> };
}

/** Outcome of the admin check of a request. */
export type AdminAccess = 'granted' | 'missing' | 'invalid';

/** Counters the resolvers feed (Prometheus, see src/http/metrics.ts). */
export interface GraphqlMetrics {
  /** One ingest mutation: how many items were accepted and the code of each refused one. */
  ingested(kind: 'bars' | 'quotes' | 'ticks', accepted: number, rejectedCodes: readonly string[]): void;
}

/** The context of every GraphQL operation (one per HTTP request or WebSocket/SSE operation). */
export interface Context {
  readonly service: GraphqlService;
  readonly session: SessionData;
  /** Whether the request carried the admin token. */
  readonly admin: AdminAccess;
  /** Per-request loaders of stored bars; null when the server runs without a store. */
  readonly loaders: HistoryLoaders | null;
  readonly limits: Limits;
  readonly pubsub: SessionPubSub;
  readonly metrics: GraphqlMetrics | null;
  /** Aborted when the HTTP client goes away (SSE); null over WebSocket. */
  readonly signal: AbortSignal | null;
  /** Per-request memo (e.g. historical days read from the store), keyed by the caller. */
  readonly memo: Map<string, unknown>;
}
