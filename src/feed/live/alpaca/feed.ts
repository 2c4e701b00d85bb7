/**
 * The Alpaca feed: the stock stream core (./protocol.ts) in the WebSocket shell (../shell.ts), with
 * backfill from `GET /v2/stocks/bars` and, for `TRADES` symbols, `GET /v2/stocks/trades` (./rest.ts). The stream URL is `{streamUrl}/v2/{feed}`.
 */
import type { Instant } from '../../../domain/types.ts';
import type { BackoffOptions } from '../backoff.ts';
import type { GetJsonOptions } from '../rest.ts';
import { StreamFeed } from '../shell.ts';
import type { FeedSink } from '../types.ts';
import { type AlpacaCodec, AlpacaCore } from './protocol.ts';
import { fetchAlpacaBars, fetchAlpacaTrades } from './rest.ts';

/** Defaults: the provider's own hosts. */
export const ALPACA_DEFAULTS = {
  dataUrl: 'https://data.alpaca.markets',
  streamUrl: 'wss://stream.data.alpaca.markets',
  feed: 'iex',
} as const;

/** What an Alpaca feed needs. */
export interface AlpacaFeedOptions {
  /** APCA_API_KEY_ID. */
  readonly key: string;
  /** APCA_API_SECRET_KEY. */
  readonly secret: string;
  /** APCA_API_DATA_URL (REST base). */
  readonly dataUrl?: string;
  /** APCA_API_STREAM_URL (stream base, without /v2/{feed}). */
  readonly streamUrl?: string;
  /** ALPACA_FEED: iex or sip. */
  readonly feed?: string;
  /** Wire encoding (default msgpack: less to parse). */
  readonly codec?: AlpacaCodec;
  /** Subscribe to trading statuses (halts); default true. */
  readonly statuses?: boolean;
  readonly sink: FeedSink;
  readonly now?: () => Instant;
  readonly pingIntervalMs?: number;
  readonly readTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  /** Repeats of an outage's backfill (see StreamFeedOptions.backfillRetriesMs). */
  readonly backfillRetriesMs?: readonly number[];
  readonly http?: Omit<GetJsonOptions, 'headers'>;
}

/** Builds an Alpaca feed (not connected yet). */
export function createAlpacaFeed(options: AlpacaFeedOptions): StreamFeed {
  const feed = options.feed ?? ALPACA_DEFAULTS.feed;
  const base = (options.streamUrl ?? ALPACA_DEFAULTS.streamUrl).replace(/\/+$/, '');
  const rest = {
    baseUrl: options.dataUrl ?? ALPACA_DEFAULTS.dataUrl,
    key: options.key,
    secret: options.secret,
    feed,
    ...(options.http ? { http: options.http } : {}),
  };
  return new StreamFeed({
    name: 'alpaca',
    url: `${base}/v2/${feed}`,
    makeCore: (sink) =>
      new AlpacaCore({
        key: options.key,
        secret: options.secret,
        codec: options.codec ?? 'msgpack',
        sink,
        statuses: options.statuses ?? true,
      }),
    history: (symbols, _base, from, to, onPage) => fetchAlpacaBars(rest, symbols, from, to, onPage),
    historyIntervals: ['1m'],
    tradeHistory: (symbols, from, to, onPage) => fetchAlpacaTrades(rest, symbols, from, to, onPage),
    sink: options.sink,
    secrets: [options.key, options.secret],
    ...(options.now ? { now: options.now } : {}),
    ...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {}),
    ...(options.readTimeoutMs ? { readTimeoutMs: options.readTimeoutMs } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.backfillRetriesMs ? { backfillRetriesMs: options.backfillRetriesMs } : {}),
  });
}
