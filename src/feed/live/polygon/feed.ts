/**
 * The Polygon/Massive feed: the stocks stream core (./protocol.ts) in the WebSocket shell
 * (../shell.ts), with backfill from the aggregates endpoint and, for `TRADES` symbols, the v3 trades
 * endpoint (./rest.ts).
 */
import type { Instant } from '../../../domain/types.ts';
import type { BackoffOptions } from '../backoff.ts';
import type { GetJsonOptions } from '../rest.ts';
import { StreamFeed } from '../shell.ts';
import type { FeedSink } from '../types.ts';
import { PolygonCore } from './protocol.ts';
import { fetchPolygonBars, fetchPolygonTrades } from './rest.ts';

/** Defaults: the provider's own hosts (Massive, formerly Polygon.io). */
export const POLYGON_DEFAULTS = {
  wsUrl: 'wss://socket.massive.com/stocks',
  restUrl: 'https://api.massive.com',
} as const;

/** What a Polygon feed needs. */
export interface PolygonFeedOptions {
  /** POLYGON_API_KEY. */
  readonly key: string;
  /** POLYGON_WS_URL (the stocks cluster URL). */
  readonly wsUrl?: string;
  /** POLYGON_REST_URL. */
  readonly restUrl?: string;
  readonly sink: FeedSink;
  readonly now?: () => Instant;
  readonly pingIntervalMs?: number;
  readonly readTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  /** Repeats of an outage's backfill (see StreamFeedOptions.backfillRetriesMs). */
  readonly backfillRetriesMs?: readonly number[];
  readonly http?: Omit<GetJsonOptions, 'headers'>;
}

/** Builds a Polygon feed (not connected yet). */
export function createPolygonFeed(options: PolygonFeedOptions): StreamFeed {
  const rest = {
    baseUrl: options.restUrl ?? POLYGON_DEFAULTS.restUrl,
    key: options.key,
    ...(options.http ? { http: options.http } : {}),
  };
  return new StreamFeed({
    name: 'polygon',
    url: options.wsUrl ?? POLYGON_DEFAULTS.wsUrl,
    makeCore: (sink) => new PolygonCore({ key: options.key, sink }),
    history: (symbols, baseInterval, from, to, onPage) =>
      fetchPolygonBars(rest, symbols, baseInterval, from, to, onPage),
    historyIntervals: ['1m', '1s'],
    tradeHistory: (symbols, from, to, onPage) => fetchPolygonTrades(rest, symbols, from, to, onPage),
    sink: options.sink,
    secrets: [options.key],
    ...(options.now ? { now: options.now } : {}),
    ...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {}),
    ...(options.readTimeoutMs ? { readTimeoutMs: options.readTimeoutMs } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.backfillRetriesMs ? { backfillRetriesMs: options.backfillRetriesMs } : {}),
  });
}
