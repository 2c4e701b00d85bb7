/**
 * Builds the configured live feed (FEED=alpaca | polygon) with its sink and controller: the
 * provider adapter from src/feed/live/, the sink that applies its data through the service
 * (./feed-ingest.ts) and the controller that runs it from the tree (./live-feed-controller.ts).
 */
import type { FeedConfig } from '../config.ts';
import type { Instant } from '../domain/types.ts';
import { createAlpacaFeed } from '../feed/live/alpaca/feed.ts';
import { createPolygonFeed } from '../feed/live/polygon/feed.ts';
import type { LiveFeed } from '../feed/live/types.ts';
import { FeedIngest, type FeedLog } from './feed-ingest.ts';
import { LiveFeedController } from './live-feed-controller.ts';
import type { SessionService } from './session-service.ts';

/** A running live feed. */
export interface LiveFeedHandle {
  readonly controller: LiveFeedController;
  readonly ingest: FeedIngest;
  readonly feed: LiveFeed;
  /** A line for the banner: which feed, which symbols, whether it is connected. */
  describe(): string;
}

/** What building a feed needs. */
export interface LiveFeedSetup {
  readonly config: Exclude<FeedConfig, { kind: 'none' }>;
  readonly service: SessionService;
  readonly log: FeedLog;
  readonly now: () => Instant;
  readonly hasSymbolConfigs: () => Promise<boolean>;
}

/** Builds the feed, its sink and controller, and starts the controller. */
export async function startLiveFeed(setup: LiveFeedSetup): Promise<LiveFeedHandle> {
  const { config, service, log, now } = setup;
  let controller: LiveFeedController | null = null;
  const ingest = new FeedIngest(service, { log, onStatus: (change) => controller?.onStatus(change) });
  const feed =
    config.kind === 'alpaca'
      ? createAlpacaFeed({
          key: config.keyId,
          secret: config.secretKey,
          dataUrl: config.dataUrl,
          streamUrl: config.streamUrl,
          feed: config.alpacaFeed,
          sink: ingest,
          now,
        })
      : createPolygonFeed({
          key: config.apiKey,
          wsUrl: config.wsUrl,
          restUrl: config.restUrl,
          sink: ingest,
          now,
        });
  controller = new LiveFeedController({
    service,
    feed,
    log,
    now,
    initial: { symbols: config.symbols, base: config.base, source: config.source },
    hasSymbolConfigs: setup.hasSymbolConfigs,
  });
  const started = controller;
  service.defaultFeed = feed.name;
  await started.start();
  const label = config.kind === 'alpaca' ? `alpaca (${config.alpacaFeed})` : 'polygon';
  return {
    controller: started,
    ingest,
    feed,
    describe() {
      const status = started.status();
      const symbols = status.symbols.length > 0 ? status.symbols.join(', ') : 'no symbols loaded';
      if (status.waitingFor !== null) return `${label} · not a trading day: waiting for ${status.waitingFor}`;
      const state =
        status.state === 'UP'
          ? 'connected'
          : status.state === 'STOPPED'
            ? `stopped: ${status.last?.reason ?? 'closed'}`
            : status.last?.status === 'DOWN'
              ? `not connected (${status.last.reason}); retrying`
              : 'connecting';
      return `${label} · ${symbols} · ${state}`;
    },
  };
}
